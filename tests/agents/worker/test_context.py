"""Context compaction: old outputs masked, older turns summarized, the full history kept, and resume across it."""

from __future__ import annotations

import json
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import FunctionModel

from benchmarks.long_run import SUMMARY, is_summary, sent_tokens, summarizing_run
from interns import tasks
from interns.agents.cli.timeline import event_line
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.context import CONTEXT_TURNS, KEEP_TURNS, MASK_BLOCK, Compactor
from interns.agents.worker.models import select_model
from interns.journal import (
    ApprovalRequested,
    ContextCompacted,
    Event,
    RunStore,
    StepFinished,
    UnknownEvent,
    Usage,
)
from interns.journal import (
    ModelResponse as JournaledResponse,
)
from tests.agents.conftest import TaskDir
from tests.agents.processes import sleep_marker, sleeping, wait_for
from tests.agents.runtime.test_resume import cli, journal_of, kill_while_sleeping
from tests.support.messages_api import PrefixCache, messages_server

API_KEY = "sk-ant-api03-contexttest-0123456789abcdef"
TOOL_TURNS = 60


@pytest.mark.anyio
async def test_a_long_run_levels_off_within_its_budget_and_keeps_its_cache(
    task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = PrefixCache()
    with messages_server(summarizing_run(TOOL_TURNS, cache)) as server:
        monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # only loopback is reachable here
        monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        limits = {"turns": 200, "tokens": 10_000_000, "context_tokens": 3000}
        path = task_dir.write(
            {"steps": [{"id": "work", "instructions": "Count."}], "guardrails": {"sandbox": "local", "limits": limits}},
            {},
        )
        spec = tasks.load(path)
        model = select_model(spec.model, None)
        result = await Supervisor(spec, model, TaskSource(path.read_text()), runs_root=task_dir.runs).run()
        requests = [r["body"] for r in server.requests]
        usages = server.usages
    assert result.status == "succeeded", result.reason
    store = RunStore(task_dir.runs)
    events = list(store.events(result.run_id))
    compactions = [e for e in events if isinstance(e, ContextCompacted)]
    assert len(compactions) >= 2, "a 60-turn run over a 3,000-token budget was never summarized"
    assert all(c.summary == SUMMARY and c.tokens_after < c.tokens_before for c in compactions)
    assert all(c.tokens_before <= c.budget for c in compactions), "the context outgrew its budget before a summary"

    work = [(body, usage) for body, usage in zip(requests, usages, strict=True) if not is_summary(body)]
    sizes = [sent_tokens(usage) for _, usage in work]
    third = len(sizes) // 3
    middle, last = sizes[third : 2 * third], sizes[2 * third :]
    assert max(last) <= max(middle) * 1.1, f"input tokens keep growing: {sizes}"
    assert max(sizes) < sizes[-1] * 3 and sizes[-1] < 2 * sizes[third], sizes
    # After the first summary, most of what each request sends is read from the prompt cache.
    after = [usage for _, usage in work[third:]]
    share = sum(u["cache_read_input_tokens"] for u in after) / sum(sent_tokens(u) for u in after)
    assert share >= 0.6, f"cache share {share:.2f} across compactions"

    last_body = json.dumps(work[-1][0]["messages"])
    assert SUMMARY in last_body and "is no longer shown" in last_body
    assert "toolu_0001" not in last_body, "the first turns are still sent after a summary replaced them"

    # The full conversation is kept: every turn and every output, in the messages saved for the step.
    history = json.loads((store.dir(result.run_id) / "messages" / "work.json").read_text())
    assert [m["kind"] for m in history].count("response") == TOOL_TURNS + 1
    returns = [p for m in history for p in m["parts"] if p["part_kind"] == "tool-return"]
    assert len(returns) == TOOL_TURNS and not any("no longer shown" in p["content"] for p in returns)
    [finished] = [e for e in events if isinstance(e, StepFinished)]
    assert finished.usage.requests == len(requests), "the summaries' requests are not counted in the step's usage"
    assert store.load(result.run_id).usage.requests == len(requests), "the run's totals miss the summaries"

    line = event_line(compactions[0])
    assert line is not None and "summarized" in str(getattr(line, "plain", line))


def conversation(turns: int, output: str) -> list[ModelMessage]:
    """A step's conversation: its prompt, then `turns` calls of `run`, each returning `output`."""
    messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart("Do the step.")])]
    for n in range(turns):
        messages.append(ModelResponse(parts=[ToolCallPart("run", {"command": f"step {n}"}, f"call-{n}")]))
        messages.append(ModelRequest(parts=[ToolReturnPart("run", f"{n}:{output}", f"call-{n}")]))
    return messages


@pytest.mark.anyio
async def test_old_outputs_are_masked_in_blocks_and_the_latest_turns_stay_whole() -> None:
    async def never(previous: str, text: str, older: Any) -> tuple[str, Usage]:
        raise AssertionError("no summary is needed within a large budget")

    compactor = Compactor("fix", 1_000_000, never)
    events: list[Any] = []
    for turns in range(1, 40):
        messages = conversation(turns, "x" * 1_000)
        view = await compactor.view(messages, events.append, 1)
        returns = [p for m in view for p in m.parts if isinstance(p, ToolReturnPart)]
        masked = [p for p in returns if "no longer shown" in str(p.content)]
        assert len(returns) == turns and all("tool call call-" in str(p.content) for p in masked)
        assert len(masked) % MASK_BLOCK == 0, "masking moved by less than a block, breaking the cached prefix"
        assert turns - len(masked) >= min(turns, KEEP_TURNS)
        assert all("no longer shown" not in str(p.content) for p in returns[-KEEP_TURNS:])
    assert len(masked) == 32 and events == []


@pytest.mark.anyio
async def test_a_restored_summary_gives_the_same_view_as_the_one_that_wrote_it() -> None:
    async def summarize(previous: str, text: str, older: Any) -> tuple[str, Usage]:
        return f"summary of {len(older)} messages", Usage(requests=1)

    messages = conversation(30, "y" * 2_000)
    written: list[Any] = []
    first = Compactor("fix", 3_000, summarize)
    view = await first.view(messages, written.append, 1)
    [event] = written
    assert isinstance(event, ContextCompacted) and event.usage.requests == 1
    assert len(view) < len(messages) and event.tokens_after <= event.budget

    again = Compactor("fix", 3_000, summarize)
    again.restore(ContextCompacted.model_validate_json(event.model_dump_json()))
    later: list[Any] = []
    assert await again.view(messages, later.append, 1) == view
    assert later == [], "a resumed step summarized again what its summary already covers"


@pytest.mark.anyio
async def test_many_small_turns_are_summarized_too_so_no_step_walks_the_whole_run(task_dir: TaskDir) -> None:
    turns = 2 * CONTEXT_TURNS + 30
    script = {"work": [*({"call": {"run": {"command": f"echo {n}"}}} for n in range(turns)), {"final": "end"}]}
    guardrails = {"sandbox": "local", "limits": {"turns": turns + 5, "repeated_calls": 10}}
    path = task_dir.write({"steps": [{"id": "work", "instructions": "Echo."}], "guardrails": guardrails}, script)
    seen: list[int] = []
    spec = tasks.load(path)
    model = select_model(None, f"scripted:{task_dir.root / 'script.yaml'}")
    play = model.for_agent("work")
    assert isinstance(play, FunctionModel) and play.function is not None
    inner = play.function

    def counting(messages: list[ModelMessage], info: Any) -> Any:
        seen.append(len(messages))
        return inner(messages, info)

    play.function = counting
    result = await Supervisor(spec, model, TaskSource(path.read_text()), runs_root=task_dir.runs).run()
    assert result.status == "succeeded", result.reason
    events = list(RunStore(task_dir.runs).events(result.run_id))
    compactions = [e for e in events if isinstance(e, ContextCompacted)]
    assert len(compactions) == 2 and all(c.tokens_before < c.budget * 0.8 for c in compactions)
    assert max(seen) <= 2 * (CONTEXT_TURNS + 1) + 2, "a request was sent more turns than a context holds"
    assert model_texts(events, "work")[-1] == "end", "the script lost its place across the summaries"
    history = json.loads((RunStore(task_dir.runs).dir(result.run_id) / "messages" / "work.json").read_text())
    assert [m["kind"] for m in history].count("response") == turns + 1


def model_texts(events: list[Event | UnknownEvent], step: str) -> list[str]:
    return [e.text for e in events if isinstance(e, JournaledResponse) and e.step == step]


def seq_turns(count: int) -> list[dict[str, Any]]:
    return [{"text": f"turn {n}", "call": {"run": {"command": f"seq {n} {n + 300}"}}} for n in range(count)]


def test_a_step_paused_after_a_compaction_resumes_with_its_summary(task_dir: TaskDir) -> None:
    ask = {"text": "ask", "call": {"run": {"command": "touch done.txt"}}}
    script = {"work": [*seq_turns(16), ask, {"final": "end"}]}
    guardrails = {
        "sandbox": "local",
        "commands": {"allow": ["*"], "ask": ["touch *"]},
        "limits": {"context_tokens": 2_000},
    }
    task_dir.write({"steps": [{"id": "work", "instructions": "Count."}], "guardrails": guardrails}, script)
    paused = cli(task_dir, "run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}")
    assert paused.returncode == 3, paused.stdout + paused.stderr
    _, events = journal_of(task_dir)
    kinds = [type(e) for e in events]
    assert ContextCompacted in kinds and kinds.index(ContextCompacted) < kinds.index(ApprovalRequested)
    summaries = [e for e in events if isinstance(e, ContextCompacted)]
    assert "seq 0 300" in summaries[0].summary, "a script without summaries lists the summarized calls"

    assert cli(task_dir, "approve", "last").returncode == 0
    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run_dir, events = journal_of(task_dir)
    # The script went on at the turn after the pause: the summarized turns still count as played.
    assert model_texts(events, "work") == [*(f"turn {n}" for n in range(16)), "ask", "end"]
    assert (run_dir / "workspace" / "done.txt").exists()
    history = json.loads((run_dir / "messages" / "work.json").read_text())
    assert [m["kind"] for m in history].count("response") == 18
    assert "compacted" in cli(task_dir, "show", "last").stdout


def test_a_run_killed_after_a_compaction_resumes(task_dir: TaskDir) -> None:
    marker = sleep_marker(800)
    sleep = {"call": {"run": {"command": "test -f slept || { touch slept; sleep ${SLEEP_FOR:-0}; }"}}}
    script = {"work": [*seq_turns(14), sleep, {"final": "end"}]}
    guardrails = {"sandbox": "bubblewrap", "env": ["SLEEP_FOR"], "limits": {"context_tokens": 2_000}}
    task_dir.write({"steps": [{"id": "work", "instructions": "Count."}], "guardrails": guardrails}, script)
    kill_while_sleeping(task_dir, marker)
    wait_for(lambda: not sleeping(marker))
    _, events = journal_of(task_dir)
    assert any(isinstance(e, ContextCompacted) for e in events), "the kill came before any compaction"

    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _, events = journal_of(task_dir)
    assert [e.status for e in events if isinstance(e, StepFinished)] == ["succeeded"]
    assert RunStore(task_dir.runs).list()[0].status == "succeeded"
