"""What a run's header needs of the journal's vocabulary: a run's statuses and its usage (tokens, requests, cost).

Kept apart from the event models so that listing runs reads headers without building every event class.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["FinalStatus", "RunStatus", "Usage"]

RunStatus = Literal["running", "succeeded", "failed", "limit_exceeded", "cancelled", "awaiting_approval", "interrupted"]
"""A run's status. Writers use all but the last; "interrupted" is only ever reported by readers, for a run still
marked "running" whose writing process is gone."""
FinalStatus = Literal["succeeded", "failed", "limit_exceeded", "cancelled", "awaiting_approval"]
"""The statuses a run may finish with; "awaiting_approval" until a person answers and `interns resume` goes on."""


class Usage(BaseModel):
    """Tokens and requests spent, and their cost where the price is known."""

    model_config = ConfigDict(extra="ignore")

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: "Usage") -> "Usage":
        cost = (
            None if self.cost_usd is None and other.cost_usd is None else (self.cost_usd or 0) + (other.cost_usd or 0)
        )
        return Usage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=cost,
        )
