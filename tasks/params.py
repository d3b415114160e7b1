"""Task parameters: `params:` declares them, `{{ name }}` in any text or path of the file uses them.

A run gives values as text (`-p notes_folder=~/notes`); each is read as its declared type, and a parameter left
out takes its default. The values are put into the file's data before it is validated, so a bad value is reported
like any field, with the line of the text that uses it.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.errors import Problem, field_path

__all__ = ["Param", "ParamName", "ParamValue", "apply_params", "param_values", "parse_assignments"]

ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
"""A parameter's name: lowercase letters, digits and '_', not starting with a digit."""
ParamType = Literal["str", "int", "float", "bool", "path"]
ParamValue = str | int | float | bool
"""A parameter's value once read as its type (a path is kept as text, `~` expanded)."""

_USE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
"""`{{ name }}` in a string of the task file."""
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


class Param(BaseModel):
    """One parameter a task takes, given with `-p NAME=VALUE` and used as `{{ NAME }}` in the file's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ParamType = "str"
    """How the value is read: `str`, `int`, `float`, `bool` or `path` (`~` expanded, relative to where you run)."""
    default: ParamValue | None = None
    """The value when a run gives none; without a default every run must give one."""
    description: str = ""
    """What the parameter is for, shown by `interns check`."""

    @field_validator("default")
    @classmethod
    def _default_has_the_type(cls, value: ParamValue | None, info: ValidationInfo) -> ParamValue | None:
        kind = info.data.get("type", "str")
        if value is None:
            return None
        try:
            return read_value(kind, value if isinstance(value, str) else _as_text(value), relative_to=None)
        except ValueError as exc:
            raise PydanticCustomError("param_default", "the default {problem}", {"problem": str(exc)}) from None


def _as_text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def read_value(kind: str, text: str, *, relative_to: Path | None) -> ParamValue:
    """`text` read as a parameter of type `kind`; a relative path is made absolute from `relative_to`, if given."""
    if kind == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"'{text}' is not an integer") from None
    if kind == "float":
        try:
            number = float(text.strip())
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"'{text}' is not a finite number")
        return number
    if kind == "bool":
        word = text.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError(f"'{text}' is not true or false")
        return word in _TRUE
    if kind == "path":
        if not text.strip():
            raise ValueError("is an empty path")
        path = Path(text).expanduser()
        return str(relative_to / path if relative_to is not None and not path.is_absolute() else path)
    return text


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` → `{"a": "1", "b": "x=y"}`; ValueError naming an item without `=` or given twice."""
    values: dict[str, str] = {}
    for item in assignments:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"-p {item!r}: write it as NAME=VALUE")
        if name.strip() in values:
            raise ValueError(f"-p {name.strip()}: given twice")
        values[name.strip()] = value
    return values


def param_values(declared: Mapping[str, Param], given: Mapping[str, str]) -> dict[str, ParamValue]:
    """The value of every declared parameter that has one: given (read as its type) or else its default."""
    values: dict[str, ParamValue] = {}
    for name, param in declared.items():
        if name in given:
            values[name] = read_value(param.type, given[name], relative_to=Path.cwd())
        elif param.default is not None:
            values[name] = param.default
    return values


def apply_params(doc: YamlDocument, file: Path, given: Mapping[str, str] | None) -> tuple[YamlDocument, list[Problem]]:
    """The document with every `{{ name }}` replaced by its value, and the problems found doing it.

    `given` None means no run is being started (`interns check`): a parameter without a value keeps a stand-in of its
    type, so the rest of the file is still checked. A string that is only `{{ name }}` takes the value's own type,
    so `workers: "{{ workers }}"` is a number.
    """
    data = doc.data
    raw = data.get("params") if isinstance(data, dict) else None
    declared = _declared(raw)
    problems: list[Problem] = []
    values: dict[str, object] = {}
    if declared is not None:
        values, problems = _values(*declared, doc, file, given)
    substituted = _substitute(data, (), values, doc, file, problems, skip=declared is None)
    return YamlDocument(data=substituted, lines=doc.lines, problems=doc.problems), problems


def _declared(raw: object) -> tuple[dict[str, Param], set[str]] | None:
    """The declared parameters, or None when `params` is not a mapping of names (validation reports it in place).

    A parameter whose own declaration is wrong (say, a default of the wrong type) is still declared, with its type
    and no default, so the rest of the file is checked with a stand-in for it rather than failing where it is used.
    """
    if raw is None:
        return {}, set()
    if not isinstance(raw, Mapping):
        return None
    declared: dict[str, Param] = {}
    broken: set[str] = set()
    for name, spec in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            return None
        try:
            declared[name] = Param.model_validate(spec if spec is not None else {})
        except ValueError:
            kind = spec.get("type") if isinstance(spec, Mapping) else None
            declared[name] = Param(type=kind if kind in _STAND_INS or kind in ("str", "path") else "str")
            broken.add(name)
    return declared, broken


_STAND_INS: dict[str, ParamValue] = {"int": 1, "float": 1.0, "bool": False}
"""Values of the right type put in place of a parameter that has none when no run is started."""


def _values(
    declared: dict[str, Param], broken: set[str], doc: YamlDocument, file: Path, given: Mapping[str, str] | None
) -> tuple[dict[str, object], list[Problem]]:
    problems: list[Problem] = []
    line = doc.line_of(("params",))
    for name in sorted((given or {}).keys() - declared.keys()):
        known = ", ".join(sorted(declared)) or "none"
        message = f"-p {name}: the task has no such parameter (it declares: {known})"
        problems.append(Problem(file, line, "params", message))
    values: dict[str, object] = {}
    for name, param in declared.items():
        where = ("params", name)
        if given is not None and name in given:
            try:
                values[name] = read_value(param.type, given[name], relative_to=Path.cwd())
                continue
            except ValueError as exc:
                problems.append(Problem(file, doc.line_of(where), field_path(where), f"-p {name}: {exc}"))
        elif param.default is not None:
            values[name] = param.default
            continue
        elif given is not None and name not in broken:  # a broken declaration is reported as such
            message = f"has no default, so a run must give it: -p {name}=..."
            problems.append(Problem(file, doc.line_of(where), field_path(where), message))
        values[name] = _STAND_INS.get(param.type, name)  # so the rest of the file is still checked
    return values, problems


def _substitute(
    value: object,
    path: PathKey,
    values: Mapping[str, object],
    doc: YamlDocument,
    file: Path,
    problems: list[Problem],
    *,
    skip: bool,
) -> object:
    """`value` with parameters put in, walking lists and mappings (not `params` itself, which declares them)."""
    if isinstance(value, dict):
        return {
            key: item
            if path == () and key == "params"
            else _substitute(item, (*path, key), values, doc, file, problems, skip=skip)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_substitute(item, (*path, i), values, doc, file, problems, skip=skip) for i, item in enumerate(value)]
    if not isinstance(value, str) or skip or "{{" not in value:
        return value
    unknown = sorted({name for name in _USE.findall(value) if name not in values})
    if unknown:
        message = ", ".join(f"{{{{ {name} }}}}" for name in unknown) + " names no parameter; declare it under params"
        problems.append(Problem(file, doc.line_of(path), field_path(path), message))
        return value
    whole = _USE.fullmatch(value.strip())
    if whole is not None:
        return values[whole.group(1)]
    return _USE.sub(lambda match: _as_text(values[match.group(1)]), value)
