"""The JSON schema for editors, and the docstrings it is built from."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from interns import tasks
from interns.tasks import spec as spec_module

GOOD = """\
version: 1
name: schema-check
goal: Check the schema.
workspace: {repo: ., base: main}
steps:
  - {id: a, instructions: A., tools: [read]}
  - {id: b, instructions: B., needs: [a], done_when: [make]}
guardrails: {sandbox: local, limits: {turns: 3, cost_usd: 1.5}}
review: {retries: 0}
"""


def spec_models() -> list[type[BaseModel]]:
    """Every pydantic model defined in tasks/spec.py."""
    return [
        model
        for _, model in inspect.getmembers(spec_module, inspect.isclass)
        if issubclass(model, BaseModel) and model.__module__ == spec_module.__name__ and model.model_fields
    ]


def test_every_field_of_every_spec_model_has_a_description() -> None:
    models = spec_models()
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]

    assert {m.__name__ for m in models} >= {"TaskSpec", "Step", "Guardrails", "Limits", "Context", "RepoWorkspace"}
    assert undocumented == []


def test_the_schema_has_a_dialect_a_title_and_the_required_keys() -> None:
    schema = tasks.json_schema()

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "interns task file (format version 1)"
    assert schema["required"] == ["version", "name", "goal", "workspace"]
    assert schema["additionalProperties"] is False
    json.dumps(schema)  # an editor reads it as JSON


def test_schema_properties_match_the_model_fields_and_carry_their_descriptions() -> None:
    schema = tasks.json_schema()
    objects: dict[str, dict[str, Any]] = {"TaskSpec": schema, **schema["$defs"]}

    for model in spec_models():
        properties = objects[model.__name__]["properties"]
        assert list(properties) == list(model.model_fields), model.__name__
        for name, field in model.model_fields.items():
            assert properties[name]["description"] == field.description, f"{model.__name__}.{name}"
        assert objects[model.__name__]["additionalProperties"] is False, model.__name__


def test_the_schema_offers_the_allowed_values_of_literals() -> None:
    schema = tasks.json_schema()

    assert schema["$defs"]["Guardrails"]["properties"]["sandbox"]["enum"] == ["bubblewrap", "docker", "local"]
    assert schema["$defs"]["Step"]["properties"]["tools"]["items"]["enum"] == list(tasks.ALL_TOOLS)
    assert schema["properties"]["workspace"]["anyOf"] == [
        {"$ref": "#/$defs/RepoWorkspace"},
        {"$ref": "#/$defs/FolderWorkspace"},
    ]


def test_the_schema_validates_a_good_file_and_refuses_a_bad_one(write_task: Callable[..., Path]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = tasks.json_schema()
    good = yaml.safe_load(GOOD)
    tasks.load(write_task(GOOD))  # the same data passes the loader

    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "workspace": {"repo": ".", "folder": "."}}, schema)
