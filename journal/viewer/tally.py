"""What a reviewer counts first, for a step or a whole run: tokens and cost, commands, denials, approvals, checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Spend:
    """Tokens, requests and cost summed over model turns; the cost is None while no turn had a known price."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float | None = None

    def add(self, usage: dict[str, Any]) -> None:
        """Add one model turn's `usage` object."""
        self.requests += whole(usage.get("requests"))
        self.input_tokens += whole(usage.get("input_tokens"))
        self.output_tokens += whole(usage.get("output_tokens"))
        self.cache_read_tokens += whole(usage.get("cache_read_tokens"))
        cost = usage.get("cost_usd")
        if isinstance(cost, int | float):
            self.cost_usd = (self.cost_usd or 0.0) + cost

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values, with the total of tokens."""
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "cost_usd": self.cost_usd,
        }


@dataclass
class Tally:
    """What a reviewer counts first, for a step or the whole run."""

    spend: Spend = field(default_factory=Spend)
    commands: int = 0
    failed_commands: int = 0
    denials: int = 0
    approvals: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready values."""
        return {
            "usage": self.spend.as_dict(),
            "commands": self.commands,
            "failed_commands": self.failed_commands,
            "denials": self.denials,
            "approvals": self.approvals,
            "checks_passed": self.checks_passed,
            "checks_failed": self.checks_failed,
            "retries": self.retries,
        }


def whole(value: object) -> int:
    """`value` if it is a whole number (not a bool), else 0: what a damaged or newer line holds is not trusted."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
