"""Model settings from the task file, per task and per step, and a model of its own for the supervisor's work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from interns import tasks
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.models import ModelChoice, select_model
from interns.journal import RunStarted, RunStore
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio


def _task(task_dir: TaskDir, **extra: Any) -> Path:
    return task_dir.write(
        {
            "steps": [
                {"id": "draft", "instructions": "Draft it."},
                {
                    "id": "polish",
                    "instructions": "Polish it.",
                    "needs": ["draft"],
                    "model_settings": {"temperature": 0.9},
                },
            ],
            "guardrails": {"sandbox": "local"},
            "review": {"supervisor": True},
            "model_settings": {"max_tokens": 321, "temperature": 0.1},
            **extra,
        },
        {},
    )


def _recording_model(seen: dict[str, list[dict[str, Any]]], name: str) -> FunctionModel:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.setdefault(name, []).append(dict(info.model_settings or {}))
        if info.output_tools:  # the supervisor's review
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"decision": "accept"})])
        return ModelResponse(parts=[TextPart("done")])

    return FunctionModel(answer, model_name=name)


async def test_step_settings_override_the_tasks_and_the_supervisor_gets_its_own_model(task_dir: TaskDir) -> None:
    spec = tasks.load(_task(task_dir))
    seen: dict[str, list[dict[str, Any]]] = {}
    choice = ModelChoice(name="worker-model", _model=_recording_model(seen, "worker"))
    choice.supervisor = ModelChoice(name="boss-model", _model=_recording_model(seen, "boss"))

    result = await Supervisor(spec, choice, TaskSource("x"), runs_root=task_dir.runs).run()

    assert result.status == "succeeded", result.reason
    assert [s["max_tokens"] for s in seen["worker"]] == [321, 321]
    assert [s["temperature"] for s in seen["worker"]] == [0.1, 0.9]
    assert len(seen["boss"]) == 2, "each step's review went to the supervisor's model"
    assert [s["max_tokens"] for s in seen["boss"]] == [321, 321]
    started = next(e for e in RunStore(task_dir.runs).events(result.run_id) if isinstance(e, RunStarted))
    assert (started.model, started.supervisor_model) == ("worker-model", "boss-model")
    assert started.model_settings == {"max_tokens": 321, "temperature": 0.1}


async def test_max_tokens_is_always_sent(task_dir: TaskDir) -> None:
    path = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Work."}], "guardrails": {"sandbox": "local"}, "review": {}}, {}
    )
    seen: dict[str, list[dict[str, Any]]] = {}
    choice = ModelChoice(name="m", _model=_recording_model(seen, "worker"))

    result = await Supervisor(tasks.load(path), choice, TaskSource("x"), runs_root=task_dir.runs).run()

    assert result.status == "succeeded", result.reason
    assert [s.get("max_tokens") for s in seen["worker"]] == [8192]


def test_the_task_names_the_supervisors_model(task_dir: TaskDir) -> None:
    script = task_dir.root / "boss.yaml"
    script.write_text("plan: [{final: 'x'}]\n")
    spec = tasks.load(_task(task_dir, supervisor_model=f"scripted:{script}"))

    choice = select_model(
        "anthropic:claude-x", None, supervisor=spec.supervisor_model, environ={"ANTHROPIC_API_KEY": "k"}
    )

    assert choice.supervisor is not None and choice.supervisor.name == f"scripted:{script}"


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"max_tokens": 0}, "model_settings.max_tokens"), ({"temperature": 7}, "model_settings.temperature"),
     ({"tempreature": 1}, "model_settings.tempreature")],
)  # fmt: skip
def test_bad_settings_name_their_field(task_dir: TaskDir, settings: dict[str, Any], field: str) -> None:
    path = task_dir.write({"model_settings": settings}, {})

    with pytest.raises(tasks.TaskFileError) as raised:
        tasks.load(path)

    assert field in str(raised.value) and "task.yaml:" in str(raised.value)
