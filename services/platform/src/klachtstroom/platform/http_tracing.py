"""HTTP spans and request metrics from OpenTelemetry's FastAPI and httpx instrumentation.

- Server: a span per request named by route template (`POST /api/v1/cases/{case_id}/assign`),
  continuing an incoming `traceparent`; it is current while the route runs, so events written
  to the outbox carry its trace context (telemetry.current_traceparent). `/healthz`, `/readyz`
  and `/metrics` get none. The request duration histogram `http.server.request.duration` (by
  `http.route`, method and status) goes to the process's MeterProvider, so to `/metrics`.
- Client: every httpx call (ZGW, webhooks, college signals, peers, the OIDC issuer) gets a
  client span and passes the trace on in `traceparent`.
- Semantic conventions: the stable HTTP conventions (`OTEL_SEMCONV_STABILITY_OPT_IN=http`)
  unless the operator sets that variable. The standard `OTEL_PYTHON_FASTAPI_EXCLUDED_URLS` and
  `OTEL_PYTHON_HTTPX_EXCLUDED_URLS` are honoured; header capture variables are, but exported
  spans never hold headers, queries, addresses or exception messages (span_privacy.py).
"""

from __future__ import annotations

import os
import threading

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

# Probes and scrapes: no span, no duration (they would drown the requests that matter).
OPERATIONS_URLS = "/healthz$,/readyz$,/metrics$"

_httpx_lock = threading.Lock()


def use_stable_http_conventions() -> None:
    """Before any instrumentation reads it: span and metric names of the stable HTTP conventions."""
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


def instrument_app(app: FastAPI, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    use_stable_http_conventions()
    extra = os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") or os.environ.get("OTEL_PYTHON_EXCLUDED_URLS")
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        excluded_urls=",".join(part for part in (OPERATIONS_URLS, extra) if part),
        # The ASGI receive/send of every body chunk as spans of their own: noise and cost.
        exclude_spans=["receive", "send"],
    )


def instrument_httpx() -> None:
    """Once per process: every httpx client (made before or after) gets client spans."""
    use_stable_http_conventions()
    with _httpx_lock:
        instrumentor = HTTPXClientInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
