"""Quick start: a command loads only what it uses; model SDKs, docker, OpenTelemetry and the viewer wait for theirs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("anthropic", "openai", "docker", "opentelemetry", "interns.journal.viewer", "git", "interns.tasks")


def loaded_after(*modules: str) -> set[str]:
    """Which of HEAVY a fresh interpreter holds after importing `modules`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(h for h in {list(HEAVY)!r} if h in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_the_command_line_loads_no_provider_sdk_tracing_viewer_git_or_task_model() -> None:
    assert loaded_after("interns.agents.cli.app") == set()


def test_a_run_loads_no_model_sdk_docker_or_viewer_until_it_needs_them() -> None:
    loaded = loaded_after("interns.agents.cli.app", "interns.agents.runtime.runner", "interns.agents.worker.models")
    assert not loaded & {"anthropic", "openai", "docker", "interns.journal.viewer"}, loaded
