"""A batch reviewed in bulk: every row whose run succeeded and awaits a decision, accepted as `interns review` would."""

from __future__ import annotations

from dataclasses import dataclass

from interns.agents.gate import review as gate
from interns.journal.batches import BatchSpec, BatchStore, RowState

__all__ = ["RowDecision", "accept_passed"]


@dataclass(frozen=True)
class RowDecision:
    """What became of one row in a bulk review: its decision, or why it could not be accepted."""

    state: RowState
    decision: gate.ReviewDecision | None = None
    problem: str = ""


def accept_passed(
    store: BatchStore, batch: BatchSpec, *, minutes: float | None = None, by: str = "terminal"
) -> list[RowDecision]:
    """Accept the latest run of every row that succeeded and is not decided yet; each lands or says why not.

    Rows that failed, wait, or were decided already are left as they are: only the passing ones are a person's
    bulk yes. `minutes` is the whole review's time, shared among the runs it accepts.
    """
    todo = [s for s in store.states(batch) if s.latest is not None and s.latest.status == "succeeded"]
    todo = [s for s in todo if s.latest is not None and gate.decision_of(store.runs.dir(s.latest.run_id)) is None]
    share = None if minutes is None or not todo else minutes / len(todo)
    decisions = []
    for state in todo:
        assert state.latest is not None
        try:
            note = f"accepted with the passing rows of {batch.batch_id}"
            decision = gate.accept(store.runs, state.latest, note, minutes=share, by=by)
        except gate.GateError as exc:
            decisions.append(RowDecision(state, problem=str(exc)))
            continue
        decisions.append(RowDecision(state, decision))
    return decisions
