"""What a run's journal redacts: the host's secret-looking variables, and every value the task hands out."""

from __future__ import annotations

import os
from collections.abc import Mapping

from interns.journal import Redactor
from interns.tasks import TaskSpec

__all__ = ["passed_variables", "run_redactor"]


def passed_variables(spec: TaskSpec) -> list[str]:
    """The host variables a run hands out: to its sandboxes (`guardrails.env`) and to its MCP servers."""
    return sorted({*spec.guardrails.env, *(name for server in spec.mcp for name in server.env)})


def run_redactor(spec: TaskSpec, environ: Mapping[str, str] | None = None) -> Redactor:
    """The redactor of a run of `spec`: a value it hands out is secret whatever its variable's name."""
    return Redactor.from_environ(os.environ if environ is None else environ, passed=passed_variables(spec))
