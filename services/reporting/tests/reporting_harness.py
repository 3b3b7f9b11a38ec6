"""The reporting service on a SQLite file, without Kafka: events go straight into its consumer."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from klachtstroom.contracts.envelope import Envelope
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.reporting.app import create_service
from klachtstroom.reporting.http.runtime import Reporting
from klachtstroom.reporting.settings import ReportingSettings

NOW = datetime.fromisoformat("2026-01-15T10:00:00+00:00")


@dataclass
class Harness:
    service: Service
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def reporting(self) -> Reporting:
        reporting: Reporting = self.app.state.reporting
        return reporting

    async def deliver(self, order: Sequence[tuple[str, Envelope]], batch: int = 7) -> None:
        """Feed events to the consumer in batches, as FastStream would, then let it fold."""
        consumer = self.service.consumers[0]
        envelopes = [envelope for _, envelope in order]
        for start in range(0, len(envelopes), batch):
            chunk = envelopes[start : start + batch]
            await consumer.process(chunk, [None] * len(chunk))

    def routing_with_measures(self, text: str) -> list[str]:
        """Routing's case API as far as the provider report asks it (measures are routing's text,
        never in an event; the real one answers in tests/test_routing_providers_zgw_e2e.py).
        Every case has `text` as its measures; returns the list of case ids asked for."""
        asked: list[str] = []
        routing = FastAPI()

        @routing.get("/api/v1/cases/{case_id}")
        async def case(case_id: str) -> dict[str, Any]:
            asked.append(case_id)
            entry = {"action": "provider-status", "event_type": "provider_status", "data": {"measures": text}}
            return {"id": case_id, "history": [entry]}

        transport = httpx.ASGITransport(routing)
        self.service.peers._clients["routing"] = httpx.AsyncClient(
            transport=transport, base_url="http://routing"
        )
        return asked

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def json(self, path: str) -> Any:
        response = await self.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    async def outbox_types(self) -> list[str]:
        outbox = self.service.tables.outbox
        async with self.service.db.reading() as session:
            rows = (await session.execute(select(outbox.c.value).order_by(outbox.c.id))).scalars()
            return [json.loads(value)["type"] for value in rows]

    async def close(self) -> None:
        await self.client.aclose()
        await self.service.db.dispose()


def fresh_postgres_database(server_url: str) -> str:
    """A new, empty database on the test server (KLACHTSTROOM_TEST_POSTGRES)."""
    import psycopg

    name = f"reporting_{uuid.uuid4().hex[:10]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


async def start_harness(data_dir: Path, **settings: Any) -> Harness:
    """The service on SQLite under `data_dir`, or on a fresh PostgreSQL database when
    KLACHTSTROOM_TEST_POSTGRES names a server (the suite runs against both)."""
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if server:
        os.environ["KLACHTSTROOM_REPORTING_DATABASE_URL"] = fresh_postgres_database(server)
    else:
        os.environ.pop("KLACHTSTROOM_REPORTING_DATABASE_URL", None)
    service, app = create_service(
        PlatformSettings(data_dir=data_dir, test_clock=True),
        ReportingSettings(trend_min_gap_seconds=3600, **settings),
    )
    await asyncio.to_thread(service.migrate)
    service.clock.set(NOW, frozen=True)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://reporting.test",
        headers=service.access.dev_headers(),  # every role, every municipality
    )
    return Harness(service, app, client)
