"""A server the user runs, named once: `models: {local: {base_url: ...}}` and `model: local:NAME`, or an environment
variable, against the chat-completions replay server (responses recorded from a real llama-server)."""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest

from interns import tasks
from interns.agents.runtime.runner import Runner
from interns.agents.worker.models import ModelSetupError, select_model
from tests.agents.conftest import TaskDir
from tests.support.chat_completions import TOOL_TASK, recording, replay_server

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # only the replay server answers
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "INTERNS_BASE_URL_LOCAL"):
        monkeypatch.delenv(name, raising=False)


async def test_a_task_names_its_server_once_and_its_model_by_prefix(task_dir: TaskDir) -> None:
    rec = recording("openai_chat_tool_call")
    with replay_server(rec["exchanges"]) as server:
        task: dict[str, Any] = {
            **TOOL_TASK,
            "guardrails": {"sandbox": "local"},
            "models": {"local": {"base_url": server.base_url}},
            "model": f"local:{rec['recorded']['model']}",
        }
        path = task_dir.write(task, {})
        result = await Runner(task_dir.runs).start(path).run()

    assert result.status == "succeeded", result.reason
    assert [r["path"] for r in server.requests] == ["/v1/chat/completions"] * 2
    assert server.requests[0]["body"]["model"] == rec["recorded"]["model"]


async def test_an_environment_variable_names_the_server_for_a_prefix(
    task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = recording("openai_chat_tool_call")
    path = task_dir.write({**TOOL_TASK, "guardrails": {"sandbox": "local"}}, {})
    with replay_server(rec["exchanges"]) as server:
        monkeypatch.setenv("INTERNS_BASE_URL_LOCAL", server.base_url)
        result = await Runner(task_dir.runs).start(path, model=f"local:{rec['recorded']['model']}").run()

    assert result.status == "succeeded", result.reason
    assert len(server.requests) == 2


def test_a_prefix_no_one_named_says_how_to_name_it() -> None:
    with pytest.raises(ModelSetupError, match="INTERNS_BASE_URL_LOCAL"):
        select_model("local:qwen", None, endpoints={})


@pytest.mark.parametrize(
    ("models", "field"),
    [({"local": {"base_url": "ftp://x"}}, "models.local.base_url"), ({"local": {"api": "soap"}}, "models.local.api"),
     ({"anthropic": {"base_url": "http://127.0.0.1:1/v1"}}, "models.anthropic")],
)  # fmt: skip
def test_a_bad_endpoint_names_its_field(task_dir: TaskDir, models: dict[str, Any], field: str) -> None:
    path = task_dir.write({"models": models}, {})

    with pytest.raises(tasks.TaskFileError) as raised:
        tasks.load(path)

    assert field in str(raised.value) and "task.yaml:" in str(raised.value)
