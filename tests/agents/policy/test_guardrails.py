"""A worker that tries to leave its bounds is stopped, the model is told why, and the journal says so."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path

import pytest

from interns.agents.gate.approval import TerminalAsker
from interns.journal import ApprovalRequested, CommandRun, PolicyDecision, StepFinished, ToolCall
from tests.agents.conftest import BACKENDS, TaskDir

pytestmark = pytest.mark.anyio


def denials(events: list) -> list[PolicyDecision]:
    return [e for e in events if isinstance(e, PolicyDecision) and e.verdict == "deny"]


def tool_results(events: list, tool: str) -> list[str]:
    return [e.result for e in events if isinstance(e, ToolCall) and e.tool == tool]


def one_step(backend: str, **guardrails: object) -> dict:
    return {
        "steps": [{"id": "work", "instructions": "Try things."}],
        "guardrails": {"sandbox": backend, **guardrails},
    }


@pytest.mark.parametrize("backend", BACKENDS)
async def test_writes_outside_the_allowed_paths_are_refused(task_dir: TaskDir, backend: str) -> None:
    task = task_dir.write(
        one_step(backend, write=["out/**"]),
        {
            "work": [
                {"call": {"write": {"path": "notes.txt", "content": "no"}}},
                {"call": {"write": {"path": "../escape.txt", "content": "no"}}},
                {"call": {"write": {"path": "/tmp/escape.txt", "content": "no"}}},
                {"call": {"edit": {"path": ".git/config", "old": "a", "new": "b"}}},
                {"call": {"write": {"path": "out/ok.txt", "content": "yes"}}},
                {"final": "done"},
            ]
        },
        files={"keep.txt": "keep"},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    rules = [(d.target, d.rule) for d in denials(events)]
    assert rules[0] == ("notes.txt", "guardrails.write")
    assert [rule for _, rule in rules[1:3]] == ["workspace boundary", "workspace boundary"]
    assert len(rules) == 4
    results = tool_results(events, "write")
    assert all(r.startswith("Refused by policy") for r in results[:3]), results
    workspace = result.run_dir / "workspace"
    assert (workspace / "out" / "ok.txt").read_text() == "yes"
    assert not (workspace / "notes.txt").exists()
    assert not (result.run_dir / "escape.txt").exists()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_symlink_out_of_the_workspace_is_not_followed(task_dir: TaskDir, backend: str, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("the host's secret")
    task = task_dir.write(
        one_step(backend),
        {
            "work": [
                {"call": {"read": {"path": "link.txt"}}},
                {"call": {"write": {"path": "link.txt", "content": "overwritten"}}},
                {"call": {"read": {"path": "linkdir/host-secret.txt"}}},
                {"final": "done"},
            ]
        },
    )
    task_dir.project.mkdir(exist_ok=True)
    (task_dir.project / "link.txt").symlink_to(secret)
    (task_dir.project / "linkdir").symlink_to(tmp_path)
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    assert [d.rule for d in denials(events)] == ["workspace boundary"] * 3
    assert secret.read_text() == "the host's secret"
    assert not any("the host's secret" in r for r in tool_results(events, "read"))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_host_environment_does_not_reach_commands(
    task_dir: TaskDir, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTED_SERVICE_TOKEN", "planted-value-6c1f0e")
    monkeypatch.setenv("PASSED_THROUGH", "visible-by-choice")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-never-in-a-sandbox")
    task = task_dir.write(
        one_step(backend, env=["PASSED_THROUGH", "ANTHROPIC_API_KEY"]),
        {"work": [{"call": {"run": {"command": "env"}}}, {"final": "done"}]},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    output = next(e.stdout for e in events if isinstance(e, CommandRun) and e.argv[-1] == "env")
    assert "PASSED_THROUGH=[REDACTED:PASSED_THROUGH]" in output, "passed in, and as a passed value, never journaled"
    assert "planted-value-6c1f0e" not in output
    assert "PLANTED_SERVICE_TOKEN" not in output
    assert "ANTHROPIC_API_KEY" not in output
    assert any(e.type == "notice" and "ANTHROPIC_API_KEY" in e.message for e in events)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_denied_commands_never_run_even_when_dressed_up(task_dir: TaskDir, backend: str) -> None:
    task = task_dir.write(
        one_step(backend, commands={"allow": ["*"], "deny": ["touch *"]}),
        {
            "work": [
                {"call": {"run": {"command": "touch a"}}},
                {"call": {"run": {"command": "echo hi; touch b"}}},
                {"call": {"run": {"command": "sh -c 'touch c'"}}},
                {"call": {"run": {"command": "echo ok > d"}}},
                {"final": "done"},
            ]
        },
    )
    result, events = await task_dir.run(task)
    assert [d.rule for d in denials(events)] == ["guardrails.commands.deny[0]: touch *"] * 3
    workspace = result.run_dir / "workspace"
    assert sorted(p.name for p in workspace.iterdir()) == ["d"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ask_rules_need_a_person(task_dir: TaskDir, backend: str) -> None:
    script = {"work": [{"call": {"run": {"command": "echo asked > asked.txt"}}}, {"final": "done"}]}
    task = task_dir.write(one_step(backend, commands={"ask": ["echo *"]}), script)

    result, events = await task_dir.run(task)
    assert result.status == "awaiting_approval", result.reason
    assert not [e for e in events if isinstance(e, PolicyDecision)]
    [request] = [e for e in events if isinstance(e, ApprovalRequested)]
    assert (request.tool, request.target, request.rule) == (
        "run",
        "echo asked > asked.txt",
        "guardrails.commands.ask[0]: echo *",
    )
    assert not (result.run_dir / "workspace" / "asked.txt").exists()

    answered = TerminalAsker(stdin=io.StringIO("y\n"), stdout=io.StringIO())
    result, events = await task_dir.run(task, asker=answered)
    [decision] = [e for e in events if isinstance(e, PolicyDecision)]
    assert (decision.verdict, decision.asked) == ("allow", True)
    assert (result.run_dir / "workspace" / "asked.txt").read_text() == "asked\n"


def loopback_probe(port: int) -> str:
    """A command that prints 'reached' if it can connect to the host's loopback port."""
    connect = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2); print('reached')"
    return f'python3 -c "{connect}"'


@pytest.fixture
def host_server() -> tuple[int, threading.Event]:
    """A TCP server on the host's loopback that notes whether anyone connected."""
    server = socket.create_server(("127.0.0.1", 0))
    connected = threading.Event()

    def accept() -> None:
        server.settimeout(10)
        try:
            conn, _ = server.accept()
            connected.set()
            conn.close()
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], connected
    server.close()


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "local"])
async def test_the_network_is_cut(task_dir: TaskDir, backend: str, host_server: tuple[int, threading.Event]) -> None:
    port, connected = host_server
    probe = loopback_probe(port)
    task = task_dir.write(one_step(backend), {"work": [{"call": {"run": {"command": probe}}}, {"final": "done"}]})
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    [run] = [e for e in events if isinstance(e, CommandRun) and e.by == "worker"]
    assert run.exit_code != 0 and "reached" not in run.stdout
    assert not connected.is_set()


async def test_a_turn_limit_ends_the_run_cleanly(task_dir: TaskDir) -> None:
    turn = {"call": {"run": {"command": "true"}}}
    task = task_dir.write(one_step("local", limits={"turns": 2}), {"work": [turn, turn, turn, turn, {"final": "x"}]})
    result, events = await task_dir.run(task)
    assert result.status == "limit_exceeded"
    assert result.failed_step == "work"
    [finished] = [e for e in events if isinstance(e, StepFinished)]
    assert finished.status == "limit_exceeded" and "limit" in finished.reason


async def test_a_step_whose_checks_keep_failing_fails_the_run_with_its_output(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "x", "done_when": ["echo not yet >&2; exit 3"]}],
            "guardrails": {"sandbox": "local"},
            "review": {"retries": 1},
        },
        {"work": [{"final": "first"}, {"final": "second"}]},
    )
    result, events = await task_dir.run(task)
    assert (result.status, result.failed_step) == ("failed", "work")
    assert "checks still failing after 2 attempts" in result.reason
    retry = next(e for e in events if e.type == "step_retry")
    assert "not yet" in retry.feedback and "exit code 3" in retry.feedback


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_time_limit_stops_a_running_command_and_ends_the_run(task_dir: TaskDir, backend: str) -> None:
    task = task_dir.write(
        one_step(backend, limits={"minutes": 0.02}),
        {"work": [{"call": {"run": {"command": "sleep 30"}}}, {"final": "never"}]},
    )
    result, events = await task_dir.run(task)
    assert (result.status, result.failed_step) == ("limit_exceeded", "work")
    assert "minutes" in result.reason
    assert events[-1].type == "run_finished"


async def test_a_token_limit_ends_the_step(task_dir: TaskDir) -> None:
    long_turn = {"text": "words " * 400, "call": {"run": {"command": "true"}}}
    task = task_dir.write(one_step("local", limits={"tokens": 500}), {"work": [long_turn, long_turn, {"final": "x"}]})
    result, _ = await task_dir.run(task)
    assert result.status == "limit_exceeded"
    assert "token" in result.reason


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_command_that_writes_outside_the_write_paths_is_caught(task_dir: TaskDir, backend: str) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "x", "done_when": ["true"]}],
            "guardrails": {"sandbox": backend, "write": ["src/**"]},
            "review": {"retries": 1},
        },
        {
            "work": [
                {"call": {"run": {"command": "echo gutted > tests.txt; echo ok > src/a.txt"}}},
                {"final": "done"},
                {"call": {"run": {"command": "echo original > tests.txt"}}},
                {"final": "undone"},
            ]
        },
        files={"tests.txt": "original\n", "src/a.txt": "a\n"},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded", result.reason
    [caught] = denials(events)
    assert (caught.tool, caught.target, caught.rule) == ("run", "tests.txt", "guardrails.write")
    retry = next(e for e in events if e.type == "step_retry")
    assert "You changed tests.txt" in retry.feedback


async def test_writes_outside_that_stay_fail_the_step(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "x"}],
            "guardrails": {"sandbox": "local", "write": ["src/**"]},
            "review": {"retries": 0},
        },
        {"work": [{"call": {"run": {"command": "rm tests.txt"}}}, {"final": "done"}]},
        files={"tests.txt": "original\n"},
    )
    result, _ = await task_dir.run(task)
    assert (result.status, result.failed_step) == ("failed", "work")
    assert "tests.txt" in result.reason


async def test_calls_the_agent_refuses_itself_are_journaled(task_dir: TaskDir) -> None:
    task = task_dir.write(
        one_step("local"),
        {"work": [{"call": {"teleport": {"to": "mars"}}}, {"call": {"read": {"nopath": 1}}}, {"final": "done"}]},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    refused = [(e.tool, e.ok) for e in events if isinstance(e, ToolCall)]
    assert refused == [("teleport", False), ("read", False)]
    assert all(e.result.startswith("not run:") for e in events if isinstance(e, ToolCall))


async def test_a_step_has_its_own_write_paths_and_network(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [
                {"id": "docs", "instructions": "x", "write": ["docs/**"]},
                {"id": "code", "instructions": "y", "needs": ["docs"]},
            ],
            "guardrails": {"sandbox": "local", "write": ["src/**"], "read": ["src/**", "docs/**"]},
        },
        {
            "docs": [
                {"call": {"write": {"path": "src/a.py", "content": "no"}}},
                {"call": {"write": {"path": "docs/a.md", "content": "yes"}}},
                {"final": "done"},
            ],
            "code": [
                {"call": {"write": {"path": "src/a.py", "content": "yes"}}},
                {"call": {"read": {"path": "secrets.txt"}}},
                {"final": "done"},
            ],
        },
        files={"secrets.txt": "not for workers"},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded", result.reason
    assert [(d.step, d.target, d.rule) for d in denials(events)] == [
        ("docs", "src/a.py", "guardrails.write"),
        ("code", "secrets.txt", "guardrails.read"),
    ]
    assert (result.run_dir / "workspace" / "src" / "a.py").read_text() == "yes"


async def test_a_tool_call_limit_ends_the_step(task_dir: TaskDir) -> None:
    call = {"calls": [{"run": {"command": "true"}}, {"run": {"command": "true"}}]}
    task = task_dir.write(one_step("local", limits={"tool_calls": 3}), {"work": [call, call, {"final": "x"}]})
    result, _ = await task_dir.run(task)
    assert result.status == "limit_exceeded"
    assert "tool" in result.reason


@pytest.mark.parametrize("backend", ["bubblewrap", "docker"])
async def test_a_step_may_have_the_network_the_task_denies(
    task_dir: TaskDir, host_server: tuple[int, threading.Event], backend: str
) -> None:
    port, connected = host_server
    probe = f'cat /proc/net/dev; echo "via=${{HTTPS_PROXY:-nothing}}"; {loopback_probe(port)}'
    attempt = [{"call": {"run": {"command": probe}}}, {"final": "done"}]
    task = task_dir.write(
        {
            "steps": [{"id": "offline", "instructions": "x"}, {"id": "online", "instructions": "y", "network": True}],
            "guardrails": {"sandbox": backend},
        },
        {"offline": attempt, "online": attempt},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded", result.reason
    outputs = {e.step: e.stdout for e in events if isinstance(e, CommandRun) and e.by == "worker"}
    interfaces = {
        step: {line.split(":")[0].strip() for line in text.splitlines() if ":" in line and not line.startswith("via=")}
        for step, text in outputs.items()
    }
    # Both sandboxes have only their own loopback; the online one's only way out is the host's proxy.
    assert interfaces == {"offline": {"lo"}, "online": {"lo"}}
    assert "via=nothing" in outputs["offline"]
    assert "via=http://127.0.0.1:3128" in outputs["online"]
    assert "reached" not in outputs["offline"] + outputs["online"], "a network never includes the host's loopback"
    assert not connected.is_set()


async def test_the_task_can_take_tools_away_from_every_step(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {"steps": [{"id": "work", "instructions": "x"}], "guardrails": {"sandbox": "local", "tools": ["read", "list"]}},
        {"work": [{"call": {"run": {"command": "touch made"}}}, {"final": "done"}]},
        files={"a.txt": "a"},
    )
    result, events = await task_dir.run(task)
    assert result.status == "succeeded"
    assert [(e.tool, e.ok) for e in events if isinstance(e, ToolCall)] == [("run", False)]
    assert not (result.run_dir / "workspace" / "made").exists()
