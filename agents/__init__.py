"""The runtime: the supervisor, its workers and their tools, the policy, model selection and the CLI."""

from agents.approval import Answer, Asker, NoOneToAsk, TerminalAsker
from agents.models import DEFAULT_MODEL, ModelChoice, ModelSetupError, select_model
from agents.policy import Decision, Policy
from agents.supervisor import RunResult, Supervisor

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
