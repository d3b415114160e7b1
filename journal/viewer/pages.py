"""Events in pages: a run's journal read a few lines at a time, by the offsets its scan noted, never whole."""

from __future__ import annotations

import json
import os
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

from interns.journal.formats import upgrade_event
from interns.journal.viewer.diffs import edit_diff
from interns.journal.viewer.scan import RunScan

PAGE_LIMIT = 500
"""The most events one page may hold."""
CLIP_CHARS = 12_000
"""A string longer than this is sent with its middle left out; the event's own URL has all of it."""
EDIT_TOOLS = ("write", "edit")
"""The tools whose calls change a file, shown as diffs."""
EVENT_BYTES_LIMIT = 8_000_000
"""The most bytes of one event line read back, however long it is."""


class AllLines(Sequence[int]):
    """Line numbers 1..count, as a sequence, to page through every event without listing them."""

    def __init__(self, count: int) -> None:
        """Lines 1 to `count`."""
        self.size = count

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        return index % self.size + 1


def read_event(scan: RunScan, n: int, *, clip: bool = True) -> dict[str, Any]:
    """Event `n` (its line number, from 1) as a JSON-ready dict with `n` set; long strings clipped unless not `clip`."""
    if not 1 <= n <= scan.count:
        raise IndexError(f"the run has {scan.count} events; there is no event {n}")
    start = scan.offsets[n - 1]
    end = scan.offsets[n] if n < scan.count else scan.end
    fd = os.open(scan.path, os.O_RDONLY)
    try:
        raw = os.pread(fd, min(end - start, EVENT_BYTES_LIMIT), start)
    finally:
        os.close(fd)
    unreadable = {"n": n, "type": "unreadable", "line": raw[:1000].decode(errors="replace"), "clipped": []}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return unreadable | {"error": f"not a JSON line: {exc}"}
    if not isinstance(data, dict):
        return unreadable | {"error": "not a JSON object"}
    data = upgrade_event(data, scan.version)
    if data.get("type") == "tool_call" and data.get("ok") and data.get("tool") in EDIT_TOOLS:
        data["diff"] = _edit_of(data)
    clipped: list[str] = []
    if clip:
        data = {key: _clip(value, key, clipped) for key, value in data.items()}
    return data | {"n": n, "clipped": clipped}


def _edit_of(event: dict[str, Any]) -> str:
    """A write or edit tool call as a diff, numbered as the file is where the edit says where it began."""
    args = event["args"] if isinstance(event.get("args"), dict) else {}
    line = event.get("line")
    return edit_diff(str(event.get("tool")), args, line if type(line) is int else None)


def _clip(value: Any, where: str, clipped: list[str]) -> Any:
    if isinstance(value, str):
        if len(value) <= CLIP_CHARS:
            return value
        clipped.append(where)
        half = CLIP_CHARS // 2
        left_out = len(value) - 2 * half
        return f"{value[:half]}\n[… {left_out:,} characters left out here; the whole event has them …]\n{value[-half:]}"
    if isinstance(value, dict):
        return {key: _clip(item, f"{where}.{key}", clipped) for key, item in value.items()}
    if isinstance(value, list):
        return [_clip(item, f"{where}[{i}]", clipped) for i, item in enumerate(value)]
    return value


def page(
    scan: RunScan,
    step: str | None,
    *,
    after: int | None = None,
    before: int | None = None,
    around: int | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """A page of the events of `step` (None: every event): after line `after`, before line `before`, or around one."""
    limit = max(1, min(limit, PAGE_LIMIT))
    track = scan.steps.get(step) if step is not None else None
    if step is not None and track is None:
        raise KeyError(f"the run has no step {step!r}")
    lines: Sequence[int] = AllLines(scan.count) if track is None else track.lines[:]
    attempts = None if track is None else track.attempt_of_line[: len(lines)]
    if around is not None:
        first = max(0, bisect_left(lines, around) - limit // 4)
    elif before is not None:
        first = max(0, bisect_left(lines, before) - limit)
    else:
        first = bisect_right(lines, after) if after is not None else 0
    last = min(len(lines), first + limit)
    if before is not None and around is None:
        last = min(last, bisect_left(lines, before))
    events = []
    for index in range(first, last):
        event = read_event(scan, lines[index])
        if attempts is not None and index < len(attempts):  # a line added while we copied has no attempt yet
            event["attempt_of"] = attempts[index]
        events.append(event)
    return {
        "step": step,
        "events": events,
        "total": len(lines),
        "first_index": first,
        "more_before": first > 0,
        "more_after": last < len(lines),
        "last_n": lines[last - 1] if last > first else (after or 0),
    }


def step_edits(scan: RunScan, step: str) -> list[dict[str, Any]]:
    """The step's writes and edits that went through, each as a small diff, in the order they were made."""
    track = scan.steps.get(step)
    if track is None:
        raise KeyError(f"the run has no step {step!r}")
    changes = []
    for n in track.edits[:]:
        event = read_event(scan, n, clip=False)
        args = event["args"] if isinstance(event.get("args"), dict) else {}
        index = bisect_left(track.lines, n)
        changes.append(
            {
                "n": n,
                "tool": event.get("tool"),
                "path": str(args.get("path") or "?"),
                "attempt": track.attempt_of_line[index] if index < len(track.attempt_of_line) else 0,
                "diff": event.get("diff") or _edit_of(event),
            }
        )
    return changes
