"""What never enters a sandbox: the model providers' keys stay on the host, whatever a task passes in."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

__all__ = ["MODEL_KEY_VARIABLES", "sandbox_env", "withheld_names"]

MODEL_KEY_VARIABLES = frozenset({"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"})
"""The model loop runs on the host; these keys are its own and are never handed to a sandbox or an MCP server."""


def withheld_names(names: Iterable[str]) -> list[str]:
    """The names among `names` that are withheld, sorted, so a run can say it left them out."""
    return sorted(MODEL_KEY_VARIABLES.intersection(names))


def sandbox_env(names: Iterable[str], environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The host variables a task passes into its sandbox (`guardrails.env`): those set, less the withheld ones."""
    return {name: environ[name] for name in names if name in environ and name not in MODEL_KEY_VARIABLES}
