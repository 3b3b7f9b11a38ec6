"""Signals to the college: one per urgent complaint, on the outbox, by e-mail and signed webhook."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from reporting_events import Story, interleave
from reporting_harness import Harness, start_harness
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook as StandardWebhook

from klachtstroom.contracts.intake_events import ImportedHistory
from klachtstroom.contracts.vocabulary import Category, Outcome
from klachtstroom.reporting.store import outbound_calls

SECRET = "gedeeld-geheim"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content)
        return "250 OK"


class Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Webhook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Webhook.received = []
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/college"
    server.shutdown()


@pytest.fixture
async def college(tmp_path: Path, webhook: str) -> AsyncIterator[tuple[Harness, Mailbox, int]]:
    port = free_port()
    harness = await start_harness(
        tmp_path,
        college_email="college@voorbeeldstad.example",
        smtp_port=port,
        college_webhook=webhook,
        webhook_secret=SECRET,
    )
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    yield harness, mailbox, port
    smtp.stop()
    await harness.close()


def urgent_stories() -> list[Story]:
    triaged = Story(date(2025, 11, 3), urgent=True, category=Category.conduct, unit="Inkomen")
    triaged.received().opened().assigned()
    overridden = Story(date(2025, 11, 4), category=Category.information, unit="Werk")
    overridden.received().opened().triaged(urgent=True).assigned(days=3)
    imported = Story(date(2024, 2, 1), urgent=True).received(imported=ImportedHistory(outcome=Outcome.upheld))
    calm = Story(date(2025, 11, 5)).received().opened()
    return [triaged, overridden, imported, calm]


async def test_one_urgent_signal_per_complaint_delivered_by_mail_and_signed_webhook(
    college: tuple[Harness, Mailbox, int],
) -> None:
    harness, mailbox, _ = college
    stories = urgent_stories()
    await harness.deliver(interleave(stories, 11), batch=3)
    await harness.deliver(interleave(stories, 12), batch=2)  # redelivered: the inbox drops them
    assert (await harness.outbox_types()).count("nl.klachtstroom.signal.urgent.v1") == 2

    body = await harness.json("/api/v1/signals")
    assert body["next"] is None
    items = body["items"]
    assert [i["reference"] for i in items] == sorted(s.reference for s in stories[:2])
    assert all(i["type"] == "urgent" for i in items)
    werk = next(i for i in items if i["unit"] == "Werk")
    assert werk["category"] == "information" and werk["municipality"] == "Voorbeeldstad"
    assert "Een medewerker heeft de klacht als urgent aangemerkt." in werk["reasons"]
    assert "Urgente klacht" in werk["summary"] and "afdeling Werk" in werk["summary"]
    assert "Pietersen" not in json.dumps(items) and "Kerkstraat" not in json.dumps(items)

    assert await harness.reporting.sender.send_due() == 4
    assert await harness.reporting.sender.send_due() == 0  # sent once, never again
    mails = [message_from_bytes(m) for m in mailbox.messages]
    assert sorted(m["Subject"] for m in mails) == sorted(
        f"Urgent signaal: {s.reference}" for s in stories[:2]
    )
    assert all(m["To"] == "college@voorbeeldstad.example" for m in mails)
    assert all("Pietersen" not in m.get_payload() for m in mails)
    assert len(Webhook.received) == 2
    for headers, raw in Webhook.received:
        StandardWebhook(SECRET.encode()).verify(raw, headers)  # an old-style secret is its key's bytes
        assert json.loads(raw)["signal"]["signal_id"] == headers["x-klachtstroom-signal-id"]
        assert headers["webhook-id"] == f"msg_{headers['x-klachtstroom-signal-id']}"
    listed = (await harness.json("/api/v1/signals"))["items"]
    assert {d["state"] for i in listed for d in i["deliveries"]} == {"sent"}


async def test_delivery_is_retried_until_the_mail_server_is_back(tmp_path: Path) -> None:
    port = free_port()
    harness = await start_harness(tmp_path, college_email="college@voorbeeldstad.example", smtp_port=port)
    try:
        story = Story(date(2025, 11, 3), urgent=True).received().opened()
        await harness.deliver(story.events)
        assert await harness.reporting.sender.send_due() == 0  # nobody listens yet
        async with harness.service.db.reading() as session:
            delivery = (await session.execute(select(outbound_calls))).one()
        assert (delivery.state, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC)
        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
        smtp.start()
        try:
            async with harness.service.db.transaction() as session:  # skip the 1 second backoff
                await session.execute(update(outbound_calls).values(next_attempt_at=datetime.now(UTC)))
            assert await harness.reporting.sender.send_due() == 1
            assert len(mailbox.messages) == 1
        finally:
            smtp.stop()
    finally:
        await harness.close()


async def test_a_delivery_is_given_up_after_the_last_attempt(tmp_path: Path) -> None:
    harness = await start_harness(
        tmp_path,
        college_email="college@voorbeeldstad.example",
        smtp_port=free_port(),
        delivery_max_attempts=2,
    )
    try:
        await harness.deliver(Story(date(2025, 11, 3), urgent=True).received().opened().events)
        for _ in range(3):
            async with harness.service.db.transaction() as session:  # skip the backoff
                await session.execute(update(outbound_calls).values(next_attempt_at=datetime.now(UTC)))
            assert await harness.reporting.sender.send_due() == 0  # nobody listens
        [item] = (await harness.json("/api/v1/signals"))["items"]
        assert item["deliveries"] == [{"channel": "email", "state": "failed", "attempts": 2, "sent_at": None}]
    finally:
        await harness.close()


async def test_two_replicas_on_one_database_send_each_signal_once(
    college: tuple[Harness, Mailbox, int], tmp_path: Path, webhook: str
) -> None:
    first, mailbox, port = college
    second = await start_harness(
        tmp_path,  # the same data dir: the same database
        college_email="college@voorbeeldstad.example",
        smtp_port=port,
        college_webhook=webhook,
        webhook_secret=SECRET,
    )
    try:
        stories = [Story(date(2025, 11, d), urgent=True).received().opened() for d in range(3, 9)]
        await first.deliver(interleave(stories, 7), batch=4)

        async def drain(harness: Harness) -> int:
            sent = 0
            while n := await harness.reporting.sender.send_due():
                sent += n
            return sent

        sent = await asyncio.gather(drain(first), drain(second), drain(first), drain(second))
        assert sum(sent) == 12
        assert len(mailbox.messages) == 6 and len(Webhook.received) == 6
        assert len({message_from_bytes(m)["Message-ID"] for m in mailbox.messages}) == 6
        assert len({headers["webhook-id"] for headers, _ in Webhook.received}) == 6
    finally:
        await second.close()


async def test_the_sender_task_delivers_within_seconds(college: tuple[Harness, Mailbox, int]) -> None:
    harness, mailbox, _ = college
    task = asyncio.create_task(harness.reporting.sender.run())
    try:
        await harness.deliver(Story(date(2025, 11, 3), urgent=True).received().opened().events)
        for _ in range(50):
            if mailbox.messages:
                break
            await asyncio.sleep(0.1)
        assert len(mailbox.messages) == 1
    finally:
        task.cancel()


async def test_trend_signals_once_per_window(harness: Harness) -> None:
    # Four complaints about policy at Belastingen in the last 30 days, none before: a rise.
    today = date(2026, 1, 15)
    stories = [
        Story(today - timedelta(days=d), category=Category.policy, unit="Belastingen").received().opened()
        for d in (1, 3, 5, 8)
    ]
    await harness.deliver(interleave(stories, 5))
    await harness.reporting.refresher.detect_trends()
    items = (await harness.json("/api/v1/signals"))["items"]
    trends = [(i["kind"], i["key"]) for i in items if i["type"] == "trend"]
    assert trends == [("category_rise", "policy"), ("unit_rise", "Belastingen")]
    assert items[0]["observed"] == 4 and items[0]["window_days"] == 30 and items[0]["as_of"] == "2026-01-15"
    harness.service.clock.set(datetime(2026, 1, 20, 10, tzinfo=UTC), frozen=True)
    assert await harness.reporting.refresher.detect_trends() == 0  # same window: not again
    assert (await harness.outbox_types()).count("nl.klachtstroom.signal.trend.v1") == 2
    later = await harness.json("/api/v1/signals?since=2026-02-01")
    assert later == {"items": [], "next": None}
    paged = await harness.json("/api/v1/signals?limit=1")
    assert len(paged["items"]) == 1 and "after=" in paged["next"]
    assert (await harness.get("/api/v1/signals?since=gisteren")).status_code == 422
