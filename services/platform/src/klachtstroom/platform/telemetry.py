"""OpenTelemetry tracing and structured JSON logs with trace ids; personal data is redacted."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.span_privacy import PrivateSpanProcessor

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
    # httpx logs every request's full URL at INFO: a query or a webhook's path may hold personal
    # data or a secret (outbound calls are traced and counted instead).
    for noisy in ("aiokafka", "uvicorn.access", "faststream.access.kafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _env_list(name: str) -> list[str] | None:
    """A comma-separated OTEL_* variable as a list, or None when it is not set."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def exporters_for(signal: str, settings: PlatformSettings) -> list[str]:
    """Exporter names for "traces" or "metrics": `OTEL_<SIGNAL>_EXPORTER` (the standard variable),
    else the `KLACHTSTROOM_OTEL_EXPORTER` shorthand (`console` means traces only)."""
    if sdk_disabled():
        return []
    names = _env_list(f"OTEL_{signal.upper()}_EXPORTER")
    if names is None:
        legacy = settings.otel_exporter.strip().lower()
        names = [legacy] if signal == "traces" or legacy == "otlp" else []
    known = {"traces": {"none", "console", "otlp"}, "metrics": {"none", "console", "otlp", "prometheus"}}
    unknown = [name for name in names if name not in known[signal]]
    if unknown:
        raise ValueError(f"OTEL_{signal.upper()}_EXPORTER: unknown exporter {unknown[0]!r}")
    return [name for name in names if name != "none"]


def otlp_endpoint(signal: str, settings: PlatformSettings) -> str | None:
    """Where OTLP sends a signal: None lets the exporter read `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`
    or `OTEL_EXPORTER_OTLP_ENDPOINT` itself; without either, `KLACHTSTROOM_OTEL_ENDPOINT` (a base
    URL like `OTEL_EXPORTER_OTLP_ENDPOINT`, the signal's path is added)."""
    protocol = os.environ.get(
        f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    ).strip()
    if protocol not in ("", "http/protobuf"):
        raise ValueError(f"OTLP protocol {protocol!r} is not installed: use http/protobuf (port 4318)")
    standard = ("OTEL_EXPORTER_OTLP_ENDPOINT", f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    if any(os.environ.get(name) for name in standard) or not settings.otel_endpoint:
        return None
    return f"{settings.otel_endpoint.rstrip('/')}/v1/{signal}"


def service_resource(service: str) -> Resource:
    """`service.name` is `klachtstroom-<service>` unless OTEL_SERVICE_NAME (or `service.name` in
    OTEL_RESOURCE_ATTRIBUTES) names it; OTEL_RESOURCE_ATTRIBUTES adds the operator's attributes."""
    attributes: dict[str, str] = {"service.namespace": "klachtstroom"}
    with suppress(PackageNotFoundError):  # always installed with the platform
        attributes["service.version"] = version("klachtstroom-platform")
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    if not named:
        attributes["service.name"] = f"klachtstroom-{service}"
    return Resource.create(attributes)


def configure_tracing(service: str, settings: PlatformSettings) -> TracerProvider:
    """A TracerProvider with the exporters that OTEL_TRACES_EXPORTER (or the shorthand) names.

    The sampler follows OTEL_TRACES_SAMPLER(_ARG), the batching OTEL_BSP_*, the propagators
    OTEL_PROPAGATORS: the SDK reads those itself. Every exporter gets spans through
    `PrivateSpanProcessor`, which strips what could hold personal data (span_privacy.py).
    """
    provider = TracerProvider(resource=service_resource(service))
    for name in exporters_for("traces", settings):
        exporter: SpanExporter
        if name == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=otlp_endpoint("traces", settings))
        provider.add_span_processor(PrivateSpanProcessor(BatchSpanProcessor(exporter)))
    # The global provider (httpx client spans, FastStream) is the first service's of a process;
    # several services in one process (tests) keep their own for their server spans.
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
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
