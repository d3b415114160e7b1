"""Traces of a run, received by a real OTLP/HTTP receiver on loopback from a real `interns run` process."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from interns.agents.tracing.spans import setup_tracing, shutdown_tracing
from interns.journal import RunStore
from tests.agents.conftest import TaskDir

SECRET = "pw-9f8e7d6c5b4a39281706"
"""A value of a secret-named variable in the run's environment, which no span may carry."""


@dataclass
class ReceivedSpan:
    """One span as a collector received it."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    service: str


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


class Receiver:
    """An OTLP/HTTP trace receiver on loopback: decodes every export request and keeps its spans."""

    def __init__(self, port: int = 0) -> None:
        self.spans: list[ReceivedSpan] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.take(self.path, body)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=lambda: self.server.serve_forever(poll_interval=0.05), daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def take(self, path: str, body: bytes) -> None:
        """Keep the spans of one export request."""
        request = ExportTraceServiceRequest.FromString(body)
        self.paths.append(path)
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            service=resource.get("service.name", ""),
                        )
                    )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.close()


def _write_task(task_dir: TaskDir) -> Path:
    """A two-step task on the local sandbox, with a setup command, a tool run that names a secret, and a check."""
    return task_dir.write(
        {
            "name": "traced",
            "workspace": {"folder": "project", "setup": ["echo ready > setup.txt"]},
            "steps": [
                {"id": "look", "instructions": "Look around.", "tools": ["read", "run"]},
                {"id": "make", "needs": ["look"], "instructions": "Write out.txt.", "done_when": ["test -f out.txt"]},
            ],
            "guardrails": {"sandbox": "local"},
        },
        {
            "look": [
                {"call": {"run": {"command": f"echo {SECRET} && cat notes.txt"}}},
                {"call": {"read": {"path": "notes.txt"}}},
                {"final": "The notes say hello."},
            ],
            "make": [{"call": {"write": {"path": "out.txt", "content": "done\n"}}}, {"final": "Wrote out.txt."}],
        },
        {"notes.txt": "hello\n"},
    )


def _run(task_dir: TaskDir, task: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`interns run` in a child process, with only the given OTEL and INTERNS variables of this one's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "INTERNS_")) and "_API_KEY" not in k}
    script = task_dir.root / "script.yaml"
    return subprocess.run(
        [sys.executable, "-m", "interns", "run", str(task), "--model", f"scripted:{script}"],
        cwd=task_dir.root,
        env={**base, "INTERNS_HOME": str(task_dir.runs), "MY_SERVICE_PASSWORD": SECRET, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_sends_one_trace_of_its_run_steps_model_requests_tools_and_commands(
    task_dir: TaskDir, receiver: Receiver
) -> None:
    task = _write_task(task_dir)
    env = {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{receiver.port}/custom/traces",
        "INTERNS_OTEL_CONTENT": "1",  # prompts, answers and tool arguments on the spans, redacted like the journal
    }
    result = _run(task_dir, task, env)
    assert result.returncode == 0, result.stdout + result.stderr
    [header] = RunStore(task_dir.runs).list()
    spans = receiver.spans

    assert set(receiver.paths) == {"/custom/traces"}
    assert {s.service for s in spans} == {"interns"}
    assert all(s.attributes.get("interns.run_id") == header.run_id for s in spans), "the run id is on every span"
    assert len({s.trace_id for s in spans}) == 1, "one trace per run"
    by_id = {s.span_id: s for s in spans}
    [root] = [s for s in spans if not s.parent_id]
    assert all(s.parent_id in by_id for s in spans if s is not root), "every parent was received"

    assert root.name == "run"
    assert root.attributes["interns.task"] == "traced" and root.attributes["interns.sandbox"] == "local"
    assert root.attributes["interns.status"] == "succeeded"
    steps = {s.attributes["interns.step"]: s for s in spans if s.name == "step"}
    assert set(steps) == {"look", "make"}
    assert all(s.parent_id == root.span_id and s.attributes["interns.status"] == "succeeded" for s in steps.values())

    def step_of(span: ReceivedSpan) -> str:
        """The step a span ran inside, from the trace's parent links; "" for none."""
        while span.name != "step" and span.parent_id:
            span = by_id[span.parent_id]
        return str(span.attributes["interns.step"]) if span.name == "step" else ""

    requests = [s for s in spans if s.name.startswith("chat ")]
    assert sorted(step_of(s) for s in requests) == ["look"] * 3 + ["make"] * 2
    assert all(s.attributes["interns.step"] == step_of(s) for s in requests), "the step is on spans inside it"
    tools = [s for s in spans if s.name.startswith("execute_tool ")]
    assert sorted(s.name for s in tools) == ["execute_tool read", "execute_tool run", "execute_tool write"]

    commands = [s for s in spans if s.name == "sandbox command"]
    assert sorted(s.attributes["interns.command.by"] for s in commands) == ["check", "setup", "worker"]
    worker = next(s for s in commands if s.attributes["interns.command.by"] == "worker")
    assert by_id[worker.parent_id].name == "execute_tool run", "a worker's command runs inside its tool call"
    assert worker.attributes["process.command_args"] == [
        "bash",
        "-c",
        "echo [REDACTED:MY_SERVICE_PASSWORD] && cat notes.txt",
    ]
    assert worker.attributes["process.exit.code"] == 0 and worker.attributes["interns.command.timed_out"] is False
    assert worker.attributes["interns.sandbox.backend"] == "local"
    setup = next(s for s in commands if s.attributes["interns.command.by"] == "setup")
    assert setup.parent_id == root.span_id and step_of(setup) == "" and "interns.step" not in setup.attributes

    run_tool = next(s for s in tools if s.name == "execute_tool run")
    everything = json.dumps([s.attributes for s in spans])
    assert SECRET not in everything
    assert "[REDACTED:MY_SERVICE_PASSWORD]" in run_tool.attributes["gen_ai.tool.call.arguments"]
    assert "The notes say hello." in everything and "Look around." in everything


def test_a_value_the_task_passes_in_is_redacted_on_the_spans_too(task_dir: TaskDir, receiver: Receiver) -> None:
    note = "plain-note-4b3a2918-value"
    task = task_dir.write(
        {"steps": [{"id": "look", "instructions": "Look."}], "guardrails": {"sandbox": "local", "env": ["MY_NOTE"]}},
        {"look": [{"call": {"run": {"command": "printenv MY_NOTE"}}}, {"final": "done"}]},
    )
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}/",
        "INTERNS_OTEL_CONTENT": "1",
        "MY_NOTE": note,
    }

    result = _run(task_dir, task, env)

    assert result.returncode == 0, result.stdout + result.stderr
    everything = json.dumps([s.attributes for s in receiver.spans])
    assert "execute_tool run" in {s.name for s in receiver.spans}
    assert note not in everything, "a value passed through guardrails.env reached a span"
    assert "[REDACTED:MY_NOTE]" in everything


@pytest.mark.anyio
async def test_message_content_stays_off_the_spans_unless_asked_for(receiver: Receiver) -> None:
    def play(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("shout", {"text": "a private word"})])
        return ModelResponse(parts=[TextPart("the private answer")])

    def shout(text: str) -> str:
        """Say it louder."""
        return text.upper()

    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}/", "OTEL_SERVICE_NAME": "nightly"}
    assert setup_tracing(environ) is not None
    try:
        await Agent(FunctionModel(play), tools=[shout], name="solo").run("a private prompt")
    finally:
        shutdown_tracing()
    assert receiver.paths == ["/v1/traces"]
    names = sorted(s.name for s in receiver.spans)
    assert names == ["chat function:play:", "chat function:play:", "execute_tool shout", "invoke_agent solo"]
    assert {s.service for s in receiver.spans} == {"nightly"}
    assert "private" not in json.dumps([s.attributes for s in receiver.spans])


def _default_port_receiver() -> Receiver:
    """A receiver where an OTLP exporter sends by default (localhost:4318), or a skip when that port is taken."""
    try:
        return Receiver(4318)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            pytest.skip("port 4318, OTLP/HTTP's default, is taken on this machine")
        raise


def test_without_an_endpoint_a_run_sends_nothing(task_dir: TaskDir) -> None:
    receiver = _default_port_receiver()
    try:
        result = _run(task_dir, _write_task(task_dir), {"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_SERVICE_NAME": "x"})
    finally:
        receiver.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert receiver.paths == [] and receiver.spans == []


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": " "},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SDK_DISABLED": "true"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9/v1/traces", "OTEL_TRACES_EXPORTER": "none"},
    ],
    ids=["unset", "blank", "sdk-disabled", "exporter-none"],
)
def test_setup_configures_nothing_without_an_endpoint(environ: dict[str, str]) -> None:
    assert setup_tracing(environ) is None


def test_without_an_endpoint_no_sdk_or_exporter_is_even_loaded() -> None:
    code = (
        "import sys\n"
        "from interns.agents.tracing.spans import setup_tracing\n"
        "assert setup_tracing({}) is None\n"
        "print([m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter'))])\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
