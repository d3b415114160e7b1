"""MCP tools: a real MCP server over stdio, every call through the policy, journaled, asked about like any tool."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from interns.agents.gate.approval import NoOneToAsk, TerminalAsker
from interns.journal import ApprovalRequested, PolicyDecision, RunStore, StepFinished, ToolCall
from tests.agents.conftest import TaskDir

SERVER = Path(__file__).with_name("mcp_server.py")
EXIT_AWAITING_APPROVAL = 3


def desk(**extra: Any) -> dict[str, Any]:
    """The test server as a task file's `mcp` entry, named `desk`: its tools are `desk_lookup`, `desk_send_message`."""
    return {"name": "desk", "command": [sys.executable, str(SERVER)], **extra}


def task(*servers: dict[str, Any]) -> dict[str, Any]:
    return {
        "steps": [{"id": "work", "instructions": "Use the desk."}],
        "guardrails": {"sandbox": "local"},
        "mcp": list(servers),
    }


def work(*turns: dict[str, Any]) -> dict[str, Any]:
    return {"work": [*turns, {"final": "done"}]}


def of_tool(events: Sequence[object], kind: type[Any], tool: str) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and e.tool == tool]


def returned_to_model(run_dir: Path) -> list[str]:
    """What the worker's model got back from its tool calls, from the saved conversation."""
    messages = json.loads((run_dir / "messages" / "work.json").read_text())
    return [str(p["content"]) for m in messages for p in m["parts"] if p.get("part_kind") == "tool-return"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.anyio
async def test_an_allowed_tool_runs_and_is_journaled(task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = task_dir.root / "outbox.txt"
    monkeypatch.setenv("MCP_OUTBOX", str(outbox))
    server = desk(env=["MCP_OUTBOX"], tools={"ask": []})
    calls = [{"desk_lookup": {"word": "sandbox"}}, {"desk_hold": {"seconds": 0}}]
    path = task_dir.write(task(server), work({"calls": calls}))

    result, events = await task_dir.run(path, asker=NoOneToAsk())

    assert result.status == "succeeded", [e for e in events if isinstance(e, StepFinished)]
    [decision] = of_tool(events, PolicyDecision, "mcp:desk.lookup")
    assert (decision.verdict, decision.rule, decision.asked) == ("allow", "mcp.desk.tools.allow[0]: *", False)
    assert json.loads(decision.target) == {"word": "sandbox"}
    [call] = of_tool(events, ToolCall, "mcp:desk.lookup")
    assert call.ok and call.args == {"word": "sandbox"}
    assert call.result == "a place where commands run apart from the host"
    run_dir = RunStore(task_dir.runs).dir(result.run_id)
    assert "a place where commands run apart from the host" in returned_to_model(run_dir)
    assert not alive(int(outbox.read_text())), "the server outlived its step"


@pytest.mark.anyio
async def test_on_a_terminal_a_person_answers_an_ask(task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = task_dir.root / "outbox.txt"
    monkeypatch.setenv("MCP_OUTBOX", str(outbox))
    send = {"desk_send_message": {"to": "bob", "text": "hi"}}
    path = task_dir.write(task(desk(env=["MCP_OUTBOX"])), work({"call": send}))
    terminal = io.StringIO()

    result, events = await task_dir.run(path, asker=TerminalAsker(io.StringIO("n\nnot to bob\n"), terminal))

    assert "wants to mcp:desk.send_message" in terminal.getvalue() and '"to": "bob"' in terminal.getvalue()
    assert not outbox.exists()
    [decision] = of_tool(events, PolicyDecision, "mcp:desk.send_message")
    assert (decision.verdict, decision.asked) == ("deny", True) and "not to bob" in decision.reason
    seen = returned_to_model(RunStore(task_dir.runs).dir(result.run_id))
    assert any("not to bob" in text for text in seen), seen


@pytest.mark.anyio
async def test_a_denied_tool_is_refused_with_its_rule_and_the_model_sees_why(task_dir: TaskDir) -> None:
    server = desk(tools={"deny": ["WIPE_*"]})  # rules are case-insensitive
    path = task_dir.write(task(server), work({"call": {"desk_wipe_records": {}}}))

    result, events = await task_dir.run(path, asker=NoOneToAsk())

    [decision] = of_tool(events, PolicyDecision, "mcp:desk.wipe_records")
    assert (decision.verdict, decision.rule) == ("deny", "mcp.desk.tools.deny[0]: WIPE_*")
    [call] = of_tool(events, ToolCall, "mcp:desk.wipe_records")
    assert not call.ok and "wiped" not in call.result
    seen = returned_to_model(RunStore(task_dir.runs).dir(result.run_id))
    assert any(text.startswith("Refused by policy (mcp.desk.tools.deny[0]: WIPE_*)") for text in seen), seen


@pytest.mark.anyio
async def test_a_tool_matching_no_allow_rule_is_refused(task_dir: TaskDir) -> None:
    server = desk(tools={"allow": ["lookup"], "ask": []})
    path = task_dir.write(task(server), work({"call": {"desk_env_value": {"name": "HOME"}}}))

    _, events = await task_dir.run(path, asker=NoOneToAsk())

    [decision] = of_tool(events, PolicyDecision, "mcp:desk.env_value")
    assert (decision.verdict, decision.rule) == ("deny", "mcp.desk.tools.allow")
    assert "allowed tools: 'lookup'" in decision.reason


@pytest.mark.anyio
async def test_the_server_sees_only_the_host_variables_it_lists(
    task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "do-not-leak")
    monkeypatch.setenv("DESK_GREETING", "hello")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-never-for-a-tool")
    server = desk(env=["DESK_GREETING", "ANTHROPIC_API_KEY"])
    asks = [{"desk_env_value": {"name": name}} for name in ("SECRET_TOKEN", "DESK_GREETING", "ANTHROPIC_API_KEY")]
    path = task_dir.write(task(server), work({"calls": asks}))

    _, events = await task_dir.run(path, asker=NoOneToAsk())

    seen = {call.args["name"]: call.result for call in of_tool(events, ToolCall, "mcp:desk.env_value")}
    assert seen == {"SECRET_TOKEN": "<unset>", "DESK_GREETING": "hello", "ANTHROPIC_API_KEY": "<unset>"}


@pytest.mark.anyio
async def test_a_step_gets_only_the_servers_it_names(task_dir: TaskDir) -> None:
    spec = task(desk())
    spec["steps"][0]["mcp"] = []
    path = task_dir.write(spec, work({"call": {"desk_lookup": {"word": "sandbox"}}}))

    _, events = await task_dir.run(path, asker=NoOneToAsk())

    assert not of_tool(events, PolicyDecision, "mcp:desk.lookup")
    [refused] = [e for e in events if isinstance(e, ToolCall) and e.tool == "desk_lookup"]
    assert not refused.ok and "Unknown tool" in refused.result


@pytest.mark.anyio
async def test_a_server_that_cannot_start_fails_its_step_with_the_reason(task_dir: TaskDir) -> None:
    broken = {"name": "broken", "command": [sys.executable, "-c", "import sys; sys.exit('no tools today')"]}
    path = task_dir.write(task(broken), work())

    result, events = await task_dir.run(path, asker=NoOneToAsk())

    assert result.status == "failed"
    [finished] = [e for e in events if isinstance(e, StepFinished)]
    assert finished.status == "failed"
    assert "MCP server 'broken' did not start" in finished.reason and "no tools today" in finished.reason


def interns(task_dir: TaskDir, *args: str, outbox: Path) -> subprocess.CompletedProcess[str]:
    """`interns ARGS` in a child process with stdin closed (no one at a terminal), with a planted secret."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env |= {"INTERNS_HOME": str(task_dir.runs), "MCP_OUTBOX": str(outbox), "SECRET_TOKEN": "do-not-leak"}
    return subprocess.run(
        [sys.executable, "-m", "interns", *args],
        cwd=task_dir.root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sending_asks_by_default_and_without_a_terminal_the_run_waits_for_approve(task_dir: TaskDir) -> None:
    outbox = task_dir.root / "outbox.txt"
    send = {"desk_send_message": {"to": "bob", "text": "the report is ready"}}
    leak = {"desk_env_value": {"name": "SECRET_TOKEN"}}
    task_dir.write(task(desk(env=["MCP_OUTBOX"])), work({"call": leak}, {"call": send}))
    model = f"scripted:{task_dir.root / 'script.yaml'}"

    paused = interns(task_dir, "run", "task.yaml", "--model", model, outbox=outbox)

    assert paused.returncode == EXIT_AWAITING_APPROVAL, paused.stdout + paused.stderr
    assert not outbox.exists(), "the message went out before a person approved it"
    store = RunStore(task_dir.runs)
    [header] = store.list()
    events = list(store.events(header.run_id))
    [request] = [e for e in events if isinstance(e, ApprovalRequested)]
    assert request.tool == "mcp:desk.send_message"
    assert request.rule == "mcp.desk.tools.ask[0]: *send*"
    assert json.loads(request.target) == {"to": "bob", "text": "the report is ready"}
    [leaked] = [e for e in events if isinstance(e, ToolCall) and e.tool == "mcp:desk.env_value"]
    assert leaked.result == "<unset>"

    approved = interns(task_dir, "approve", "last", outbox=outbox)
    assert approved.returncode == 0, approved.stderr
    resumed = interns(task_dir, "resume", "last", outbox=outbox)

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert outbox.read_text() == "bob: the report is ready\n"
    events = list(store.events(header.run_id))
    decisions = of_tool(events, PolicyDecision, "mcp:desk.send_message")
    assert [(d.verdict, d.asked) for d in decisions] == [("allow", True)]
    [sent] = of_tool(events, ToolCall, "mcp:desk.send_message")
    assert sent.ok and sent.result == "sent to bob"


@pytest.mark.anyio
async def test_cancelling_a_run_during_a_call_ends_the_server_too(
    task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = task_dir.root / "outbox.txt"
    monkeypatch.setenv("MCP_OUTBOX", str(outbox))
    server = desk(env=["MCP_OUTBOX"], tools={"ask": []})
    path = task_dir.write(task(server), work({"call": {"desk_hold": {"seconds": 60}}}))
    run = asyncio.ensure_future(task_dir.run(path, asker=NoOneToAsk()))  # cancelled as Ctrl-C cancels a run
    with anyio.fail_after(30):
        while not (outbox.exists() and outbox.read_text().endswith("\n")):
            await asyncio.sleep(0.05)
    pid = int(outbox.read_text())

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert not alive(pid), "the server outlived its cancelled step"
