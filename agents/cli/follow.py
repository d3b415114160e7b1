"""Following a run's journal while it is written, as `tail -f` would, event by event."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from interns.journal import Event, RunFinished, UnknownEvent, parse_event

__all__ = ["follow_events"]


def follow_events(
    path: Path, still_running: Callable[[], bool], *, poll: float = 0.2
) -> Iterator[Event | UnknownEvent]:
    """Every event of `events.jsonl`, then each new one as it is appended, until the run finishes or its writer dies."""
    partial = ""
    with path.open(encoding="utf-8") as journal:
        while True:
            chunk = journal.readline()
            if chunk:
                partial += chunk
                if not partial.endswith("\n"):
                    continue  # the writer is in the middle of this line
                line, partial = partial, ""
                if not line.strip():
                    continue
                try:
                    event = parse_event(json.loads(line))
                except json.JSONDecodeError:
                    continue
                yield event
                if isinstance(event, RunFinished):
                    return
            elif still_running():
                time.sleep(poll)
            else:
                return
