"""The task file's JSON schema, for editors (`# yaml-language-server: $schema=...`) and other tools."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from interns.tasks.field_docs import field_docs
from interns.tasks.spec import TaskSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect pydantic writes."""


def json_schema() -> dict[str, Any]:
    """The JSON schema of a task file (format version 1), field docstrings as descriptions."""
    body = TaskSpec.model_json_schema(mode="validation")
    body.pop("title", None)
    definitions = body.get("$defs", {})
    for name, model in task_models().items():
        target = body if model is TaskSpec else definitions.get(name)
        if target is not None:
            _describe(target.get("properties", {}), model)
    return {"$schema": SCHEMA_DIALECT, "title": "interns task file (format version 1)", **body}


def task_models() -> dict[str, type[BaseModel]]:
    """Every model a task file is made of, from `TaskSpec` down, by class name (the schema's name for each)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            known = found.setdefault(annotation.__name__, annotation)
            if known is not annotation:
                raise TypeError(f"two task-file models are named {annotation.__name__}: the schema needs one of each")
            if annotation not in visited:
                visited.add(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in typing.get_args(annotation):
            visit(argument)

    visited: set[type[BaseModel]] = set()
    visit(TaskSpec)
    return found


def _describe(properties: dict[str, dict[str, Any]], model: type[BaseModel]) -> None:
    """Give each property of `model` its field's docstring, keys kept in the sorted order pydantic writes."""
    for name, doc in field_docs(model).items():
        if name in properties:
            properties[name] = dict(sorted({**properties[name], "description": doc}.items()))
