"""`interns stats`: per task, runs, cost, review minutes and the net time saved."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from interns.agents.cli.common import DEFAULT_RUNS_DIR, RunsDir, err, out
from interns.agents.gate import review as review_gate
from interns.agents.gate.stats import TaskLedger, ledger
from interns.journal import RunStore

__all__ = ["stats"]


def _minutes(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


def stats(
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Which automations pay off: per task, its runs, what they cost, review minutes and the net time saved.

    Time saved is each accepted run's `manual_minutes` (from the task file) less every minute spent reviewing
    (`interns review` asks, or takes --minutes N). A task without `manual_minutes` shows n/a.
    """
    if not (runs_dir / "runs").is_dir():
        err.print(f"no runs yet in {runs_dir}", markup=False)
        return
    store = RunStore(runs_dir)
    headers = store.list(task=task, limit=None)
    rows = ledger(
        (h.task, h.status, h.usage.cost_usd, h.manual_minutes, review_gate.decision_of(store.dir(h.run_id)))
        for h in headers
    )
    if not rows:
        err.print(f"no runs in {runs_dir} match", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("task", "runs", "succeeded", "accepted", "cost", "review min", "by hand min", "saved min"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for row in rows:
        table.add_row(
            row.task,
            str(row.runs),
            str(row.succeeded),
            str(row.accepted),
            _cost(row),
            _minutes(row.review_minutes) + ("" if row.reviews_timed else " (untimed)"),
            _minutes(row.manual_minutes),
            _minutes(row.saved_minutes),
        )
    out.print(table)


def _cost(row: TaskLedger) -> str:
    text = f"${row.cost_usd:.2f}"
    return text if row.costs_known else f"≥{text}" if row.cost_usd else "n/a"
