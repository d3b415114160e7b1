"""The JSON schema for editors, and the docstrings it is built from."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from interns import tasks
from interns.tasks import spec as spec_module
from interns.tasks.field_docs import field_docs
from interns.tasks.schema import task_models

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


def test_every_field_of_every_task_file_model_has_a_docstring() -> None:
    models = task_models()
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models.values()
        for name in model.model_fields
        if not field_docs(model).get(name, "").strip()
    ]

    assert set(models) >= {m.__name__ for m in spec_models()} | {"FileCheck", "McpServer", "NetworkRules", "Param"}
    assert undocumented == []


def test_a_field_docstring_is_read_as_written_and_a_subclass_keeps_its_bases_docs() -> None:
    done_when = field_docs(tasks.Step)["done_when"]

    assert done_when.startswith("Checks run after the worker stops")
    assert "\nor built-in checks" in done_when  # its second line, the source's indentation taken off
    assert field_docs(tasks.FileCheck)["file"]  # declared on FileCheck, whose base declares no fields
    assert list(field_docs(tasks.TaskSpec))[:3] == ["version", "name", "goal"]


def test_loading_a_task_file_reads_no_source() -> None:
    """Field docstrings are read for the schema only: a run loads its task without parsing the models' source."""
    code = (
        "import ast, sys\n"
        "parsed = []\n"
        "real = ast.parse\n"
        "ast.parse = lambda *a, **k: parsed.append(1) or real(*a, **k)\n"
        "from interns import tasks\n"
        f"tasks.load_text({GOOD!r}, __import__('pathlib').Path('task.yaml'))\n"
        "print(len(parsed))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "0"


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

    for model in task_models().values():
        properties = objects[model.__name__]["properties"]
        assert list(properties) == list(model.model_fields), model.__name__
        for name, doc in field_docs(model).items():
            assert properties[name]["description"] == doc, f"{model.__name__}.{name}"
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
