"""Built-in checks that cannot work as written: a bad schema file, `preserves` with nothing to read, no exemplars."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.checks import read_schema
from interns.tasks.errors import Problem, field_path


def check_problems(doc: YamlDocument, file: Path) -> list[Problem]:
    """Each `done_when` entry, task-level or a step's, that is well formed but could never pass, at its line."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    context = data.get("context")
    exemplars = context.get("exemplars") if isinstance(context, Mapping) else None
    has_exemplars = isinstance(exemplars, list) and bool(exemplars)
    problems: list[Problem] = []
    places: list[tuple[PathKey, Mapping[object, object] | None]] = [(("done_when",), None)]
    steps = data.get("steps")
    if isinstance(steps, list):
        places += [(("steps", i, "done_when"), s) for i, s in enumerate(steps) if isinstance(s, Mapping)]
    for at, step in places:
        entries = data.get("done_when") if step is None else step.get("done_when")
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            for key, message in _entry_problems(entry, step, file.expanduser().absolute().parent, has_exemplars):
                path = (*at, index, key)
                problems.append(Problem(file, doc.line_of(path), field_path(path), message))
    return problems


def _entry_problems(
    entry: Mapping[object, object], step: Mapping[object, object] | None, folder: Path, has_exemplars: bool
) -> list[tuple[str, str]]:
    """(key, message) for what is wrong with one built-in check."""
    found = []
    schema = entry.get("json_schema")
    if "file" in entry and isinstance(schema, str) and schema.strip():
        try:
            read_schema((folder / Path(schema).expanduser()).resolve())
        except ValueError as error:
            found.append(("json_schema", str(error)))
    rules = entry.get("preserves", False)
    if rules is None or isinstance(rules, Mapping):
        rules = rules or {}
        for side in ("input", "output"):
            if isinstance(rules.get(side), str):
                continue
            if step is None:
                found.append(("preserves", f"at the task level, preserves needs its own '{side}': no step's applies"))
            elif not isinstance(step.get(side), str):
                found.append(("preserves", f"needs an '{side}' file: give one here or set the step's '{side}'"))
    if "not_copied" in entry and not has_exemplars:
        found.append(("not_copied", "compares with context.exemplars, and this task names none"))
    return found
