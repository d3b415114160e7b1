"""The time and cost ledger: per task, what its runs cost, how long people spent reviewing them, and the time saved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from interns.agents.gate.review import ReviewDecision

__all__ = ["TaskLedger", "ledger"]


@dataclass
class TaskLedger:
    """One task's runs added up."""

    task: str
    runs: int = 0
    succeeded: int = 0
    accepted: int = 0
    cost_usd: float = 0.0
    costs_known: bool = True
    """False when some run's cost is unknown (a model without a price), so `cost_usd` is a floor."""
    review_minutes: float = 0.0
    reviews_timed: int = 0
    manual_minutes: float | None = None
    """Minutes the task takes by hand, from its most recent run's task file."""
    decisions: list[str] = field(default_factory=list)

    @property
    def saved_minutes(self) -> float | None:
        """Minutes saved: each accepted run's manual time, less every minute spent reviewing; None if unknown."""
        if self.manual_minutes is None:
            return None
        return self.accepted * self.manual_minutes - self.review_minutes


def ledger(runs: Iterable[tuple[str, str, float | None, float | None, ReviewDecision | None]]) -> list[TaskLedger]:
    """Add up runs given newest first as (task, status, cost, manual minutes, decision); tasks sorted by name."""
    tasks: dict[str, TaskLedger] = {}
    for task, status, cost, manual, decision in runs:
        entry = tasks.setdefault(task, TaskLedger(task))
        entry.runs += 1
        entry.succeeded += status == "succeeded"
        if cost is None:
            entry.costs_known = False
        else:
            entry.cost_usd += cost
        if entry.manual_minutes is None and manual is not None:
            entry.manual_minutes = manual
        if decision is None:
            continue
        entry.accepted += decision.decision == "accepted"
        if decision.minutes is not None:
            entry.review_minutes += decision.minutes
            entry.reviews_timed += 1
    return [tasks[name] for name in sorted(tasks)]
