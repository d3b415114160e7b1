"""The one order every rule list is read in: deny over ask over allow, and nothing allowed that no rule allows.

Commands, MCP tools and anything else judged by `allow` / `ask` / `deny` patterns go through `first_rule`, so every
decision names its rule the same way: `<where>.<verdict>[<index>]: <pattern>`, or `<where>.allow` when no allow
rule matched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interns.journal import Verdict

__all__ = ["RuleHit", "Verdict", "first_rule"]


@dataclass(frozen=True)
class RuleHit:
    """The rule that decided: its verdict, its id for the journal, and its pattern (None: no allow rule matched)."""

    verdict: Verdict
    rule: str
    pattern: str | None


def first_rule(
    where: str,
    *,
    deny: Sequence[str],
    ask: Sequence[str],
    allow: Sequence[str],
    could_match: Callable[[str], bool],
    surely_matches: Callable[[str], bool] | None = None,
) -> RuleHit:
    """The deciding rule under `where`: the first deny or ask rule that could match, else the first allow rule that
    surely matches (`surely_matches`, by default `could_match`), else a refusal naming `<where>.allow`."""
    for verdict, patterns in (("deny", deny), ("ask", ask)):
        for index, pattern in enumerate(patterns):
            if could_match(pattern):
                return RuleHit(verdict, f"{where}.{verdict}[{index}]: {pattern}", pattern)  # type: ignore[arg-type]
    sure = surely_matches or could_match
    for index, pattern in enumerate(allow):
        if sure(pattern):
            return RuleHit("allow", f"{where}.allow[{index}]: {pattern}", pattern)
    return RuleHit("deny", f"{where}.allow", None)
