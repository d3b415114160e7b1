"""Choosing the model a run uses: a pydantic-ai model string, Anthropic by default, or a scripted model offline."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from interns.agents.worker.script import Script, ScriptError, load_script
from interns.errors import EnvironmentProblem
from interns.tasks import ModelEndpoint, ModelSettingsSpec
from interns.tasks.spec import PROVIDER_PREFIXES

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from pydantic_ai.settings import ModelSettings

# pydantic-ai and each provider's SDK are imported where a model is made: a run journals its start before it loads
# them, and a scripted run never loads a provider's SDK at all.

__all__ = ["DEFAULT_MODEL", "ModelChoice", "ModelSetupError", "select_model"]

DEFAULT_MODEL = "anthropic:claude-sonnet-4-6"

WORKER_MAX_TOKENS = 8192
SUPERVISOR_MAX_TOKENS = 4096
"""Sent when a task sets no `max_tokens`: without one, an OpenAI-compatible server may let one reply run for minutes."""

SETUP_HELP = """\
No model is set up for this run.

  - For Anthropic (the default), set your API key:   export ANTHROPIC_API_KEY=sk-ant-...
  - Or name any pydantic-ai model:                    interns run TASK --model openai:gpt-5.2
  - Or a local OpenAI-compatible server (llama.cpp, Ollama, vLLM): set OPENAI_BASE_URL and use openai-chat:NAME
  - Or run offline with a script of model turns:     interns run TASK --model scripted:path/to/script.yaml
"""


class ModelSetupError(EnvironmentProblem):
    """The model cannot be used as configured; the message says what to do."""


@dataclass
class ModelChoice:
    """The model of a run: its name as journaled, and a model instance for each agent."""

    name: str
    settings: ModelSettings | None = None
    """The provider's own settings (Anthropic's prompt caching); the task's are laid over them per agent."""
    script: Script | None = None
    supervisor: ModelChoice | None = None
    """The model of the supervisor's own agents (plan, reviews, rubric judges), when the task names one."""
    task_settings: ModelSettingsSpec | None = None
    """The task's `model_settings`, laid over the provider's for every agent of the run."""
    _model: Model | None = field(default=None, repr=False)
    _scripted: dict[str, Model] = field(default_factory=dict, repr=False)
    _clients: list[Any] = field(default_factory=list, repr=False)
    """HTTP clients made for this model's providers, closed with `aclose` when the run ends."""

    async def aclose(self) -> None:
        """Close the HTTP clients made for this model (and the supervisor's), so no connection is left open."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        if self.supervisor is not None:
            await self.supervisor.aclose()

    def check_script_covers(self, agents: list[str]) -> None:
        """Refuse a script with no turns for one of the agents (steps, reviews, rubric judges), which would let a step
        pass doing nothing or leave a check unjudged."""
        if self.script is None:
            return
        if missing := [a for a in agents if not self.script.agents.get(a)]:
            keys = ", ".join(self.script.agents) or "none"
            raise ModelSetupError(f"{self.script.path}: no turns for {', '.join(missing)} (its keys: {keys})")

    @property
    def scripted(self) -> bool:
        """Whether this is a scripted (offline, not real) model."""
        return self.script is not None

    def for_agent(self, agent: str) -> Model:
        """The model the agent named `agent` talks to: a step id, `<step>.review`, `<step>.rubric`, `rubric`, `plan`."""
        if self.supervisor is not None and is_supervisors(agent):
            return self.supervisor.for_agent(agent)
        if self.script is not None:
            from interns.agents.worker.scripted import scripted_model

            if agent not in self._scripted:
                self._scripted[agent] = scripted_model(self.script, agent)
            return self._scripted[agent]
        assert self._model is not None
        return self._model

    def settings_for(self, agent: str, step: ModelSettingsSpec | None = None) -> ModelSettings | None:
        """The settings the agent's requests carry: its model's own, the task's over them, a step's over those."""
        supervisors = is_supervisors(agent)
        own = self.supervisor.settings if self.supervisor is not None and supervisors else self.settings
        merged: dict[str, object] = {"max_tokens": SUPERVISOR_MAX_TOKENS if supervisors else WORKER_MAX_TOKENS}
        merged.update(own or {})
        for layer in (self.task_settings, step):
            if layer is not None:
                merged.update(layer.sent())
        return cast("ModelSettings", merged)


def is_supervisors(agent: str) -> bool:
    """Whether the agent is one of the supervisor's own: the planner, a step's review, a rubric's or facts' judge."""
    return agent in ("plan", "rubric", "facts") or agent.endswith((".review", ".rubric", ".facts"))


def select_model(
    spec_model: str | None,
    override: str | None = None,
    *,
    supervisor: str | None = None,
    endpoints: Mapping[str, ModelEndpoint] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ModelChoice:
    """Pick the model: `--model`, else the task file's `model:`, else Anthropic when `ANTHROPIC_API_KEY` is set;
    and the supervisor's own, when the task names one and `--model` does not put the whole run on a script.
    `endpoints` (the task's `models:`) name servers of the user's own by prefix."""
    env = os.environ if environ is None else environ
    choice = _select(spec_model, override, env, endpoints or {})
    if supervisor and not choice.scripted:
        choice.supervisor = _select(supervisor, None, env, endpoints or {})
    return choice


def _select(
    spec_model: str | None, override: str | None, env: Mapping[str, str], endpoints: Mapping[str, ModelEndpoint]
) -> ModelChoice:
    name = override or spec_model
    if not name:
        if not env.get("ANTHROPIC_API_KEY"):
            raise ModelSetupError(SETUP_HELP)
        name = DEFAULT_MODEL
    if name.startswith("scripted:"):
        if not name.removeprefix("scripted:").strip():
            raise ModelSetupError("scripted: needs the path of a script file, as in scripted:path/to/script.yaml")
        path = Path(name.removeprefix("scripted:")).expanduser().resolve()
        try:
            script = load_script(path)
        except ScriptError as exc:
            raise ModelSetupError(str(exc)) from None
        return ModelChoice(name=f"scripted:{path}", script=script)
    prefix, _, model_name = name.partition(":")
    if (endpoint := _endpoint(prefix, endpoints, env)) is not None:
        return _on_endpoint(name, model_name, endpoint, env)
    if name.startswith("anthropic:") and not env.get("ANTHROPIC_API_KEY"):
        raise ModelSetupError(f"The model {name!r} needs ANTHROPIC_API_KEY.\n\n" + SETUP_HELP)
    if name.startswith("anthropic:"):
        return _anthropic(name, env)
    from pydantic_ai.exceptions import UserError
    from pydantic_ai.models import infer_model

    try:
        model = infer_model(name)
    except UserError as exc:
        hint = ""
        if model_name and prefix not in PROVIDER_PREFIXES:
            hint = (
                f"\nIf {prefix!r} is a server of yours, name it: `models: {{{prefix}: {{base_url: URL}}}}` in the task "
                f"file, or {_env_name(prefix)}=URL (an OpenAI-compatible server's /v1 address)."
            )
        raise ModelSetupError(f"Cannot use the model {name!r}: {exc}{hint}") from None
    except ImportError as exc:
        raise ModelSetupError(f"The model {name!r} needs an extra package: {exc}") from None
    return ModelChoice(name=name, _model=model)


def _anthropic(name: str, env: Mapping[str, str]) -> ModelChoice:
    """Anthropic with its key (and any ANTHROPIC_BASE_URL) from `env`, and prompt caching on."""
    from pydantic_ai.models.anthropic import AnthropicModel, AnthropicModelSettings
    from pydantic_ai.providers.anthropic import AnthropicProvider

    from interns.agents.worker.retries import watched_client

    client = watched_client()
    provider = AnthropicProvider(
        api_key=env["ANTHROPIC_API_KEY"], base_url=env.get("ANTHROPIC_BASE_URL") or None, http_client=client
    )
    settings = AnthropicModelSettings(
        anthropic_cache_instructions=True,
        anthropic_cache_tool_definitions=True,
        anthropic_cache_messages=True,
    )
    model = AnthropicModel(name.removeprefix("anthropic:"), provider=provider)
    return ModelChoice(name=name, settings=settings, _model=model, _clients=[client])


def _env_name(prefix: str) -> str:
    """The variable that names the server of a model prefix: INTERNS_BASE_URL_<PREFIX>."""
    return "INTERNS_BASE_URL_" + prefix.upper().replace("-", "_")


def _endpoint(prefix: str, endpoints: Mapping[str, ModelEndpoint], env: Mapping[str, str]) -> ModelEndpoint | None:
    """The server a prefix names: the variable, set, wins over the task file (a person's machine over the file)."""
    if url := env.get(_env_name(prefix), "").strip():
        known = endpoints.get(prefix)
        return known.model_copy(update={"base_url": url}) if known else ModelEndpoint(base_url=url)
    return endpoints.get(prefix)


def _on_endpoint(name: str, model_name: str, endpoint: ModelEndpoint, env: Mapping[str, str]) -> ModelChoice:
    """The model `model_name` on a server the user named, with its key from the variable the endpoint names."""
    key = env.get(endpoint.api_key_env, "") if endpoint.api_key_env else ""
    if endpoint.api_key_env and not key:
        raise ModelSetupError(f"The model {name!r} needs {endpoint.api_key_env}, which is not set.")
    from interns.agents.worker.retries import watched_client

    if endpoint.api == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        client = watched_client()
        provider = AnthropicProvider(api_key=key or "none", base_url=endpoint.base_url, http_client=client)
        return ModelChoice(name=name, _model=AnthropicModel(model_name, provider=provider), _clients=[client])
    from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = watched_client()
    openai = OpenAIProvider(base_url=endpoint.base_url, api_key=key or "none", http_client=client)
    kind = OpenAIChatModel if endpoint.api == "openai-chat" else OpenAIResponsesModel
    return ModelChoice(name=name, _model=kind(model_name, provider=openai), _clients=[client])
