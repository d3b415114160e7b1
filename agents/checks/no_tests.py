"""Noticing a test command that ran no test: it exits 0, yet it has checked nothing.

A real model ran `python3 -m unittest -v calc.py` (0 tests, exit 0) and called it a pass. The summaries below are the
ones the common runners print last; they are matched at the start of a line, so a file that merely mentions them
(a test of this very module, say) does not trip them.
"""

from __future__ import annotations

import re

__all__ = ["ran_no_test"]

_NONE_RAN = re.compile(
    r"^(?:Ran 0 tests? in |NO TESTS RAN\b|collected 0 items\b|=* ?no tests ran\b|no tests ran\b|"
    r"No tests found\b|testing: warning: no tests to run\b|ok\s+\S+\s+[\d.]+s\s+\[no tests to run\])",
    re.MULTILINE,
)


def ran_no_test(output: str) -> str | None:
    """Why the output shows no test ran (the summary line that says so), or None when tests ran or none were run."""
    found = _NONE_RAN.search(output)
    return found.group(0).strip(" =") if found else None
