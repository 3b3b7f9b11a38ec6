"""Helpers for the deadlines unit tests: one service instance driven without Kafka, and case
events as routing writes them. (Imported by conftest.py and the tests; pytest runs with
--import-mode=importlib, so conftest puts this folder on sys.path.)"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.envelope import Envelope, make_envelope
from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind
from klachtstroom.deadlines.http.runtime import Deadlines
from klachtstroom.deadlines.store import platform_tables
from klachtstroom.platform.service import Service

AMS = ZoneInfo("Europe/Amsterdam")
RECEIVED = datetime(2026, 3, 3, 10, 0, tzinfo=AMS)  # Tuesday 3 March 2026
_offsets = itertools.count()


def at(day: int, month: int = 3, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in 2026, Amsterdam time."""
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


class Instance:
    """One deadlines service process (without its lifespan: no broker, no background tasks)."""

    def __init__(self, service: Service, app: Any) -> None:
        self.service = service
        self.app = app
        self.rt: Deadlines = app.state.deadlines
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://deadlines",
            headers=service.access.dev_headers(),  # every role, every municipality
        )

    def set_clock(self, moment: datetime) -> None:
        self.service.clock.set(moment, frozen=True)

    async def move_clock(self, moment: datetime) -> int:
        """Like PUT /api/v1/test/clock: set the clock and run what became due."""
        self.set_clock(moment)
        before = self.rt.engine.fired
        await self.service.on_clock_moved()
        return self.rt.engine.fired - before

    async def deliver(self, *payloads: ev.CaseChange) -> list[Envelope]:
        """Hand events to the consumer as one batch (one transaction), like Kafka would."""
        envelopes = [
            make_envelope(p, source="klachtstroom-routing", subject=getattr(p, "case_id", "x"))
            for p in payloads
        ]
        await self.redeliver(envelopes)
        return envelopes

    async def redeliver(self, envelopes: list[Envelope]) -> None:
        records = [
            SimpleNamespace(topic="complaints.case.v1", partition=0, offset=next(_offsets), value=None)
            for _ in envelopes
        ]
        await self.service.consumers[0].process(envelopes, records)

    async def events(self, *types: str) -> list[dict[str, Any]]:
        """Deadline events written to the outbox, in order: `{"type": short name, **data}`."""
        outbox = platform_tables.outbox
        async with self.service.db.reading() as session:
            rows = (await session.execute(select(outbox.c.value).order_by(outbox.c.id))).all()
        found = []
        for row in rows:
            envelope = json.loads(row.value)
            short = envelope["type"].split(".")[-2]
            if not types or short in types:
                found.append({"type": short, "event_id": envelope["id"], **envelope["data"]})
        return found

    async def deadlines(self, case_id: str) -> dict[str, dict[str, Any]]:
        response = await self.http.get("/api/v1/deadlines", params={"case_id": case_id})
        assert response.status_code == 200, response.text
        return {item["key"]: item for item in response.json()["items"]}

    async def close(self) -> None:
        await self.http.aclose()
        await self.rt.sender.close()
        await self.service.db.dispose()
        self.service.tracer_provider.shutdown()


# -- case events as routing writes them ---------------------------------------------------------------


def new_case_id() -> str:
    return str(uuid.uuid4())


def reference_of(case_id: str) -> str:
    """The reference `opened()` gives a case (like the KL-2026-000042 a resident reads out)."""
    return f"KL-2026-{uuid.UUID(case_id).int % 1_000_000:06d}"


def opened(case_id: str, received_at: datetime = RECEIVED, **fields: Any) -> ev.CaseOpened:
    values: dict[str, Any] = {
        "case_id": case_id,
        "state": "received",
        "at": received_at,
        "reference": reference_of(case_id),
        "received_at": received_at,
        "channel": Channel.phone,
        "kind": Kind.complaint,
        "category": Category.conduct,
        "urgent": False,
        "municipality": "Gemeente Voorbeeld",
        "unit": "Inkomen",
        "handler": Handler.municipality,
        "handler_name": "Team Inkomen",
    }
    values.update(fields)
    return ev.CaseOpened(**values)


def change(model: type[ev.CaseChange], case_id: str, when: datetime, **fields: Any) -> Any:
    return model(
        case_id=case_id, state=fields.pop("state", "assigned"), at=when, actor="medewerker", **fields
    )
