"""Checks on MCP servers across the file: unique server names, and steps that name only servers the task has."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from interns.tasks._validation import suggestion
from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.errors import Problem, field_path


def mcp_problems(doc: YamlDocument, file: Path) -> list[Problem]:
    """A server name used twice, and a step's `mcp` entry naming no server of the task, each at its line."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    problems: list[Problem] = []

    def report(path: PathKey, message: str) -> None:
        problems.append(Problem(file, doc.line_of(path), field_path(path), message))

    servers = data.get("mcp")
    first: dict[str, int] = {}
    for index, server in enumerate(servers if isinstance(servers, list) else []):
        name = server.get("name") if isinstance(server, Mapping) else None
        if not isinstance(name, str):
            continue
        if name in first:
            first_line = doc.line_of(("mcp", first[name], "name"))
            report(("mcp", index, "name"), f"duplicate MCP server name '{name}' (first used at line {first_line})")
        else:
            first[name] = index
    steps = data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        chosen = step.get("mcp") if isinstance(step, Mapping) else None
        for position, name in enumerate(chosen if isinstance(chosen, list) else []):
            if isinstance(name, str) and name not in first:
                known = ", ".join(f"'{n}'" for n in first) or "none"
                message = f"the task has no MCP server '{name}'{suggestion(name, first)}; its servers: {known}"
                report(("steps", index, "mcp", position), message)
    return problems
