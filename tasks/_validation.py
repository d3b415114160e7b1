"""Validate task data with pydantic and turn every error into a Problem a person can act on."""

from __future__ import annotations

import difflib
import math
import types
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.errors import Problem, field_path
from interns.tasks.spec import EnvName, FolderWorkspace, RepoWorkspace, StepId, TaskSpec, Text

_WORKSPACE_KINDS: dict[str, type[BaseModel]] = {"repo": RepoWorkspace, "folder": FolderWorkspace}
_WORKSPACE_HELP = "'repo' (a git repository) or 'folder' (a plain folder)"
_STEP_ID_PATTERN = get_args(StepId)[1].pattern
_TEXT_PATTERN = get_args(Text)[1].pattern
_ENV_NAME_PATTERN = get_args(EnvName)[1].pattern
_CUSTOM_ERRORS = {
    "glob_outside_workspace",
    "check_kind",
    "mcp_server",
    "param_default",
    "host_pattern",
    "network_rules",
}
"""Errors raised by spec.py's own validators, whose messages are already written for a person."""

_INTEGER_ERRORS = {"int_type", "int_parsing", "int_parsing_size", "int_from_float"}
_NUMBER_ERRORS = {"float_type", "float_parsing"}
_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "path_type": "a path (a string)",
    **dict.fromkeys(_INTEGER_ERRORS, "an integer"),
    **dict.fromkeys(_NUMBER_ERRORS, "a number"),
}


def validate(doc: YamlDocument, file: Path) -> tuple[TaskSpec | None, list[Problem]]:
    """The validated spec, or None and one Problem per thing pydantic found wrong."""
    try:
        return TaskSpec.model_validate(doc.data), []
    except ValidationError as error:
        details = error.errors(include_url=False)
    data = doc.data if isinstance(doc.data, Mapping) else {}
    details, problems = _untangle_workspace(details, data, doc, file)
    for detail in details:
        shown, target, model = _walk(detail["loc"])
        at = shown
        if detail["type"] == "invalid_key":
            # pydantic writes the bad key into the location; the field at fault is the mapping holding it
            shown = shown[:-1]
            at = (*shown, detail["input"])
        problems.append(Problem(file, doc.line_of(at), field_path(shown), _message(detail, target, model)))
    return None, problems


def suggestion(word: object, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close to `word`, else an empty string."""
    text, options = str(word), list(choices)
    close = difflib.get_close_matches(text, options, n=1)
    # a longer or shorter spelling of a key (`repository` for `repo`) is too far apart for difflib's ratio
    close = close or [option for option in options if min(len(option), len(text)) >= 3 and _prefixed(option, text)]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _prefixed(first: str, second: str) -> bool:
    return first.startswith(second) or second.startswith(first)


def shown_value(value: object) -> str:
    """A value from the file written back the way a reader would recognise it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")  # as YAML writes them
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return f"'{text}'"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


def _untangle_workspace(
    details: list[ErrorDetails], data: Mapping[Hashable, object], doc: YamlDocument, file: Path
) -> tuple[list[ErrorDetails], list[Problem]]:
    """Replace pydantic's errors for both branches of the workspace union with what the person got wrong."""
    branch_errors = [d for d in details if d["loc"][:1] == ("workspace",) and len(d["loc"]) > 1]
    if not branch_errors:
        return details, []
    rest = [d for d in details if d not in branch_errors]
    raw = data.get("workspace")
    line = doc.line_of(("workspace",))
    if not isinstance(raw, Mapping):
        message = f"expected a mapping with {_WORKSPACE_HELP}, got {shown_value(raw)}"
        return rest, [Problem(file, line, "workspace", message)]
    kinds = [kind for kind in _WORKSPACE_KINDS if kind in raw]
    if len(kinds) == 1:
        chosen = _WORKSPACE_KINDS[kinds[0]].__name__
        return rest + [d for d in branch_errors if d["loc"][1] == chosen], []
    message = f"give either {_WORKSPACE_HELP}, not both" if kinds else f"needs {_WORKSPACE_HELP}"
    problems = [Problem(file, line, "workspace", message)]
    known = {name for model in _WORKSPACE_KINDS.values() for name in model.model_fields}
    for key in raw:
        if key not in known:
            path = ("workspace", key)
            message = f"unknown key '{key}'{suggestion(key, sorted(known))}"
            problems.append(Problem(file, doc.line_of(path), field_path(path), message))
    return rest, problems


def _walk(loc: Sequence[int | str]) -> tuple[PathKey, Any, type[BaseModel] | None]:
    """Follow an error location through the models: the path as the file has it, the type there, its model."""
    current: Any = TaskSpec
    model: type[BaseModel] | None = None
    shown: list[int | str] = []
    for part in loc:
        current = _unwrap(current)
        if get_origin(current) in (Union, types.UnionType) and isinstance(part, str):
            # pydantic names the union member it tried; the file has no such key
            current = next((m for m in get_args(current) if getattr(_unwrap(m), "__name__", None) == part), None)
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            model = current
            info = current.model_fields.get(part)
            current = info.annotation if info is not None else None
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        else:
            current = None
        shown.append(part)
    return tuple(shown), _unwrap(current), model


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `| None`, which do not change what the file should hold."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, types.UnionType):
            members = [m for m in get_args(annotation) if m is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _message(detail: ErrorDetails, target: Any, model: type[BaseModel] | None) -> str:
    kind = detail["type"]
    value = detail.get("input")
    ctx = detail.get("ctx") or {}
    name = detail["loc"][-1] if detail["loc"] else ""
    if kind == "extra_forbidden":
        if model is FolderWorkspace and name == "base":
            return "unknown key 'base': a base commit only goes with 'repo', a folder has none"
        return f"unknown key '{name}'{suggestion(name, model.model_fields if model else [])}"
    if kind == "missing":
        return f"required key '{name}' is missing"
    if kind == "invalid_key":
        return f"keys must be strings, got {shown_value(value)}"
    if kind in _CUSTOM_ERRORS:
        return detail["msg"]
    if kind in _INTEGER_ERRORS and isinstance(value, float) and value.is_integer():
        return f"expected an integer, got {shown_value(value)}; write it as {int(value)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {shown_value(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {shown_value(value)}"
    if kind == "literal_error":
        return _literal_message(name, value, target, ctx)
    if kind == "string_pattern_mismatch":
        return _pattern_message(name, value, ctx.get("pattern"))
    bounds = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most"}
    if kind in bounds:
        limit = _number(next(iter(ctx.values()), "?"))
        return f"must be {bounds[kind]} {limit}, got {shown_value(value)}"
    text = detail["msg"]
    return f"{text[:1].lower()}{text[1:]}, got {shown_value(value)}"


def _pattern_message(name: object, value: object, pattern: object) -> str:
    if pattern == _STEP_ID_PATTERN:
        what = "task name" if name == "name" else "step id"
        return (
            f"{shown_value(value)} is not a valid {what}: use up to 63 lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    if pattern == _TEXT_PATTERN:
        return "must not be empty; name a model or leave the key out" if name == "model" else "must not be empty"
    if pattern == _ENV_NAME_PATTERN:
        return (
            f"{shown_value(value)} is not a valid environment variable name: use letters, digits and '_', "
            "not starting with a digit"
        )
    return f"must match the pattern {pattern}, got {shown_value(value)}"


def _literal_message(name: object, value: object, target: Any, ctx: Mapping[str, Any]) -> str:
    allowed = list(get_args(target)) if get_origin(target) is Literal else []
    if name == "version":
        return f"unsupported format version {shown_value(value)}; this interns reads version 1 (write `version: 1`)"
    if not allowed:
        return f"must be {ctx.get('expected', 'one of the allowed values')}, got {shown_value(value)}"
    choices = ", ".join(f"'{choice}'" for choice in allowed)
    hint = suggestion(value, [str(choice) for choice in allowed]) if isinstance(value, str) else ""
    return f"must be one of {choices}; got {shown_value(value)}{hint}"


def _number(value: object) -> object:
    """`0.0` → `0`: a bound written as the file would write it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
