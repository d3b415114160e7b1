"""Task files: the schema (`TaskSpec`), the loader with file:line problems, the step graph and the JSON schema."""

from tasks.errors import Problem, TaskFileError
from tasks.graph import find_cycle, plan_levels, topological_order
from tasks.loader import load, load_text
from tasks.schema import json_schema
from tasks.spec import (
    ALL_TOOLS,
    CommandExamples,
    CommandRules,
    Context,
    FolderWorkspace,
    Guardrails,
    Limits,
    Outputs,
    RepoWorkspace,
    Review,
    Step,
    TaskSpec,
)

__all__ = [
    "ALL_TOOLS",
    "CommandExamples",
    "CommandRules",
    "Context",
    "FolderWorkspace",
    "Guardrails",
    "Limits",
    "Outputs",
    "Problem",
    "RepoWorkspace",
    "Review",
    "Step",
    "TaskFileError",
    "TaskSpec",
    "find_cycle",
    "json_schema",
    "load",
    "load_text",
    "plan_levels",
    "topological_order",
]
