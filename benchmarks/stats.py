"""Small statistics shared by the benchmarks: medians in milliseconds, flatness, and interleaved rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def median_ms(seconds: Sequence[float]) -> float | None:
    """The median of figures in seconds, in milliseconds; None for no figures."""
    return statistics.median(seconds) * 1000 if seconds else None


def ratio(ours: float | None, other: float | None) -> float | None:
    """ours / other, or None when either is missing or the divisor is zero."""
    if ours is None or not other:
        return None
    return ours / other


def flatness(per_step: Sequence[float]) -> dict[str, float | None]:
    """Median ms per step over the first and the last 10% of steps, and last / first."""
    tenth = max(len(per_step) // 10, 1)
    first, last = median_ms(per_step[:tenth]), median_ms(per_step[-tenth:])
    return {"first_10pct_ms": first, "last_10pct_ms": last, "last_over_first": ratio(last, first)}


def timed(work: Callable[[], object]) -> float:
    """Seconds one call of `work` took."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def interleaved(variants: dict[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """Call each variant once per round, in turn (A, B, A, B...), so drifts in the machine's load hit all alike."""
    results: dict[str, list[T]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, variant in variants.items():
            results[name].append(variant())
    return results
