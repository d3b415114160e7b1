"""The errors interns raises on purpose, split by who must act on them.

    InternsError
    ├── TaskError            the task author: a bad task file, a rule that cannot match, a script that lacks turns
    ├── EnvironmentProblem   the environment: a sandbox backend, a model provider, git or an MCP server unavailable
    └── RunError             the run: a limit, a failed step, a run that cannot go on or cannot land

The command line maps each branch to one exit code (`interns.agents.cli.common.exit_code_of`). This module
imports nothing, so every package may import it, `sandbox` and `tasks` included.
"""

from __future__ import annotations

__all__ = ["EnvironmentProblem", "InternsError", "RunError", "TaskError"]


class InternsError(Exception):
    """Base of every error interns raises on purpose; its message says what went wrong and what to do."""


class TaskError(InternsError):
    """The task author must act: the task file, its rules, its examples or its script are wrong."""


class EnvironmentProblem(InternsError):
    """The environment must act: a sandbox backend, a model provider, git or a server is missing or broken."""


class RunError(InternsError):
    """The run went wrong or cannot do what was asked: a limit, a failed step, nothing to resume or to accept."""
