"""The result of a benchmark: rows for the summary table (ours against a peer or floor, with a target) and raw data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.stats import ratio


@dataclass
class Row:
    """One line of the summary: our median against the peer's or the floor's, and whether the target holds."""

    benchmark: str
    ours: float | None
    unit: str = "ms"
    other: float | None = None
    other_label: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / other."""
        return ratio(self.ours, self.other)

    def to_json(self) -> dict[str, Any]:
        """The row with its ratio, for the JSON report."""
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class BenchResult:
    """What one benchmark measured: its summary rows and every raw figure."""

    name: str
    rows: list[Row] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def at_most(value: float | None, limit: float) -> bool | None:
    """Whether a figure meets an upper bound; None when it could not be measured."""
    return None if value is None else value <= limit


def at_least(value: float | None, limit: float) -> bool | None:
    """Whether a figure meets a lower bound; None when it could not be measured."""
    return None if value is None else value >= limit


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.1f}%"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".rstrip()


def _verdict(met: bool | None) -> str:
    return "" if met is None else "met" if met else "[red]MISSED[/]"


def render(rows: Sequence[Row], console: Console | None = None, title: str = "") -> None:
    """Print the summary table: benchmark, ours, peer or floor, ratio, target, met or MISSED."""
    console = console or Console(highlight=False)
    table = Table(title=title or None, title_justify="left", show_lines=False)
    table.add_column("benchmark")
    for column in ("ours", "peer / floor", "ratio"):
        table.add_column(column, justify="right")
    table.add_column("target")
    table.add_column("")
    for row in rows:
        other = _number(row.other, row.unit)
        if row.other_label:
            other = f"{row.other_label}: {other}" if row.other is not None else row.other_label
        table.add_row(
            row.benchmark + (f"\n[dim]{row.note}[/]" if row.note else ""),
            _number(row.ours, row.unit),
            other,
            f"{row.ratio:.2f}×" if row.ratio is not None else "",
            row.target,
            _verdict(row.met),
        )
    console.print(table)
