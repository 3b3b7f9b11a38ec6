"""A server span per HTTP request, so a trace runs from the request through the outbox to Kafka.

The incoming `traceparent` header (if any) is continued; the span is current while the route
runs, so events written to the outbox carry its trace context (see telemetry.current_traceparent).
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from klachtstroom.platform.http_edge import TRACE_ID_SCOPE_KEY
from klachtstroom.platform.metrics import http_duration

tracer = trace.get_tracer("klachtstroom.platform.http")

Scope = dict[str, Any]


class TracingMiddleware:
    """Pure ASGI middleware (no per-request task switching, works with streaming responses)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in ("/healthz", "/readyz", "/metrics"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        context = propagate.extract(headers)
        method = scope.get("method", "GET")
        route = scope.get("path", "")
        with tracer.start_as_current_span(
            f"{method} {route}",
            context=context,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": route},
            # An exception's message and stack values may quote what was sent: record its type only.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            started = time.perf_counter()
            status = 500
            context_of_span = span.get_span_context()
            if context_of_span.is_valid:
                scope[TRACE_ID_SCOPE_KEY] = f"{context_of_span.trace_id:032x}"

            async def send_with_status(message: dict[str, Any]) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, send_with_status)
            except Exception as error:
                name = f"{type(error).__module__}.{type(error).__qualname__}"
                span.set_status(Status(StatusCode.ERROR, name))
                span.add_event("exception", {"exception.type": name})
                raise
            finally:
                # By route template (`/api/v1/cases/{case_id}`), never the raw path: bounded labels.
                matched = scope.get("route")
                template = getattr(matched, "path_format", None) or getattr(matched, "path", None)
                http_duration.record(
                    time.perf_counter() - started,
                    {
                        "http.request.method": method,
                        "http.route": template or "unmatched",
                        "http.response.status_code": status,
                    },
                )
