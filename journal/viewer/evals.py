"""The viewer's eval page data: an eval's figures per model and its rows, read from the runs it made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interns.journal.batches import BatchNotFound, BatchStore
from interns.journal.evals import eval_report

__all__ = ["eval_view"]


def eval_view(root: Path, ref: str) -> dict[str, Any]:
    """The eval (or batch) `ref` names under `root`: its per-model report and one entry per row; KeyError if none."""
    store = BatchStore(root)
    try:
        batch = store.load(ref)
    except BatchNotFound as exc:
        raise KeyError(str(exc)) from None
    states = store.states(batch)
    rows = []
    for state in states:
        run = state.latest
        rows.append(
            {
                "row": state.index + 1,
                "model": state.row.model,
                "params": state.row.params,
                "status": state.status,
                "run_id": run.run_id if run else None,
                "earlier_runs": [r.run_id for r in state.runs[:-1]],
                "seconds": run.duration if run else None,
                "tokens": run.usage.total_tokens if run else None,
                "cost_usd": run.usage.cost_usd if run else None,
            }
        )
    report = eval_report(batch, states)
    return (
        {"kind": batch.kind, "on": batch.on, "created": batch.created.isoformat()}
        | report.model_dump()
        | {"rows": rows}
    )
