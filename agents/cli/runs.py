"""`interns runs`: the list of runs, newest first, read from the run index (no event is read)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Literal, cast, get_args

import typer

from interns.agents.cli.common import DEFAULT_RUNS_DIR, RunsDir, err, fail, out
from interns.agents.cli.styles import STATUS_STYLE
from interns.agents.gate.review import decision_of
from interns.agents.gate.visible import visible
from interns.journal.store import RunStore
from interns.journal.usage import RunStatus

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

__all__ = ["RUN_STATUSES", "list_runs"]

RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
STATUS_WIDTH = max(len(s) for s in RUN_STATUSES)
"""The status column is as wide as the longest status, so the list does not shift as runs end."""
COLUMNS = ("run", "status", "review", "started", "took", "tokens", "cost", "model")
RIGHT = frozenset({"took", "tokens", "cost"})
"""Columns of numbers, aligned on the right."""


def list_runs(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    task: Annotated[str | None, typer.Option(help="Only runs of this task.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many runs.")] = 50,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """List runs, newest first: status, task, when, how long, tokens and cost."""
    if status is not None and status not in RUN_STATUSES:
        raise fail(f"--status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
    if not (runs_dir / "runs").is_dir():
        err.print(f"no runs yet in {runs_dir}", markup=False)
        return
    headers = RunStore(runs_dir).list(status=cast(RunStatus | None, status), task=task, limit=limit)
    if not headers:
        err.print(f"no runs in {runs_dir} match", markup=False)
        return
    rows: list[tuple[str, ...]] = [
        (
            h.run_id,
            h.status,
            decision.decision if (decision := decision_of(runs_dir / "runs" / h.run_id)) else "",
            h.started.astimezone().strftime("%m-%d %H:%M"),
            f"{h.duration:.1f}s" if h.duration is not None else "",
            f"{h.usage.total_tokens:,}",
            f"${h.usage.cost_usd:.4f}" if h.usage.cost_usd is not None else "n/a",
            "scripted" if h.scripted else visible(h.model, one_line=True),
        )
        for h in headers
    ]
    widths = [max(len(cell) for cell in column) for column in zip(COLUMNS, *rows, strict=True)]
    widths[1] = max(widths[1], STATUS_WIDTH)
    if not sys.stdout.isatty() and not os.environ.get("FORCE_COLOR"):
        # Piped or saved, the list has no colours and nothing to fold: plain lines, without loading rich (a tenth of
        # the command's time).
        sys.stdout.write("".join(_line(row, widths) + "\n" for row in (COLUMNS, *rows)))
        return
    from rich.text import Text

    if out.is_terminal and sum(widths) + 2 * (len(widths) - 1) > out.width:
        out.print(_folding_table(rows))  # a narrow terminal: rich folds the model's column instead of the line
        return
    listing = Text("\n").join([Text(_line(COLUMNS, widths)), *(_styled(row, widths) for row in rows)])
    out.print(listing)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    """One line of the list: each cell padded to its column, two spaces between columns, none at the end."""
    padded = [c.rjust(w) if name in RIGHT else c.ljust(w) for name, c, w in zip(COLUMNS, cells, widths, strict=True)]
    return "  ".join(padded).rstrip()


def _styled(row: tuple[str, ...], widths: list[int]) -> Text:
    """A run's line with its status coloured."""
    from rich.text import Text

    line, start = Text(_line(row, widths)), widths[0] + 2
    line.stylize(STATUS_STYLE.get(row[1], "default"), start, start + len(row[1]))
    return line


def _folding_table(rows: list[tuple[str, ...]]) -> Table:
    """The list as a rich table, which folds the model's column on a terminal too narrow for the whole line."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for column in COLUMNS:
        whole = column in ("run", "status", "started")  # never cut
        width = STATUS_WIDTH if column == "status" else None
        justify: Literal["left", "right"] = "right" if column in RIGHT else "left"
        table.add_column(column, justify=justify, no_wrap=whole, min_width=width, overflow="fold")
    for row in rows:
        cells = [Text(cell, style=STATUS_STYLE.get(cell, "default") if i == 1 else "") for i, cell in enumerate(row)]
        table.add_row(*cells)
    return table
