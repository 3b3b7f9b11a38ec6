"""The load gate: bursts wait their turn, sustained overload gets a quick 503, nothing leaks a slot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import MetaData

from klachtstroom.platform.auth import Role
from klachtstroom.platform.auth.rules import allow
from klachtstroom.platform.load_gate import LoadGate
from klachtstroom.platform.problems import PROBLEM_JSON
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.tables import define_platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowApp:
    """Each request works until the test lets it finish; counts how many ever started."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.started += 1
        if scope["path"] != "/healthz":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gate")


async def until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def test_a_burst_waits_its_turn_and_is_served() -> None:
    slow = SlowApp()
    gate = LoadGate(slow, max_in_flight=2, queue_wait_seconds=5.0, overload_wait_seconds=0.01, clock=Clock())
    async with client_for(gate) as client:
        calls = [asyncio.create_task(client.get(f"/api/v1/x{i}")) for i in range(5)]
        await until(lambda: len(gate.waiting) == 3)
        assert slow.started == 2 and gate.in_flight == 2  # the others wait, none started
        slow.release.set()
        answers = await asyncio.gather(*calls)
    assert [a.status_code for a in answers] == [200] * 5
    assert slow.started == 5 and gate.in_flight == 0 and not gate.waiting and gate.refused == 0


async def test_sustained_overload_is_refused_at_once_with_retry_after() -> None:
    clock, slow = Clock(), SlowApp()
    gate = LoadGate(slow, max_in_flight=1, queue_wait_seconds=5.0, overload_wait_seconds=0.01, clock=clock)
    async with client_for(gate) as client:
        working = asyncio.create_task(client.post("/api/v1/complaints", json={}))
        await until(lambda: gate.in_flight == 1)
        clock.now += 6  # no slot has come free for longer than a burst may wait
        assert gate.overloaded()
        refused = await asyncio.wait_for(client.post("/api/v1/complaints", json={}), 2)
        health = await asyncio.wait_for(client.get("/healthz"), 2)  # never waits
        page = await asyncio.wait_for(client.post("/", headers={"accept": "text/html,*/*"}), 2)
        slow.release.set()
        assert (await working).status_code == 200
    assert refused.status_code == 503
    assert refused.headers["content-type"] == PROBLEM_JSON and refused.headers["retry-after"] == "5"
    body = refused.json()
    assert body["status"] == 503 and "druk" in body["detail"] and "trace_id" in body
    assert health.status_code == 200
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "erg druk" in page.text and "niets opgeslagen" in page.text and page.headers["retry-after"] == "5"
    assert slow.started == 2  # the refused requests did no work
    assert gate.refused == 2 and gate.in_flight == 0 and not gate.overloaded()


async def test_a_client_that_leaves_while_waiting_frees_nothing_twice() -> None:
    slow = SlowApp()
    gate = LoadGate(slow, max_in_flight=1, queue_wait_seconds=5.0, overload_wait_seconds=0.01, clock=Clock())
    async with client_for(gate) as client:
        working = asyncio.create_task(client.get("/api/v1/a"))
        leaving = asyncio.create_task(client.get("/api/v1/b"))
        await until(lambda: len(gate.waiting) == 1)
        leaving.cancel()
        await asyncio.gather(leaving, return_exceptions=True)
        assert not gate.waiting and gate.in_flight == 1
        slow.release.set()
        assert (await working).status_code == 200
        assert (await client.get("/api/v1/c")).status_code == 200
    assert gate.in_flight == 0 and slow.started == 2


async def test_every_service_has_the_gate_with_its_settings(tmp_path: Path) -> None:
    router = APIRouter(prefix="/api/v1")
    hold = asyncio.Event()

    @router.get("/slow")
    async def slow_route() -> dict[str, bool]:
        await hold.wait()
        return {"ok": True}

    metadata = MetaData()
    settings = PlatformSettings(
        data_dir=tmp_path, http_max_in_flight=1, http_queue_wait_seconds=0.05, http_overload_wait_seconds=0.05
    )
    service = Service("probe", metadata, define_platform_tables(metadata), MIGRATIONS, settings)
    service.access.rules = (*service.access.rules, allow("GET", "/api/v1/slow", set(Role)))
    app = service.create_app("probe", [router])
    spans = InMemorySpanExporter()
    service.tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    await asyncio.to_thread(service.migrate)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = service.access.dev_headers()
    async with httpx.AsyncClient(transport=transport, base_url="http://probe", headers=headers) as client:
        first = asyncio.create_task(client.get("/api/v1/slow"))
        await asyncio.sleep(0.1)
        traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
        second = await asyncio.wait_for(client.get("/api/v1/slow", headers={"traceparent": traceparent}), 2)
        hold.set()
        assert (await first).status_code == 200
    assert second.status_code == 503 and second.headers["api-version"] == "1.0.0"
    assert second.headers["retry-after"] == "5"
    # Refused outside every other layer: one span of the gate's own, in the caller's trace, and
    # not the server span (named by route) the requests that got in have.
    assert second.json()["trace_id"] == TRACE_ID
    refused = [span for span in spans.get_finished_spans() if f"{span.context.trace_id:032x}" == TRACE_ID]
    assert [(span.name, span.kind) for span in refused] == [("GET", SpanKind.SERVER)]
    assert any(span.name == "GET /api/v1/slow" for span in spans.get_finished_spans())


@pytest.mark.parametrize("size", [0, -1])
def test_a_gate_needs_room_for_one_request(size: int) -> None:
    with pytest.raises(ValueError):
        LoadGate(SlowApp(), max_in_flight=size, queue_wait_seconds=1, overload_wait_seconds=0.1)


async def test_a_turn_handed_over_as_its_client_leaves_is_not_lost() -> None:
    gate = LoadGate(SlowApp(), max_in_flight=1, queue_wait_seconds=5.0, overload_wait_seconds=0.01)
    assert await gate._enter()
    waiter = asyncio.create_task(gate._enter())
    await until(lambda: len(gate.waiting) == 1)
    gate._leave()  # the slot goes to the waiter ...
    waiter.cancel()  # ... whose client leaves before it resumes
    [outcome] = await asyncio.gather(waiter, return_exceptions=True)
    if outcome is True:  # it got the slot after all: it gives it back when done
        gate._leave()
    assert gate.in_flight == 0 and not gate.waiting
