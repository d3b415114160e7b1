"""Runs in the peers' virtualenv (see peers.py), never imported by the harness: drives mini-swe-agent, counts tokens.

python peer_driver.py steps N WORKDIR   # N `true` steps, trajectory saved; prints per-step seconds as JSON
python peer_driver.py prompt TASK       # mini-swe-agent's fixed prompt and tool schema for TASK, as JSON
python peer_driver.py tokens < {"name": "text", ...}   # token counts by offline BPE tokenizers, as JSON
python peer_driver.py solve < {"task": ..., "workdir": ..., ...}   # one attempt with a real model (solve_rate.py)
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml


def _mini_config(name: str = "mini.yaml") -> dict[str, Any]:
    from minisweagent.config import builtin_config_dir  # type: ignore[import-not-found]

    return yaml.safe_load((Path(builtin_config_dir) / name).read_text())


def run_steps(n: int, workdir: Path) -> dict[str, Any]:
    """mini-swe-agent's DefaultAgent, local environment and mini.yaml config, with its deterministic tool-call model
    issuing `true` n times and then submitting; the trajectory is saved after every step, as `mini` does."""
    from minisweagent.agents.default import DefaultAgent  # type: ignore[import-not-found]
    from minisweagent.environments.local import LocalEnvironment  # type: ignore[import-not-found]
    from minisweagent.models.test_models import (  # type: ignore[import-not-found]
        DeterministicToolcallModel,
        make_toolcall_output,
    )

    def turn(index: int, command: str) -> dict[str, Any]:
        call_id = f"call_{index}"
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": "bash", "arguments": json.dumps({"command": command})},
        }
        return make_toolcall_output(None, [call], [{"command": command, "tool_call_id": call_id}])

    config = _mini_config()
    outputs = [turn(i, "true") for i in range(n)] + [turn(n, "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT")]
    model = DeterministicToolcallModel(outputs=outputs, observation_template=config["model"]["observation_template"])
    env = LocalEnvironment(cwd=str(workdir), **config.get("environment", {}))
    stamps: list[float] = []

    class TimedAgent(DefaultAgent):
        def query(self) -> dict[str, Any]:
            stamps.append(time.perf_counter())  # a step runs from one query to the next, the save included
            return super().query()

    agent_config = {k: v for k, v in config["agent"].items() if k != "mode"}
    agent_config.update(cost_limit=0, step_limit=0, output_path=workdir / "trajectory.json")
    agent = TimedAgent(model, env, **agent_config)
    started = time.perf_counter()
    result = agent.run("Run `true` until told to stop.")
    total = time.perf_counter() - started
    if result.get("exit_status") != "Submitted":
        raise SystemExit(f"mini-swe-agent did not finish its steps: {result}")
    per_step = [b - a for a, b in itertools.pairwise(stamps)]
    size = (workdir / "trajectory.json").stat().st_size
    return {"per_step_s": per_step, "total_s": total, "trajectory_bytes": size}


def fixed_prompt(task: str) -> dict[str, Any]:
    """The system and first user message mini-swe-agent sends for `task` (mini.yaml), and its one tool's schema."""
    from jinja2 import StrictUndefined, Template
    from minisweagent.environments.local import LocalEnvironment
    from minisweagent.models.utils.actions_toolcall import BASH_TOOL  # type: ignore[import-not-found]

    config = _mini_config()
    variables = {**config["agent"], **LocalEnvironment().get_template_vars(), "task": task}
    system, instance = (
        Template(config["agent"][name], undefined=StrictUndefined).render(**variables)
        for name in ("system_template", "instance_template")
    )
    return {"system": system, "instance": instance, "tools": [BASH_TOOL]}


def count_tokens(texts: dict[str, str]) -> dict[str, Any]:
    """Token counts of each text by cl100k_base (tiktoken) and Anthropic's published legacy BPE, both offline:
    litellm ships the tiktoken file and the tokenizer.json, and Claude's current tokenizer is not public."""
    spec = find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations
    files = Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(files))
    import tiktoken  # type: ignore[import-not-found]
    from tokenizers import Tokenizer  # type: ignore[import-not-found]

    cl100k = tiktoken.get_encoding("cl100k_base")
    legacy = Tokenizer.from_file(str(files / "anthropic_tokenizer.json"))
    return {
        name: {"cl100k_base": len(cl100k.encode(text)), "anthropic_legacy": len(legacy.encode(text).ids)}
        for name, text in texts.items()
    }


def solve(spec: dict[str, Any]) -> dict[str, Any]:
    """One attempt at a task: mini-swe-agent's DefaultAgent with its mini.yaml config and LitellmModel (tool calls),
    or with `"text": true` its mini_textbased.yaml and LitellmTextbasedModel (commands in fenced blocks), against an
    OpenAI-compatible server, in its LocalEnvironment in `workdir`; what it spent and how it ended."""
    from minisweagent.agents.default import DefaultAgent
    from minisweagent.environments.local import LocalEnvironment
    from minisweagent.models.litellm_model import LitellmModel  # type: ignore[import-not-found]
    from minisweagent.models.litellm_textbased_model import LitellmTextbasedModel  # type: ignore[import-not-found]

    text = bool(spec.get("text"))
    config = _mini_config("mini_textbased.yaml" if text else "mini.yaml")
    model_config = {k: v for k, v in config["model"].items() if k != "model_kwargs"}
    model_kwargs = {**config["model"].get("model_kwargs", {}), "api_base": spec["base_url"], "api_key": "local"}
    model = (LitellmTextbasedModel if text else LitellmModel)(
        model_name=f"openai/{spec['model']}",
        model_kwargs=model_kwargs | spec["settings"],
        cost_tracking="ignore_errors",  # a local model has no price
        **model_config,
    )
    env_config = config.get("environment", {})
    env = LocalEnvironment(
        cwd=spec["workdir"], env={**env_config.get("env", {}), "PATH": spec["path"]}, timeout=spec["command_timeout"]
    )
    agent_config = {k: v for k, v in config["agent"].items() if k != "mode"}
    agent_config.update(
        step_limit=spec["step_limit"],
        cost_limit=0,
        wall_time_limit_seconds=spec["wall_seconds"],
        output_path=Path(spec["trajectory"]),
    )
    agent = DefaultAgent(model, env, **agent_config)
    started = time.perf_counter()
    try:
        result = agent.run(spec["task"])
        exit_status = result.get("exit_status", "")
    except Exception as exc:  # the agent saved its trajectory; the harness counts the failure
        exit_status = type(exc).__name__
    seconds = time.perf_counter() - started
    tokens = calls = format_errors = cut_off = 0
    for message in agent.messages:
        extra = message.get("extra") or {}
        response = extra["response"] if isinstance(extra.get("response"), dict) else {}
        usage = response.get("usage") or {}
        tokens += int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
        calls += len(extra.get("actions") or [])
        if extra.get("interrupt_type") == "FormatError":
            format_errors += 1
        choices = response.get("choices")
        if choices and choices[0].get("finish_reason") == "length":
            cut_off += 1
    return {
        "exit_status": exit_status,
        "seconds": seconds,
        "model_calls": agent.n_calls,
        "tool_calls": calls,
        "tokens": tokens,
        "format_errors": format_errors,
        "cut_off": cut_off,
    }


def main() -> None:
    """Dispatch on the first argument; print the result as JSON."""
    command, *args = sys.argv[1:]
    # mini-swe-agent prints banners on stdout: send everything to stderr but the JSON answer.
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if command == "steps":
        result = run_steps(int(args[0]), Path(args[1]))
    elif command == "prompt":
        result = fixed_prompt(args[0])
    elif command == "tokens":
        result = count_tokens(json.load(sys.stdin))
    elif command == "solve":
        result = solve(json.load(sys.stdin))
    else:
        raise SystemExit(f"unknown command {command!r}")
    json.dump(result, answer)
    answer.close()


if __name__ == "__main__":
    main()
