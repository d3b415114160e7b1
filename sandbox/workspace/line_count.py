"""The one count of changed lines: how much new content a change holds, in time linear in its size.

Text is split into lines at `\\n`; the lines both sides share at the start and the end are left out, and of the
rest every line that is on one side and not on the other counts (a multiset difference: linear, where an exact
diff is quadratic at worst). A line counts once per `LONG_LINE` bytes it holds, started, so one long line is not
one line. Binary content is counted the same way, its bytes split at `\n`: what matters is how much changed,
not whether a person can read it. Content past `COUNT_BYTES`, or no longer to be had, is not read: it counts by
size, one line per `SHORT_LINE` bytes. Any change counts at least one line: a mode change, a link's new target,
lines only moved about.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["COUNT_BYTES", "LONG_LINE", "SHORT_LINE", "by_size", "changed_lines"]

LONG_LINE = 1000
"""Bytes a line may hold and still count as one."""
COUNT_BYTES = 4 << 20
"""Content larger than this is counted by its size, not read line by line (a line is an object in memory)."""
SHORT_LINE = 40
"""Bytes a line of content counted by its size is taken to hold: short, so that the guess counts high."""


def _weight(line: bytes) -> int:
    return max(1, -(-len(line) // LONG_LINE))


def by_size(size: int) -> int:
    """The lines `size` bytes of content count as when they are not read: one per SHORT_LINE bytes, started."""
    return -(-size // SHORT_LINE)


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def changed_lines(old: bytes, new: bytes) -> int:
    """Lines removed from `old` plus lines added in `new` (b"" for a side that does not exist)."""
    if old == new:
        return 0
    if len(old) > COUNT_BYTES or len(new) > COUNT_BYTES:
        return max(1, by_size(len(old)) + by_size(len(new)))
    before, after = _lines(old), _lines(new)
    start = 0
    while start < len(before) and start < len(after) and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
        end_before -= 1
        end_after -= 1
    removed = Counter(before[start:end_before])
    added = Counter(after[start:end_after])
    total = sum(_weight(line) * count for line, count in (removed - added).items())
    total += sum(_weight(line) * count for line, count in (added - removed).items())
    return max(1, total)
