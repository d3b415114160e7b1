"""The task file's JSON schema, for editors (`# yaml-language-server: $schema=...`) and other tools."""

from __future__ import annotations

from typing import Any

from interns.tasks.spec import TaskSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect pydantic writes."""


def json_schema() -> dict[str, Any]:
    """The JSON schema of a task file (format version 1), field docstrings as descriptions."""
    body = TaskSpec.model_json_schema(mode="validation")
    body.pop("title", None)
    return {"$schema": SCHEMA_DIALECT, "title": "interns task file (format version 1)", **body}
