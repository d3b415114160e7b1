"""The rows of a batch: parameter values read from a CSV or JSON Lines file, or one parameter over a glob."""

from __future__ import annotations

import csv
import glob
import json
import os
from pathlib import Path

from interns.errors import TaskError

__all__ = ["BatchInputError", "each_rows", "read_rows"]

MAX_ROWS = 100_000
"""The most rows one batch may have."""


class BatchInputError(TaskError):
    """A params file or glob that cannot give rows; the message names the file and the line."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of `NAME → VALUE` from a `.csv` (a header line of names) or `.jsonl` (an object a line) file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"{path}: cannot read the params file: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix == ".jsonl":
        rows = _jsonl_rows(text, path)
    elif path.suffix == ".csv":
        rows = _csv_rows(text, path)
    else:
        raise BatchInputError(f"{path}: a params file is .csv (a header of names) or .jsonl (an object a line)")
    if not rows:
        raise BatchInputError(f"{path}: no rows")
    if len(rows) > MAX_ROWS:
        raise BatchInputError(f"{path}: {len(rows)} rows; a batch takes at most {MAX_ROWS}")
    return rows


def _csv_rows(text: str, path: Path) -> list[dict[str, str]]:
    reader = csv.reader(text.splitlines())
    try:
        names = [name.strip() for name in next(reader)]
    except StopIteration:
        raise BatchInputError(f"{path}: empty; the first line names the params") from None
    if not all(names) or len(set(names)) != len(names):
        raise BatchInputError(f"{path}:1: the header must name each param once: {', '.join(names)}")
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(names):
            line = reader.line_num
            raise BatchInputError(f"{path}:{line}: {len(values)} values for {len(names)} params ({', '.join(names)})")
        rows.append(dict(zip(names, values, strict=True)))
    return rows


def _jsonl_rows(text: str, path: Path) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise BatchInputError(f"{path}:{number}: not JSON: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(v, str | int | float | bool) for v in data.values()):
            raise BatchInputError(f"{path}:{number}: each line must be an object of param names to plain values")
        rows.append({str(name): _text(value) for name, value in data.items()})
    return rows


def _text(value: str | int | float | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def each_rows(name: str, pattern: str, cwd: Path) -> list[dict[str, str]]:
    """One row per path matching `pattern` (relative to `cwd`, sorted), giving it as the param `name`."""
    matches = sorted(glob.glob(os.path.expanduser(pattern), root_dir=cwd))
    if not matches:
        raise BatchInputError(f"--each {pattern!r}: matches nothing in {cwd}")
    if len(matches) > MAX_ROWS:
        raise BatchInputError(f"--each {pattern!r}: {len(matches)} matches; a batch takes at most {MAX_ROWS}")
    return [{name: str((cwd / match).absolute())} for match in matches]
