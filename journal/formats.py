"""The on-disk format's version and the hooks that upgrade what older versions wrote, as read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMAT_VERSION = 1
"""The version of `run.json` and `events.jsonl` this code writes. Version 0 means "written before the format
carried a version"; nothing was released in it, but readers treat a header without `format_version` as 0."""

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def _header_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 added `scripted`, which follows from the model string."""
    return data | {"format_version": 1, "scripted": str(data.get("model", "")).startswith("scripted:")}


HEADER_UPGRADES: dict[int, Upgrade] = {0: _header_0_to_1}
"""For each older version, the step that turns a `run.json` of it into one of the next version."""

EVENT_UPGRADES: dict[int, Upgrade] = {}
"""For each older version whose events differ from the next version's, the step that upgrades one event line."""


def stored_version(data: dict[str, Any]) -> int:
    """The format version a decoded `run.json` was written in."""
    version = data.get("format_version", 0)
    return version if isinstance(version, int) else 0


def upgrade_header(data: dict[str, Any]) -> dict[str, Any]:
    """A decoded `run.json` of any older version, upgraded to `FORMAT_VERSION`; a newer one is left as it is."""
    version = stored_version(data)
    while version < FORMAT_VERSION:
        data = HEADER_UPGRADES[version](data)
        version = stored_version(data)
    return data


def upgrade_event(data: dict[str, Any], version: int) -> dict[str, Any]:
    """One decoded event line written in format `version`, upgraded to `FORMAT_VERSION`."""
    for step in range(version, FORMAT_VERSION):
        if step in EVENT_UPGRADES:
            data = EVENT_UPGRADES[step](data)
    return data
