"""Finding events in a run: by text and kind, and every refusal of one kind, in one pass over lines already scanned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from interns.journal.viewer.scan import RunScan

FOUND_LIMIT = 500
"""The most matches one search returns; it says when there were more."""
SNIPPET_CHARS = 80
"""Characters of the line kept on each side of a match."""
READ_CHUNK = 1 << 20


def _lines(scan: RunScan) -> Iterator[tuple[int, bytes]]:
    """Each complete line the scan has counted, with its number (from 1)."""
    with scan.path.open("rb") as file:
        n, pending, end = 0, b"", scan.end
        while end > file.tell() and (chunk := file.read(min(READ_CHUNK, end - file.tell()))):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                n += 1
                yield n, line


def _object(line: bytes) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def search_run(scan: RunScan, text: str, kind: str | None = None, limit: int = FOUND_LIMIT) -> dict[str, Any]:
    """Events whose line holds `text` (any case; empty: every event), of `kind` when given, each with a snippet."""
    needle = text.strip().lower()
    found: list[dict[str, Any]] = []
    total = 0
    for n, line in _lines(scan):
        if needle and needle not in line.decode("utf-8", "replace").lower():
            continue
        data = _object(line) if kind or len(found) < limit else {}
        if kind and data.get("type") != kind:
            continue
        total += 1
        if len(found) < limit:
            step = data.get("step")
            found.append({"n": n, "type": data.get("type"), "step": step if isinstance(step, str) else None,
                          "snippet": _snippet(line.decode("utf-8", "replace"), needle)})  # fmt: skip
    return {"found": found, "total": total, "more": total > len(found)}


def refusals_like(scan: RunScan, tool: str, target: str, rule: str) -> list[int]:
    """The lines of every refusal of `tool` on `target` by `rule`: a group the run page steps through."""
    lines = []
    for n, line in _lines(scan):
        if b'"deny"' not in line:
            continue
        data = _object(line)
        refusal = data.get("type") == "policy_decision" and data.get("verdict") == "deny"
        if refusal and (data.get("tool"), data.get("target"), data.get("rule")) == (tool, target, rule):
            lines.append(n)
    return lines


def _snippet(line: str, needle: str) -> str:
    at = line.lower().find(needle) if needle else -1
    if at < 0:
        return line[: 2 * SNIPPET_CHARS]
    start = max(0, at - SNIPPET_CHARS)
    return ("…" if start else "") + line[start : at + len(needle) + SNIPPET_CHARS] + "…"
