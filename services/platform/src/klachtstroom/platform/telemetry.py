"""OpenTelemetry tracing and structured JSON logs with trace ids; personal data is redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from klachtstroom.platform.settings import PlatformSettings

# Patterns of personal data that must never reach a log line (BSN, e-mail, phone numbers).
_REDACTIONS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[e-mail]"),
    (re.compile(r"(?<!\d)(?:\+31|0031|0)[\s-]?(?:\d[\s-]?){9}(?!\d)"), "[telefoon]"),
    (re.compile(r"(?<![\d-])\d{8,9}(?![\d-])"), "[nummer]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonLogFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = f"{span.trace_id:032x}"
            entry["span_id"] = f"{span.span_id:016x}"
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "faststream.access.kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def configure_tracing(service: str, settings: PlatformSettings) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"klachtstroom-{service}"}))
    exporter: SpanExporter | None = None
    if settings.otel_exporter == "console":
        exporter = ConsoleSpanExporter()
    elif settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = (
            OTLPSpanExporter(endpoint=settings.otel_endpoint)
            if settings.otel_endpoint
            else (OTLPSpanExporter())
        )
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


# The trace context of the consumed event being handled, set per event by the consumer: the
# events a handler writes carry it on, so a complaint's trace continues from hop to hop without
# the cost of a span per consumed event (the batch has one span, linked to every event).
_event_traceparent: ContextVar[str | None] = ContextVar("klachtstroom_event_traceparent", default=None)


@contextmanager
def propagating(traceparent: str | None) -> Iterator[None]:
    """While handling one consumed event: events written now continue its trace."""
    token = _event_traceparent.set(traceparent)
    try:
        yield
    finally:
        _event_traceparent.reset(token)


def current_traceparent() -> str | None:
    """The W3C traceparent to carry in an event's envelope: the consumed event's being handled,
    else the active span's (an HTTP request, a timer)."""
    handled = _event_traceparent.get()
    if handled is not None:
        return handled
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def span_context_of(traceparent: str | None) -> trace.SpanContext | None:
    """Parse a W3C traceparent (`00-<trace id>-<span id>-<flags>`) without the propagator's cost."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    return trace.SpanContext(trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(flags & 0xFF))


def links_to(traceparents: Iterable[str | None], limit: int = 128) -> list[trace.Link]:
    """Span links to the producers of a batch's events (OpenTelemetry keeps 128 per span)."""
    links: list[trace.Link] = []
    for traceparent in traceparents:
        context = span_context_of(traceparent)
        if context is not None:
            links.append(trace.Link(context))
            if len(links) >= limit:
                break
    return links


def context_from_traceparent(traceparent: str | None) -> Any:
    if not traceparent:
        return None
    return propagate.extract({"traceparent": traceparent})
