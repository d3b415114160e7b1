"""What a batch or an eval came to, read from its runs' headers: per row, and per model side by side."""

from __future__ import annotations

import math
import statistics
from collections import Counter

from pydantic import BaseModel

from interns.journal.batches import BatchSpec, RowState

__all__ = ["EvalReport", "ModelFigures", "eval_report", "wilson_interval"]

Z_95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""


def wilson_interval(passed: int, runs: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a pass rate: sound at small counts and at 0 or 100%, unlike the normal one."""
    if runs == 0:
        return 0.0, 1.0
    rate = passed / runs
    centre = (rate + z * z / (2 * runs)) / (1 + z * z / runs)
    spread = z * math.sqrt(rate * (1 - rate) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    low = 0.0 if passed == 0 else max(0.0, centre - spread)  # exact at the ends, not off by a rounding error
    high = 1.0 if passed == runs else min(1.0, centre + spread)
    return low, high


class ModelFigures(BaseModel):
    """One model's runs of an eval: how often they passed, what they cost and took, and why the others failed."""

    model: str
    rows: int
    """Rows of this model in the eval."""
    finished: int
    """Rows whose latest run ended; only these count."""
    passed: int
    """Of those, the rows whose run succeeded."""
    pass_rate: float | None
    ci_low: float | None
    ci_high: float | None
    """The 95% Wilson interval of the pass rate."""
    cost_usd: float | None
    """Summed over the finished rows' runs; None where no price is known."""
    median_seconds: float | None
    median_tokens: float | None
    total_tokens: int
    failures: dict[str, int]
    """Each failure reason (status: reason) and how many rows ended on it."""
    run_ids: list[str]
    """The runs counted, one per finished row: the journals these figures come from."""


class EvalReport(BaseModel):
    """An eval's figures, model by model."""

    batch_id: str
    task: str
    models: list[ModelFigures]


def eval_report(batch: BatchSpec, states: list[RowState]) -> EvalReport:
    """The figures of each model (in the order the eval named them) from the latest run of each of its rows."""
    by_model: dict[str, list[RowState]] = {}
    for state in states:
        by_model.setdefault(state.row.model or "(the task's model)", []).append(state)
    return EvalReport(
        batch_id=batch.batch_id, task=batch.task, models=[_figures(m, rows) for m, rows in by_model.items()]
    )


def _figures(model: str, states: list[RowState]) -> ModelFigures:
    runs = [s.latest for s in states if s.done and s.latest is not None]
    passed = sum(1 for run in runs if run.status == "succeeded")
    low, high = wilson_interval(passed, len(runs)) if runs else (None, None)
    costs = [run.usage.cost_usd for run in runs if run.usage.cost_usd is not None]
    seconds = [run.duration for run in runs if run.duration is not None]
    tokens = [run.usage.total_tokens for run in runs]
    failures = Counter(f"{run.status}: {run.reason}".rstrip(": ") for run in runs if run.status != "succeeded")
    return ModelFigures(
        model=model,
        rows=len(states),
        finished=len(runs),
        passed=passed,
        pass_rate=passed / len(runs) if runs else None,
        ci_low=low,
        ci_high=high,
        cost_usd=sum(costs) if costs else None,
        median_seconds=statistics.median(seconds) if seconds else None,
        median_tokens=statistics.median(tokens) if tokens else None,
        total_tokens=sum(tokens),
        failures=dict(failures.most_common()),
        run_ids=[run.run_id for run in runs],
    )
