"""The escape suite's outcome table: what happened to each attack on each backend."""

from __future__ import annotations

from typing import Literal

import pytest

Outcome = Literal["blocked", "escaped", "known"]
Outcomes = dict[tuple[str, str], Outcome]
OUTCOMES_KEY = pytest.StashKey[Outcomes]()


def table(outcomes: Outcomes) -> list[str]:
    """The outcomes as aligned text lines, one row per case, one column per backend."""
    cases = list(dict.fromkeys(case for case, _ in outcomes))
    backends = sorted({backend for _, backend in outcomes})
    width = max(len(case) for case in cases)
    lines = [f"{'case':<{width}}  " + "  ".join(f"{b:<10}" for b in backends)]
    for case in cases:
        cells = "  ".join(f"{outcomes.get((case, b), '-'):<10}" for b in backends)
        lines.append(f"{case:<{width}}  {cells}")
    counts = {kind: sum(1 for v in outcomes.values() if v == kind) for kind in ("blocked", "known", "escaped")}
    lines.append(", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return lines
