"""The runtime: the supervisor, its workers and their tools, the policy, model selection and the CLI.

Names are imported on first use, so `interns runs` does not load the model libraries it never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interns.agents.gate.approval import Answer, Asker, NoOneToAsk, TerminalAsker
    from interns.agents.policy.decisions import Decision, Policy
    from interns.agents.runtime.supervisor import RunResult, Supervisor
    from interns.agents.worker.models import DEFAULT_MODEL, ModelChoice, ModelSetupError, select_model

_WHERE = {
    "Answer": "interns.agents.gate.approval",
    "Asker": "interns.agents.gate.approval",
    "NoOneToAsk": "interns.agents.gate.approval",
    "TerminalAsker": "interns.agents.gate.approval",
    "DEFAULT_MODEL": "interns.agents.worker.models",
    "ModelChoice": "interns.agents.worker.models",
    "ModelSetupError": "interns.agents.worker.models",
    "select_model": "interns.agents.worker.models",
    "Decision": "interns.agents.policy.decisions",
    "Policy": "interns.agents.policy.decisions",
    "RunResult": "interns.agents.runtime.supervisor",
    "Supervisor": "interns.agents.runtime.supervisor",
}

__all__ = [
    "DEFAULT_MODEL",
    "Answer",
    "Asker",
    "Decision",
    "ModelChoice",
    "ModelSetupError",
    "NoOneToAsk",
    "Policy",
    "RunResult",
    "Supervisor",
    "TerminalAsker",
    "select_model",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
