"""The runtime: the supervisor, its workers and their tools, the policy, model selection and the CLI.

Names are imported on first use, so `interns runs` does not load the model libraries it never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.approval import Answer, Asker, NoOneToAsk, TerminalAsker
    from agents.models import DEFAULT_MODEL, ModelChoice, ModelSetupError, select_model
    from agents.policy import Decision, Policy
    from agents.supervisor import RunResult, Supervisor

_WHERE = {
    "Answer": "agents.approval",
    "Asker": "agents.approval",
    "NoOneToAsk": "agents.approval",
    "TerminalAsker": "agents.approval",
    "DEFAULT_MODEL": "agents.models",
    "ModelChoice": "agents.models",
    "ModelSetupError": "agents.models",
    "select_model": "agents.models",
    "Decision": "agents.policy",
    "Policy": "agents.policy",
    "RunResult": "agents.supervisor",
    "Supervisor": "agents.supervisor",
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
