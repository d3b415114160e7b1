"""OpenTelemetry traces of runs, sent to an OTLP collector only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

One trace per run: a `run` span, a `step` span for each step, pydantic-ai's own spans for each agent run, model
request and tool call, and a `sandbox command` span for each command the setup, the workers and the checks run. The
run id (and the step, inside one) is carried as OpenTelemetry baggage and copied onto every span started under it,
pydantic-ai's included. Without the variable nothing is configured: the spans here are skipped and no exporter exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # OpenTelemetry itself loads only where a span is made: a listing or a check never needs it
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from interns.agents.tracing.export import RedactingExporter
    from interns.journal import Redactor
    from interns.sandbox import ExecResult, Sandbox

__all__ = [
    "CONTENT_VARIABLE",
    "ENDPOINT_VARIABLES",
    "RUN_ID",
    "STEP",
    "end_span",
    "redact_traces_with",
    "run_span",
    "setup_tracing",
    "shutdown_tracing",
    "step_span",
    "traced_exec",
]

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
"""The standard variables that switch traces on; the first one set wins, as the OTLP exporter reads them."""
CONTENT_VARIABLE = "INTERNS_OTEL_CONTENT"
"""Set to 1 to put prompts, model answers and tool arguments and results on pydantic-ai's spans (off by default)."""
RUN_ID, STEP = "interns.run_id", "interns.step"
"""Baggage keys, and the span attributes they are copied to."""
_FAILED_STATUSES = frozenset({"failed", "limit_exceeded"})


@dataclass
class _Tracing:
    provider: TracerProvider
    tracer: trace.Tracer
    exporter: RedactingExporter


_active: _Tracing | None = None
"""The tracing this process set up, or None: then every span here is skipped."""


def setup_tracing(environ: Mapping[str, str]) -> TracerProvider | None:
    """Send traces to the OTLP/HTTP collector `environ` names; None, with nothing configured, when it names none.

    The exporter honours the other standard variables (`OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`, ...) from the
    process environment; `OTEL_SERVICE_NAME` defaults to "interns"; `OTEL_SDK_DISABLED=true` or
    `OTEL_TRACES_EXPORTER=none` turn traces off. Every agent is instrumented, with message content only when
    `INTERNS_OTEL_CONTENT=1`. Call `shutdown_tracing()` before the process ends, or the last spans are lost.
    """
    global _active
    endpoint = _endpoint(environ)
    if endpoint is None:
        return None
    # The SDK, the exporter and pydantic-ai's instrumentation load only when traces are on.
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings

    from interns.agents.tracing.export import build_provider

    content = environ.get(CONTENT_VARIABLE, "").strip().lower() in ("1", "true", "yes")
    provider, exporter = build_provider(endpoint, service=environ.get("OTEL_SERVICE_NAME") or "interns")
    Agent.instrument_all(InstrumentationSettings(tracer_provider=provider, include_content=content))
    _active = _Tracing(provider, provider.get_tracer("interns"), exporter)
    return provider


def redact_traces_with(redactor: Redactor) -> None:
    """Redact what traces send with `redactor` from now on: a run's own, which knows the values its task hands out."""
    if _active is not None:
        _active.exporter.redactor = redactor


def shutdown_tracing() -> None:
    """Send the spans still buffered and stop tracing; nothing happens when tracing was never set up."""
    global _active
    if _active is None:
        return
    from pydantic_ai import Agent

    tracing, _active = _active, None
    Agent.instrument_all(False)
    tracing.provider.shutdown()


def _endpoint(environ: Mapping[str, str]) -> str | None:
    """The full URL spans go to, or None when traces are off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return None
    if traces := environ.get(ENDPOINT_VARIABLES[0], "").strip():
        return traces
    if base := environ.get(ENDPOINT_VARIABLES[1], "").strip():
        return base.rstrip("/") + "/v1/traces"
    return None


@contextmanager
def run_span(run_id: str, *, task: str, model: str, sandbox: str, resumed: bool = False) -> Iterator[trace.Span]:
    """The span of one run, or of its resumption (a trace of its own); every span started inside carries the run id."""
    attributes = {RUN_ID: run_id, "interns.task": task, "interns.model": model, "interns.sandbox": sandbox}
    with _span("run", {**attributes, "interns.resumed": resumed}, {RUN_ID: run_id}) as span:
        yield span


@contextmanager
def step_span(step: str) -> Iterator[trace.Span]:
    """The span of one step; every span started inside it carries the step's id."""
    with _span("step", {STEP: step}, {STEP: step}) as span:
        yield span


def end_span(span: trace.Span, status: str, attempts: int | None = None, reason: str = "") -> None:
    """Say how a run or step ended on its span: its status, the attempts it took, and an error for a failure."""
    if not span.is_recording():
        return
    span.set_attribute("interns.status", status)
    if attempts is not None:
        span.set_attribute("interns.attempt", attempts)
    if reason:
        span.set_attribute("interns.reason", reason)
    if status in _FAILED_STATUSES:
        from opentelemetry.trace import StatusCode

        span.set_status(StatusCode.ERROR, reason or status)


@contextmanager
def _span(name: str, attributes: dict[str, str | bool], carried: dict[str, str]) -> Iterator[trace.Span]:
    """A span made current with `carried` added to the baggage; a non-recording span when tracing is off."""
    from opentelemetry import baggage, context
    from opentelemetry.trace import INVALID_SPAN

    if _active is None:
        yield INVALID_SPAN
        return
    ctx = context.get_current()
    for key, value in carried.items():
        ctx = baggage.set_baggage(key, value, ctx)
    token = context.attach(ctx)
    try:
        with _active.tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span
    finally:
        context.detach(token)


async def traced_exec(
    sandbox: Sandbox,
    argv: Sequence[str],
    *,
    by: Literal["worker", "check", "setup"],
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> ExecResult:
    """Run a command in the sandbox, inside a `sandbox command` span when traces are on."""
    if _active is None:
        return await sandbox.exec(argv, stdin=stdin, timeout=timeout)
    attributes = {
        "process.command_args": list(argv),
        "interns.command.by": by,
        "interns.sandbox.backend": sandbox.spec.backend,
    }
    with _active.tracer.start_as_current_span("sandbox command", attributes=attributes) as span:
        result = await sandbox.exec(argv, stdin=stdin, timeout=timeout)
        span.set_attributes(
            {
                "process.exit.code": result.exit_code,
                "interns.command.duration_s": result.duration,
                "interns.command.timed_out": result.timed_out,
            }
        )
    return result
