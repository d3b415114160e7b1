"""interns: manage agents like interns. Task files, supervised workers in sandboxes, and a journal of every run.

    import interns

    result = interns.run_task("task.yaml", model="scripted:script.yaml")
    print(result.status, result.run_dir)

The installed package holds the repository's folders as subpackages: `interns.agents` (the runtime and the CLI),
`interns.tasks` (the task file), `interns.sandbox` (where workers act), `interns.journal` (every run, recorded) and
`interns.prompts` (the prompt templates). Names here are imported on first use, so `import interns` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interns.agents.runtime.runner import Runner, resume_run, retry_run, run_task
    from interns.agents.runtime.supervisor import RunResult
    from interns.errors import EnvironmentProblem, InternsError, RunError, TaskError

_WHERE = {
    "Runner": "interns.agents.runtime.runner",
    "run_task": "interns.agents.runtime.runner",
    "retry_run": "interns.agents.runtime.runner",
    "resume_run": "interns.agents.runtime.runner",
    "RunResult": "interns.agents.runtime.supervisor",
    "InternsError": "interns.errors",
    "TaskError": "interns.errors",
    "EnvironmentProblem": "interns.errors",
    "RunError": "interns.errors",
}

__all__ = [
    "EnvironmentProblem",
    "InternsError",
    "RunError",
    "RunResult",
    "Runner",
    "TaskError",
    "resume_run",
    "retry_run",
    "run_task",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module 'interns' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
