"""The OpenTelemetry SDK side of traces: a provider whose spans carry the run id and leave redacted, over OTLP/HTTP.

Imported only when traces are on (see `agents.tracing`), so a run without them never loads the SDK or an exporter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import baggage
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import Attributes, AttributeValue

from interns.agents.tracing.spans import RUN_ID, STEP
from interns.journal import Redactor

__all__ = ["CarriedAttributes", "RedactingExporter", "build_provider"]


def build_provider(endpoint: str, *, service: str) -> tuple[TracerProvider, RedactingExporter]:
    """A tracer provider exporting redacted spans in batches to `endpoint`, each with the run id it ran under; and
    its exporter, whose redactor a run replaces with its own."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(CarriedAttributes((RUN_ID, STEP)))
    exporter = RedactingExporter(OTLPSpanExporter(endpoint=endpoint), Redactor.from_environ(os.environ))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, exporter


class CarriedAttributes(SpanProcessor):
    """Copies the named baggage entries onto every span as it starts, whoever starts it."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Set each carried baggage entry of the span's context as an attribute of the span."""
        for key in self.keys:
            value = baggage.get_baggage(key, parent_context)
            if value is not None:
                span.set_attribute(key, str(value))


class RedactingExporter(SpanExporter):
    """Passes spans on to another exporter with every string in their attributes, events and status redacted."""

    def __init__(self, inner: SpanExporter, redactor: Redactor) -> None:
        self.inner, self.redactor = inner, redactor

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export redacted copies of the spans."""
        return self.inner.export([self._redacted(span) for span in spans])

    def shutdown(self) -> None:
        """Shut the inner exporter down."""
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)

    def _redacted(self, span: ReadableSpan) -> ReadableSpan:
        status = span.status
        if status.status_code is StatusCode.ERROR and status.description:
            status = Status(StatusCode.ERROR, self.redactor.redact(status.description))
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=self._attributes(span.attributes),
            events=[Event(e.name, self._attributes(e.attributes), e.timestamp) for e in span.events],
            links=span.links,
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def _attributes(self, attributes: Attributes) -> dict[str, AttributeValue]:
        return {key: self._value(value) for key, value in (attributes or {}).items()}

    def _value(self, value: AttributeValue) -> AttributeValue:
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
            return [self.redactor.redact(str(item)) for item in value]
        return value
