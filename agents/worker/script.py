"""A script of model turns: the YAML file a `scripted:FILE` model plays, read and checked (no pydantic-ai here).

A script maps agent names (step ids) to the turns that agent's model plays, in order:

    fix:
      - text: Let me run the tests first.
        call: {run: {command: python3 -m unittest}}
      - call: {edit: {path: calc.py, old: "a - b", new: "a + b"}}
      - final: Fixed add(), which subtracted.

A turn has optional `text`, then either tool calls (`call: {tool: args}` or `calls: [{tool: args}, ...]`) or a
`final` answer that ends the agent's run: a text, or a mapping for an agent with structured output (the supervisor's
plan, a review verdict). An agent's turns are played in order across all its requests — across retries of a step,
and across the separate reviews of a step (`<step>.review`) — so a script can fail a check on the first attempt and
fix it on the second. A script that runs out answers with a final text saying so. When a step's context is
summarized, `<step>.summary` plays the summaries, if the script has any; else the summarized calls are listed.
"""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interns.errors import TaskError

__all__ = ["Script", "ScriptError", "Turn", "load_script"]


class ScriptError(TaskError):
    """A script file that cannot be read or does not follow the format."""


class Turn(BaseModel):
    """One model response in a script."""

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    """Text the model says before its tool calls."""
    call: dict[str, dict[str, Any]] | None = None
    """One tool call: `{tool_name: {arg: value}}`."""
    calls: list[dict[str, dict[str, Any]]] = Field(default_factory=list)
    """Several tool calls made in the same turn."""
    final: str | dict[str, Any] | None = None
    """The agent's final answer, a text or a structured output; ends its run."""
    stop: str | None = None
    """Why the model stopped, as a provider says it (`max_tokens`, `refusal`...); by default `end_turn` or
    `tool_use`, a turn that finished."""

    @model_validator(mode="after")
    def _one_kind(self) -> "Turn":
        tool_calls = self.all_calls()
        if self.final is not None and tool_calls:
            raise ValueError("a turn has either tool calls or a final answer, not both")
        if self.final is None and not tool_calls:
            raise ValueError("a turn needs `call`, `calls` or `final`")
        if any(len(mapping) != 1 for mapping in ([self.call] if self.call else []) + self.calls):
            raise ValueError("each call is a mapping with exactly one tool name")
        return self

    def all_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The turn's tool calls as (tool, args) pairs, in order."""
        mappings = ([self.call] if self.call else []) + self.calls
        return [(name, args or {}) for mapping in mappings for name, args in mapping.items()]


class Script(BaseModel):
    """Turns keyed by agent name."""

    agents: dict[str, list[Turn]]
    path: Path


def load_script(path: str | Path) -> Script:
    """Read and validate a script file; errors name the file and the agent and turn at fault."""
    path = Path(path).expanduser()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScriptError(f"{path}: script file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScriptError(f"{path}: cannot read script: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ScriptError(f"{path}: a script maps each step id to a list of turns")
    agents: dict[str, list[Turn]] = {}
    for agent, turns in data.items():
        parsed = []
        for index, raw in enumerate(turns):
            try:
                parsed.append(Turn.model_validate(raw))
            except ValidationError as exc:
                problem = "; ".join(_short_error(e) for e in exc.errors())
                raise ScriptError(f"{path}: {agent}[{index}]: {problem}") from None
        agents[str(agent)] = parsed
    return Script(agents=agents, path=path)


def _short_error(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
