"""Network settings a local sandbox cannot honour: an allowlist on a step or on `workspace.setup`."""

from __future__ import annotations

from pathlib import Path

from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.errors import Problem, field_path
from interns.tasks.network import NetworkRules
from interns.tasks.spec import LOCAL_CANNOT_ALLOWLIST, TaskSpec


def network_problems(spec: TaskSpec, doc: YamlDocument, file: Path) -> list[Problem]:
    """Each allowlist a local sandbox would have to enforce, at its line (the task's own is refused by the model)."""
    if spec.guardrails.sandbox != "local":
        return []
    places: list[PathKey] = [
        ("steps", i, "network") for i, s in enumerate(spec.steps) if isinstance(s.network, NetworkRules)
    ]
    if isinstance(spec.workspace.network, NetworkRules):
        places.append(("workspace", "network"))
    return [Problem(file, doc.line_of(place), field_path(place), LOCAL_CANNOT_ALLOWLIST) for place in places]
