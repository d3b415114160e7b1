"""Python's cyclic garbage collector while a command starts: held back, then told that what the start built stays.

Starting `interns run` makes tens of thousands of objects that live as long as the process (modules, classes,
pydantic's validators). With the default threshold the collector walks them some 50 times between `main` and the
run's first event (2% of the instructions it takes), and finds next to no garbage. So the CLI raises the threshold
while a command starts, and a command whose work begins moves everything made so far out of the collector's reach
(`gc.freeze`; the few cycles of garbage the imports left among it stay until the process ends) and brings the
threshold back: `run`, `resume`, `replay` and a review's retry once the run is begun, `batch` and `eval` before their
rows, `view` before it serves. A command that never says its work began (a short one) still collects, less often.
"""

import gc

__all__ = ["START_THRESHOLD", "hold_back", "work_begins"]

START_THRESHOLD = 100_000
"""Allocations between two young collections while a command starts (Python's default is 700): about twice what a
run's start makes before its first event."""

_DEFAULT_THRESHOLDS = gc.get_threshold()


def hold_back() -> None:
    """Collect rarely while the command starts."""
    gc.set_threshold(START_THRESHOLD, *_DEFAULT_THRESHOLDS[1:])


def work_begins() -> None:
    """Keep what the start made out of every later collection, and collect as usual from now on."""
    gc.freeze()
    gc.set_threshold(*_DEFAULT_THRESHOLDS)
