"""`interns eval`: a task run N times per model, and how often each passed, what it cost and took, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from interns.agents.cli.batch import Concurrency, On, check_where, finish, run_rows
from interns.agents.cli.common import DEFAULT_RUNS_DIR, Params, RunsDir, given_params, out
from interns.agents.gate.visible import visible_markup

if TYPE_CHECKING:
    from interns.journal.evals import EvalReport

__all__ = ["eval_task", "print_report"]


def eval_task(
    task_file: Annotated[
        Path, typer.Argument(metavar="TASK_FILE", help="The task file to measure.", show_default=False)
    ],
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, max=10_000, help="Runs per model.")] = 10,
    models: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="A model to measure (repeatable); default: the task's own."),
    ] = None,
    param: Params = None,
    concurrency: Concurrency = 1,
    on: On = "local",
    as_json: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Run a task N times per model; report the pass rate (95% interval), cost, time, tokens and failure reasons."""
    from interns.agents.batch import new_batch
    from interns.journal.batches import BatchStore

    check_where(on)
    store = BatchStore(runs_dir)
    chosen: list[str | None] = list(dict.fromkeys(models)) if models else [None]
    spec = new_batch(
        store, task_file, [given_params(param)], models=chosen, repeat=runs, kind="eval", concurrency=concurrency, on=on
    )
    out.print(f"eval {spec.batch_id}: {runs} runs of each of {len(chosen)} models, on {on}", markup=False)
    states = run_rows(store, spec)
    finish(store, spec, states, as_json, exit_on_failure=False)


def print_report(report: EvalReport) -> None:
    """The eval's figures, one column per model."""
    table = Table(title=f"eval {report.batch_id} — task {report.task}", box=None, pad_edge=False, title_justify="left")
    table.add_column("")
    for figures in report.models:
        table.add_column(visible_markup(figures.model), justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("passed", [f"{f.passed} of {f.finished}" for f in report.models]),
        ("pass rate", [f"{f.pass_rate:.0%}" if f.pass_rate is not None else "" for f in report.models]),
        ("95% interval", [_interval(f.ci_low, f.ci_high) for f in report.models]),
        ("cost", [f"${f.cost_usd:.4f}" if f.cost_usd is not None else "n/a" for f in report.models]),
        ("median time", [f"{f.median_seconds:.1f}s" if f.median_seconds is not None else "" for f in report.models]),
        ("median tokens", [f"{f.median_tokens:,.0f}" if f.median_tokens is not None else "" for f in report.models]),
        ("not done", [str(f.rows - f.finished) for f in report.models]),
    ]
    for label, cells in rows:
        table.add_row(label, *cells)
    out.print(table)
    for figures in report.models:
        for reason, count in figures.failures.items():
            out.print(f"  {visible_markup(figures.model)}: {count}x {visible_markup(reason)}")


def _interval(low: float | None, high: float | None) -> str:
    return f"{low:.0%}–{high:.0%}" if low is not None and high is not None else ""
