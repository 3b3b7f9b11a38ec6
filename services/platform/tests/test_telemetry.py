"""Observability (DESIGN.md, Telemetry; Readiness and metrics; issue 20).

OpenTelemetry's FastAPI and httpx instrumentation make the HTTP spans (named by route template,
client spans for outbound calls, the trace passed on), the standard OTEL_* variables choose
exporters, endpoints and the service's name, no exported span holds personal data, and
`/metrics` has the figures DESIGN.md lists.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import MetaData

from klachtstroom.platform.auth import Role
from klachtstroom.platform.auth.rules import allow
from klachtstroom.platform.outbound.queue import (
    DeliveryResult,
    OutboundCall,
    OutboundQueue,
    define_outbound_table,
)
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.span_privacy import PrivateSpanProcessor, private_status
from klachtstroom.platform.tables import define_platform_tables
from klachtstroom.platform.telemetry import (
    configure_tracing,
    exporters_for,
    otlp_endpoint,
    service_resource,
)

MIGRATIONS = Path(__file__).parent / "migrations"
NAME = "Jantje Geheimpersoon"
EMAIL = "jantje@geheim-voorbeeld.nl"
CODE = "K7Q2-ZX9P-SECRET"
TOKEN = "whsec-planted-token"
PLANTED = (NAME, EMAIL, CODE, TOKEN, "Geheimpersoon", "geheim-voorbeeld")

router = APIRouter()


@router.get("/status/{code}")
async def status_page(code: str, q: str = "") -> dict[str, int]:
    return {"length": len(code) + len(q)}


@router.get("/api/v1/explode")
async def explode() -> None:
    raise ValueError(f"could not store {NAME} <{EMAIL}>")


OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
)


@pytest.fixture
def clean_otel_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """What an exporter would get from this process's tracer providers, through the privacy filter."""
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
async def service(
    tmp_path: Path, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    # An operator who captures every request header must still export none of them.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", ".*")
    metadata = MetaData()
    probe = Service(
        "probe", metadata, define_platform_tables(metadata), MIGRATIONS, PlatformSettings(data_dir=tmp_path)
    )
    probe.tracer_provider.add_span_processor(PrivateSpanProcessor(SimpleSpanProcessor(spans)))
    probe.access.rules = (
        *probe.access.rules,
        allow("GET", "/api/v1/explode", set(Role)),
        allow("GET", "/status/{code}", set(Role)),
    )
    app = probe.create_app("probe", [router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.77", 50123))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://probe", headers=probe.access.dev_headers()
    ) as client:
        yield probe, client


def exported_text(finished: tuple[ReadableSpan, ...]) -> str:
    return "\n".join(span.to_json() for span in finished)


async def test_server_spans_are_named_by_route_and_continue_the_callers_trace(
    service: tuple[Service, httpx.AsyncClient], spans: InMemorySpanExporter
) -> None:
    _probe, client = service
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get(
        f"/status/{CODE}",
        params={"q": NAME, "email": EMAIL},
        headers={
            "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
            "user-agent": f"Mozilla/5.0 ({NAME})",
            "x-resident": EMAIL,
        },
    )
    assert response.status_code == 200
    await client.get("/healthz")
    (server,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.name == "GET /status/{code}"
    assert server.context is not None and f"{server.context.trace_id:032x}" == trace_id
    attributes = dict(server.attributes or {})
    assert attributes["http.route"] == "/status/{code}"
    assert attributes["url.path"] == "/status/{code}"
    assert attributes["http.response.status_code"] == 200
    assert not {"url.query", "client.address", "user_agent.original"} & attributes.keys()
    assert not [key for key in attributes if key.startswith("http.request.header.")]
    text = exported_text(spans.get_finished_spans())
    assert "203.0.113.77" not in text
    assert [value for value in PLANTED if value in text] == []


async def test_an_exception_is_exported_by_type_only_and_its_trace_id_answered(
    service: tuple[Service, httpx.AsyncClient], spans: InMemorySpanExporter
) -> None:
    _probe, client = service
    response = await client.get("/api/v1/explode")
    assert response.status_code == 500
    (server,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.name == "GET /api/v1/explode"
    assert server.context is not None and response.json()["trace_id"] == f"{server.context.trace_id:032x}"
    text = exported_text(spans.get_finished_spans())
    assert [value for value in PLANTED if value in text] == []


def test_a_status_description_keeps_the_exception_type_only() -> None:
    assert private_status(Status(StatusCode.ERROR, f"ValueError: {NAME}")).description == "ValueError"
    assert private_status(Status(StatusCode.ERROR, "httpx.ConnectError")).description == "httpx.ConnectError"
    assert private_status(Status(StatusCode.ERROR, f"could not reach {EMAIL}")).description is None


async def test_outbound_calls_get_client_spans_and_pass_the_trace_on(
    service: tuple[Service, httpx.AsyncClient], spans: InMemorySpanExporter
) -> None:
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    global_provider = trace.get_tracer_provider()
    assert isinstance(global_provider, TracerProvider)
    global_provider.add_span_processor(PrivateSpanProcessor(SimpleSpanProcessor(spans)))
    tracer = trace.get_tracer("test")
    try:
        with tracer.start_as_current_span("hand-over") as parent:
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    f"http://127.0.0.1:{port}/hooks/{TOKEN}?name={NAME}", json={"email": EMAIL}
                )
    finally:
        server.close()
        await server.wait_closed()
    assert response.status_code == 204
    (outbound,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert outbound.name == "POST"
    assert outbound.parent is not None and outbound.parent.span_id == parent.get_span_context().span_id
    attributes = dict(outbound.attributes or {})
    assert attributes["url.full"] == f"http://127.0.0.1:{port}"
    assert attributes["http.response.status_code"] == 204
    assert attributes["server.address"] == "127.0.0.1"
    # The receiver continues the trace: the traceparent it got names the client span.
    assert outbound.context is not None
    headers = received[0].decode().lower()
    assert f"traceparent: 00-{outbound.context.trace_id:032x}-{outbound.context.span_id:016x}" in headers
    text = exported_text(spans.get_finished_spans())
    assert [value for value in PLANTED if value in text] == []


def test_standard_otel_variables_choose_exporters_and_endpoints(
    clean_otel_environment: pytest.MonkeyPatch,
) -> None:
    env = clean_otel_environment
    plain = PlatformSettings()
    assert exporters_for("traces", plain) == [] and exporters_for("metrics", plain) == []
    shorthand = PlatformSettings(otel_exporter="console")
    assert exporters_for("traces", shorthand) == ["console"] and exporters_for("metrics", shorthand) == []
    legacy = PlatformSettings(otel_exporter="otlp", otel_endpoint="http://collector:4318/")
    assert exporters_for("metrics", legacy) == ["otlp"]
    assert otlp_endpoint("traces", legacy) == "http://collector:4318/v1/traces"
    assert otlp_endpoint("metrics", legacy) == "http://collector:4318/v1/metrics"

    env.setenv("OTEL_TRACES_EXPORTER", "otlp, console")
    env.setenv("OTEL_METRICS_EXPORTER", "none")
    env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel.example:4318")
    assert exporters_for("traces", shorthand) == ["otlp", "console"]
    assert exporters_for("metrics", legacy) == []
    # The standard endpoint wins: the exporter reads it (and adds /v1/traces) itself.
    assert otlp_endpoint("traces", legacy) is None
    provider = configure_tracing("probe", plain)
    endpoints = [
        getattr(getattr(getattr(p, "inner", None), "span_exporter", None), "_endpoint", None)
        for p in provider._active_span_processor._span_processors
    ]
    assert "http://otel.example:4318/v1/traces" in endpoints
    provider.shutdown()

    env.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="zipkin"):
        exporters_for("traces", plain)
    env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ValueError, match="http/protobuf"):
        otlp_endpoint("traces", plain)
    env.setenv("OTEL_SDK_DISABLED", "true")
    assert exporters_for("traces", shorthand) == []


def test_the_service_name_is_the_operators_when_given(clean_otel_environment: pytest.MonkeyPatch) -> None:
    assert service_resource("routing").attributes["service.name"] == "klachtstroom-routing"
    clean_otel_environment.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=acceptatie")
    resource = service_resource("routing")
    assert resource.attributes["deployment.environment"] == "acceptatie"
    assert resource.attributes["service.name"] == "klachtstroom-routing"
    clean_otel_environment.setenv("OTEL_SERVICE_NAME", "klachten-routing-gemeente-x")
    assert service_resource("routing").attributes["service.name"] == "klachten-routing-gemeente-x"


async def test_metrics_show_every_figure_design_lists(service: tuple[Service, httpx.AsyncClient]) -> None:
    probe, client = service
    await asyncio.to_thread(probe.migrate)  # the outbox's gauges read its table

    async def deliver(_call: OutboundCall) -> DeliveryResult:
        return DeliveryResult()

    probe.consume(["klachtstroom.test.things"], {}, consumer_name="probe-metrics")
    OutboundQueue(probe.db, define_outbound_table(MetaData())).register("probe-webhook", deliver)
    assert (await client.get(f"/status/{CODE}")).status_code == 200

    text = (await client.get("/metrics")).text
    figures = {
        "outbox pending rows": r'^klachtstroom_outbox_pending\{[^}]*service="probe"',
        "outbox oldest age": r'^klachtstroom_outbox_oldest_age_seconds\{[^}]*service="probe"',
        "consumer lag": r'^klachtstroom_consumer_lag\{[^}]*service="probe"',
        "DLQ count": r'^klachtstroom_dlq_messages_total\{[^}]*consumer="probe-metrics"',
        "handled events": r'^klachtstroom_consumer_events_total\{[^}]*consumer="probe-metrics"',
        "HTTP duration by route": (
            r'^http_server_request_duration_seconds_count\{[^}]*http_route="/status/\{code\}"'
        ),
        "outbound by state": (
            r'^klachtstroom_outbound_deliveries_total\{[^}]*kind="probe-webhook"[^}]*state="dead"'
        ),
    }
    missing = [figure for figure, pattern in figures.items() if not re.search(pattern, text, re.M)]
    assert missing == [], missing
    assert CODE not in text
