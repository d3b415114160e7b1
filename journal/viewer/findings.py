"""What a failing check found, in the few lines a reviewer reads first: the failing assertion, each finding."""

from __future__ import annotations

import re
from typing import Any

EXCERPT_LINES = 12
"""Lines of a failing check's output kept for the run's failure banner."""
EXCERPT_WIDTH = 300
"""Characters of one such line kept."""
FINDINGS_KEPT = 20
"""A built-in check's findings kept for the banner (the event holds all of them)."""
TELLING = re.compile(r"assert|error|fail|expected|traceback|^E\s|^>\s|missing|not found|differ", re.IGNORECASE)
"""Lines of a test runner's or a command's output that say what went wrong."""


def excerpt(output: str, lines: int = EXCERPT_LINES) -> str:
    """The lines of `output` that say what failed (assertions, errors), else its last lines; each cut to a width."""
    rows = [row if len(row) <= EXCERPT_WIDTH else row[:EXCERPT_WIDTH] + " …" for row in output.rstrip().splitlines()]
    telling = [n for n, row in enumerate(rows) if TELLING.search(row)]
    if not telling:
        return "\n".join(rows[-lines:])
    # Around the last telling lines: the failure a runner reports last is the one that ended the run.
    start = max(0, telling[-1] - lines + 2)
    first = max(0, next((n for n in telling if n >= start), start) - 1)  # with the line that leads to it
    return "\n".join(rows[first : first + lines])


def failure_of(check: dict[str, Any], n: int, command_n: int | None) -> dict[str, Any]:
    """A failing `check_result` event (line `n`) as the run page's banner shows it; `command_n`: its command's line."""
    findings = check.get("findings")
    kept = [str(item) for item in findings[:FINDINGS_KEPT]] if isinstance(findings, list) else []
    kind = str(check.get("kind") or "command")
    output = str(check.get("output") or "")
    return {
        "n": n,
        "command_n": command_n if kind == "command" else None,
        "check": str(check.get("command") or ""),
        "kind": kind,
        "findings": kept,
        "more_findings": max(0, len(findings) - len(kept)) if isinstance(findings, list) else 0,
        "excerpt": excerpt(output) if output else "",
    }
