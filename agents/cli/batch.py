"""`interns batch` and `interns batches`: a task run once per row of parameters, and the batches listed, shown,
resumed and accepted in bulk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from interns.agents.cli import collector
from interns.agents.cli.common import DEFAULT_RUNS_DIR, EXIT_FAILED, Params, RunsDir, err, fail, given_params, out
from interns.agents.cli.styles import STATUS_STYLE
from interns.agents.gate.visible import visible, visible_markup

if TYPE_CHECKING:
    from interns.agents.batch import Executor
    from interns.journal.batches import BatchSpec, BatchStore, RowState

__all__ = ["Concurrency", "On", "batch", "batches", "check_where", "finish", "print_row", "run_rows"]

Concurrency = Annotated[int, typer.Option("--concurrency", "-j", min=1, max=64, help="Runs at the same time.")]
On = Annotated[
    str,
    typer.Option(
        "--on", help="Where the runs run: local, or ray / ray://ADDRESS (a Ray cluster; pip install interns[ray])."
    ),
]


def batch(
    task_file: Annotated[Path, typer.Argument(metavar="TASK_FILE", help="The task file to run.", show_default=False)],
    params_file: Annotated[
        Path | None, typer.Option("--params", help="A .csv (header of param names) or .jsonl file: one run a row.")
    ] = None,
    each: Annotated[
        str | None,
        typer.Option("--each", metavar="[NAME=]GLOB", help="One run per matching path, given as the param NAME."),
    ] = None,
    param: Params = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="The model of every run.")] = None,
    concurrency: Concurrency = 1,
    on: On = "local",
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Run a task once per row of parameters, so many at a time; each row is a normal run linked to the batch."""
    from interns.agents.batch import each_rows, new_batch, read_rows
    from interns.journal.batches import BatchStore

    check_where(on)
    if (params_file is None) == (each is None):
        raise fail("give the rows with --params FILE or with --each [NAME=]GLOB")
    common = given_params(param)
    if params_file is not None:
        rows = read_rows(params_file)
    else:
        assert each is not None
        rows = each_rows(_each_name(task_file, each), each.partition("=")[2] if "=" in each else each, Path.cwd())
    rows = [{**common, **row} for row in rows]
    store = BatchStore(runs_dir)
    spec = new_batch(store, task_file, rows, models=[model], concurrency=concurrency, on=on)
    out.print(f"batch {spec.batch_id}: {len(spec.rows)} rows, {concurrency} at a time, on {on}", markup=False)
    states = run_rows(store, spec)
    finish(store, spec, states)


def _each_name(task_file: Path, each: str) -> str:
    """The param `--each` gives: named before `=`, or the task's only param without a default (or only param)."""
    from interns import tasks

    name, equals, _ = each.partition("=")
    if equals and name.isidentifier():
        return name
    declared = tasks.load(task_file).params
    required = [n for n, p in declared.items() if p.default is None] or list(declared)
    if len(required) != 1:
        raise fail(f"--each: say which param takes the paths, as NAME=GLOB (the task declares: {', '.join(declared)})")
    return required[0]


def batches(
    batch_ref: Annotated[
        str | None, typer.Argument(metavar="[BATCH]", help="A batch id, a prefix of one, or last.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Run the rows not done yet (a killed batch goes on).")
    ] = False,
    accept_passed: Annotated[
        bool, typer.Option("--accept-passed", help="Accept every row whose run succeeded and awaits review.")
    ] = False,
    minutes: Annotated[
        float | None, typer.Option("--minutes", min=0, help="How long the bulk review took, for `interns stats`.")
    ] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the rows (an eval: its report) here.")
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """List batches and evals, or show one: a table of its rows (status, cost, time, run); resume or accept it."""
    from interns.agents.batch import accept_passed as accept_rows
    from interns.journal.batches import BatchStore

    store = BatchStore(runs_dir)
    if batch_ref is None:
        _list(store)
        return
    spec = store.load(batch_ref)
    if resume:
        out.print(f"batch {spec.batch_id}: going on with the rows not done", markup=False)
        run_rows(store, spec)
    if accept_passed:
        for decided in accept_rows(store, spec, minutes=minutes):
            run_id = decided.state.latest.run_id if decided.state.latest else ""
            what = f"accepted. {decided.decision.detail}" if decided.decision else f"not accepted: {decided.problem}"
            out.print(visible(f"row {decided.state.index + 1} {run_id}: {what}"), markup=False)
    finish(store, spec, store.states(spec), as_json, exit_on_failure=False)


def run_rows(store: BatchStore, spec: BatchSpec) -> list[RowState]:
    """Run the rows of `spec` not done yet where it says, printing each as it ends; Ctrl-C stops them all."""
    from interns.agents.batch import run_batch

    total = len(spec.rows)
    collector.work_begins()
    try:
        return asyncio.run(run_batch(store, spec, _executor(store, spec), lambda s: print_row(s, total, spec.kind)))
    except KeyboardInterrupt:
        raise fail(f"stopped; go on with: interns batches {spec.batch_id} --resume", 130) from None


def check_where(on: str) -> None:
    """Refuse an `--on` that names no place runs can run (exit 2)."""
    if on not in ("local", "ray") and not on.startswith("ray://"):
        raise fail(f"--on {on!r}: use local, ray (the cluster this machine is part of) or ray://ADDRESS")


def _executor(store: BatchStore, spec: BatchSpec) -> Executor:
    from interns.agents.batch import LocalExecutor

    if spec.on == "local":
        return LocalExecutor(store.root, store.folder(spec) / "logs")
    from interns.agents.cluster import RayExecutor

    return RayExecutor(spec.on, store.root, store.folder(spec) / "logs", concurrency=spec.concurrency)


def print_row(state: RowState, total: int, kind: str = "batch") -> None:
    """One line for a row that ended: its number, label (an eval's: its model), status, time and run."""
    run = state.latest
    took = f"{run.duration:.1f}s" if run is not None and run.duration is not None else ""
    style = STATUS_STYLE.get(state.status, "default")
    label = (state.row.model or "the task's model") if kind == "eval" else state.label
    line = f"row {state.index + 1}/{total} {visible_markup(label)}: [{style}]{state.status}[/] {took}"
    out.print(f"{line} {run.run_id if run else ''}")


def _list(store: BatchStore) -> None:
    specs = store.list()
    if not specs:
        err.print(f"no batches yet in {store.root}", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("batch", "kind", "task", "rows", "done", "passed", "on"):
        table.add_column(column, justify="right" if column in ("rows", "done", "passed") else "left")
    for spec in specs:
        states = store.states(spec)
        done = sum(1 for s in states if s.done)
        passed = sum(1 for s in states if s.status == "succeeded")
        table.add_row(spec.batch_id, spec.kind, spec.task, str(len(states)), str(done), str(passed), spec.on)
    out.print(table)


def finish(
    store: BatchStore,
    spec: BatchSpec,
    states: list[RowState],
    as_json: Path | None = None,
    *,
    exit_on_failure: bool = True,
) -> None:
    """Print the rows (an eval: its report too), write them as JSON if asked; exit 1 if a row did not pass."""
    from interns.agents.batch import last_log_line
    from interns.journal.evals import eval_report

    out.print(_rows_table(store, spec, states))
    if spec.kind == "eval":
        from interns.agents.cli.eval import print_report

        report = eval_report(spec, states)
        print_report(report)
        text = report.model_dump_json(indent=2)
        saved = store.folder(spec) / "report.json"  # always kept beside the eval, as of its latest showing
        saved.write_text(text + "\n", encoding="utf-8")
        out.print(f"report: {saved}", markup=False)
    else:
        text = json.dumps([_row_data(s) for s in states], indent=2)
    for state in states:
        if state.latest is None and (line := last_log_line(store.folder(spec) / "logs", state.index)):
            err.print(visible(f"row {state.index + 1} did not start: {line}"), markup=False)
    if as_json is not None:
        as_json.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {as_json}", markup=False)
    done = sum(1 for s in states if s.done)
    passed = sum(1 for s in states if s.status == "succeeded")
    out.print(f"{passed} of {len(states)} rows passed, {done} done", markup=False)
    if exit_on_failure and passed < len(states):
        raise typer.Exit(EXIT_FAILED)


def _row_data(state: RowState) -> dict[str, object]:
    run = state.latest
    return {
        "row": state.index + 1,
        "params": state.row.params,
        "model": state.row.model,
        "status": state.status,
        "run_id": run.run_id if run else None,
        "runs": [r.run_id for r in state.runs],
        "seconds": run.duration if run else None,
        "cost_usd": run.usage.cost_usd if run else None,
        "tokens": run.usage.total_tokens if run else None,
    }


def _rows_table(store: BatchStore, spec: BatchSpec, states: list[RowState]) -> Table:
    from interns.agents.gate import review as review_gate

    table = Table(
        title=f"{spec.kind} {spec.batch_id} — task {spec.task}", box=None, pad_edge=False, title_justify="left"
    )
    for column in (
        "row",
        "model" if spec.kind == "eval" else "input",
        "status",
        "review",
        "took",
        "tokens",
        "cost",
        "run",
    ):
        table.add_column(column, justify="right" if column in ("row", "took", "tokens", "cost") else "left")
    for state in states:
        run = state.latest
        decision = review_gate.decision_of(store.runs.dir(run.run_id)) if run and run.status == "succeeded" else None
        table.add_row(
            str(state.index + 1),
            visible_markup((state.row.model or "the task's model") if spec.kind == "eval" else state.label),
            f"[{STATUS_STYLE.get(state.status, 'default')}]{state.status}[/]",
            decision.decision if decision else "",
            f"{run.duration:.1f}s" if run and run.duration is not None else "",
            f"{run.usage.total_tokens:,}" if run else "",
            f"${run.usage.cost_usd:.4f}" if run and run.usage.cost_usd is not None else "",
            (run.run_id + (f" (+{len(state.runs) - 1} earlier)" if len(state.runs) > 1 else "")) if run else "",
        )
    return table
