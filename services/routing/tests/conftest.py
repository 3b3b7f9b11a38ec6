"""A routing service on a fresh database (SQLite; PostgreSQL too when KLACHTSTROOM_TEST_POSTGRES
is set), driven without Kafka: events go straight into the handlers, HTTP through ASGI."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope
from klachtstroom.contracts.intake_events import ComplaintReceived
from klachtstroom.contracts.vocabulary import Category, Channel, Kind
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.routing.app import create_service
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.settings import RoutingSettings

AMS = ZoneInfo("Europe/Amsterdam")
RECEIVED = datetime(2026, 3, 3, 10, 0, tzinfo=AMS)  # Tuesday 3 March 2026
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

from postgres import backends, use_backend  # type: ignore[import-not-found]  # noqa: E402


@pytest.fixture(params=backends())
def database_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_backend(request.param, "routing", monkeypatch)
    yield request.param


class Harness:
    """The service without its lifespan: no broker, no background tasks unless a test runs them."""

    def __init__(self, service: Service, app: Any) -> None:
        self.service = service
        self.app = app
        self.work: CaseWork = app.state.casework
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://routing",
            headers=service.access.dev_headers(),  # every role, every municipality
        )
        # Without a token: an outside caller (a provider's system signing its webhooks).
        self.anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing")
        self.handlers = {
            model.event_type: handler for model, handler in service.consumers[0].handlers.values()
        }
        # Intake's staff API as far as routing asks it (claim check: the texts never travel in
        # an event); the real intake answers in the end-to-end tests.
        self.intake_texts: dict[str, dict[str, Any]] = {}
        intake = FastAPI()

        @intake.get("/api/v1/complaints/{complaint_id}")
        async def complaint(complaint_id: str) -> JSONResponse:
            texts = self.intake_texts.get(complaint_id)
            if texts is None:
                return JSONResponse({"detail": "Deze klacht kennen we niet."}, status_code=404)
            return JSONResponse({"id": complaint_id, **texts})

        # The complainant's contact details (intake decrypts them for routing's `system` token),
        # and for whom routing asked (the signed-in person, for intake's audit trail).
        self.intake_contacts: dict[str, dict[str, Any]] = {}
        self.contact_asked_for: list[str | None] = []

        @intake.get("/api/v1/complaints/{complaint_id}/contact")
        async def contact(complaint_id: str, request: Request) -> JSONResponse:
            self.contact_asked_for.append(request.headers.get("x-klachtstroom-on-behalf-of"))
            details = self.intake_contacts.get(complaint_id)
            if details is None:
                return JSONResponse({"detail": "Deze klacht kennen we niet."}, status_code=404)
            return JSONResponse({"complaint_id": complaint_id, **details})

        service.peers._clients["intake"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=intake), base_url="http://intake"
        )

    async def deliver(self, payload: Payload, subject: str | None = None) -> Envelope:
        """Hand one event to routing's consumer handler, in one transaction, like a batch of one."""
        envelope = make_envelope(payload, source="test", subject=subject or getattr(payload, "case_id", "x"))
        handler = self.handlers[payload.event_type]
        async with self.service.db.transaction() as session:
            await handler(session, envelope, payload)
        return envelope

    async def receive(self, **fields: Any) -> str:
        """A complaint as intake registers it: its texts stay with (fake) intake, the rest is the event."""
        complaint_id = fields.pop("complaint_id", str(uuid.uuid4()))
        self.intake_texts[complaint_id] = {
            "description": fields.pop("description", "Ik ben onvriendelijk behandeld aan de telefoon."),
            "about_employee": fields.pop("about_employee", None),
            "handover_note": fields.pop("handover_note", None),
        }
        fields.setdefault("names_employee", self.intake_texts[complaint_id]["about_employee"] is not None)
        defaults: dict[str, Any] = {
            "complaint_id": complaint_id,
            "reference": f"KL-2026-{uuid.uuid4().int % 1_000_000:06d}",
            "channel": Channel.phone,
            "received_at": RECEIVED,
            "complainant_id": str(uuid.uuid4()),
            "complainant_reachable": True,
            "kind": Kind.complaint,
            "category": Category.conduct,
            "urgent": False,
        }
        await self.deliver(ComplaintReceived(**(defaults | fields)), subject=complaint_id)
        return complaint_id

    async def outbox(self) -> list[dict[str, Any]]:
        """Events written to the outbox so far, oldest first, as envelopes (dicts)."""
        import json

        outbox = self.service.tables.outbox
        async with self.service.db.reading() as session:
            rows = (await session.execute(select(outbox.c.value).order_by(outbox.c.id))).scalars()
            return [json.loads(value) for value in rows]

    async def events(self, case_id: str) -> list[str]:
        return [e["type"].split(".")[-2] for e in await self.outbox() if e["subject"] == case_id]

    async def act(self, case_id: str, action: str, **body: Any) -> httpx.Response:
        return await self.http.post(f"/api/v1/cases/{case_id}/{action}", json=body)

    async def case(self, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/cases/{case_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
async def routing(tmp_path: Path, database_env: str) -> AsyncIterator[Harness]:
    settings = PlatformSettings(data_dir=tmp_path, test_clock=True)
    service, app = create_service(settings, RoutingSettings(delivery_backoff_seconds=1.0))
    await asyncio.to_thread(service.migrate)
    service.clock.set(datetime(2026, 3, 3, 12, 0, tzinfo=AMS))
    harness = Harness(service, app)
    try:
        yield harness
    finally:
        await harness.http.aclose()
        await harness.anonymous.aclose()
        await service.db.dispose()
