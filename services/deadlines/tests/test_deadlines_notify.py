"""Notifications reach a real SMTP server and signed webhooks; a missing server never loses them."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from deadlines_harness import Instance, at, new_case_id, opened
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from klachtstroom.deadlines.notifications.recipients import EscalationConfig
from klachtstroom.deadlines.notifications.recipients import Webhook as Hook
from klachtstroom.deadlines.store import NotificationRecord, outbound_calls

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from smtp_sink import SmtpSink  # type: ignore[import-not-found]

ESCALATION = {
    "handlers": {"Team Inkomen": "team.inkomen@gemeente.example"},
    "default_handler": "klachten@gemeente.example",
    "levels": {"coordinator": ["klachtcoordinator@gemeente.example"]},
}
HOOK = "https://hooks.gemeente.example/termijnen"
SECRET = "een-geheim-van-minstens-16-tekens"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


async def rows(instance: Instance) -> list[Any]:
    """The notifications with the state of their delivery (the outbound call of the same message id)."""
    n, calls = NotificationRecord, outbound_calls.c
    query = select(n.id, n.target, calls.state, calls.attempts, calls.last_error).join(
        outbound_calls, calls.message_id == n.message_id
    )
    async with instance.service.db.reading() as session:
        return list((await session.execute(query.order_by(n.id))).all())


async def test_emails_reach_the_mail_server_in_dutch_without_personal_data(
    make_instance: Callable[..., Any], sink: SmtpSink
) -> None:
    instance: Instance = await make_instance(smtp_port=sink.port)
    await instance.http.put("/api/v1/escalation", json=ESCALATION)
    case_id = new_case_id()
    await instance.deliver(opened(case_id))
    # contact: warning, breach, handler, coordinator, each on its own day (one round each; a
    # round that finds several steps for one person sends one digest instead, see test_escalation_ladder)
    for moment in (at(5, hour=9), at(11, hour=1), at(11, hour=9), at(12, hour=9)):
        assert await instance.move_clock(moment) == 1

    assert await instance.rt.sender.deliver_due() == 4
    mails = await asyncio.to_thread(sink.wait_for, lambda ms: len(ms) == 4)
    # Sent side by side: put them back in the order the timers fired (the notification id).
    mails.sort(key=lambda m: int(str(m["Message-ID"]).split("-")[1].split("@")[0]))
    assert [m["To"] for m in mails] == [
        "team.inkomen@gemeente.example",
        "team.inkomen@gemeente.example",
        "team.inkomen@gemeente.example",
        "klachtcoordinator@gemeente.example",
    ]
    subjects = [str(m["Subject"]) for m in mails]
    assert subjects[0].startswith("Termijn verloopt bijna: contacttermijn van klacht KL-2026-")
    assert subjects[1].startswith("Termijn overschreden: contacttermijn van klacht")
    assert subjects[3].startswith("Escalatie (klachtcoördinator): contacttermijn van klacht")
    body = mails[3].get_content()
    assert f"Zaaknummer: {case_id}" in body
    assert "De termijn is nu 2 werkdagen overschreden." in body
    assert "geen gegevens van de klager" in body
    assert len({m["Message-ID"] for m in mails}) == 4
    assert {m["X-Klachtstroom-Case"] for m in mails} == {case_id}
    assert {r.state for r in await rows(instance)} == {"sent"}


async def test_without_a_mail_server_the_row_stays_and_is_retried_with_backoff(
    make_instance: Callable[..., Any],
) -> None:
    port = free_port()  # nothing listens here (yet)
    instance: Instance = await make_instance(smtp_port=port, retry_first_seconds=0.3, smtp_timeout_seconds=2)
    await instance.http.put("/api/v1/escalation", json=ESCALATION)
    await instance.deliver(opened(new_case_id()))
    await instance.move_clock(at(5, hour=9))  # the warning

    assert await instance.rt.sender.deliver_due() == 1
    [row] = await rows(instance)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error and "SMTP" in row.last_error
    assert await instance.rt.sender.deliver_due() == 0  # waits before the next attempt

    with SmtpSink(port) as sink:
        await asyncio.sleep(0.4)
        assert await instance.rt.sender.deliver_due() == 1
        await asyncio.to_thread(sink.wait_for, lambda ms: len(ms) == 1)
    [row] = await rows(instance)
    assert (row.state, row.attempts) == ("sent", 2)


async def test_webhooks_are_signed_and_retried_until_taken(
    make_instance: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS", "hooks.gemeente.example")
    calls: list[httpx.Request] = []
    answers = [503, 204]

    def receiver(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(answers[min(len(calls), len(answers)) - 1])

    instance: Instance = await make_instance(retry_first_seconds=0.05)
    instance.rt.sender.transport = httpx.MockTransport(receiver)
    response = await instance.http.put(
        "/api/v1/escalation", json={"webhooks": [{"url": HOOK, "secret": SECRET}]}
    )
    assert response.json()["webhooks"] == [{"url": HOOK, "secret_set": True}]
    assert SECRET not in (await instance.http.get("/api/v1/escalation")).text
    case_id = new_case_id()
    await instance.deliver(opened(case_id))
    await instance.move_clock(at(5, hour=9))

    assert await instance.rt.sender.deliver_due() == 1
    [row] = await rows(instance)
    assert (row.state, row.last_error) == ("pending", "HTTP 503")
    await asyncio.sleep(0.1)
    assert await instance.rt.sender.deliver_due() == 1
    [row] = await rows(instance)
    assert row.state == "sent"

    request = calls[-1]
    # Standard Webhooks, checked by the reference package; an old-style secret is its key's bytes.
    Webhook(SECRET.encode()).verify(request.content, dict(request.headers))
    envelope = json.loads(request.content)
    assert envelope["type"] == "nl.klachtstroom.deadline.warning.v1"
    assert envelope["data"]["case_id"] == case_id
    assert calls[0].headers["webhook-id"] == request.headers["webhook-id"]  # the same on a retry


async def test_a_webhook_to_an_internal_address_is_refused_and_never_called(
    make_instance: Callable[..., Any],
) -> None:
    instance: Instance = await make_instance()
    for url in ("http://127.0.0.1:8002/x", "http://169.254.169.254/latest", "http://[::1]/x"):
        response = await instance.http.put(
            "/api/v1/escalation", json={"webhooks": [{"url": url, "secret": SECRET}]}
        )
        assert response.status_code == 422, url
    assert (await instance.http.get("/api/v1/escalation")).json()["webhooks"] == []

    # Stored before the check existed (or the name now resolves inside): refused when sent.
    calls: list[httpx.Request] = []
    instance.rt.sender.transport = httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(204))
    hook = "http://127.0.0.1:9/termijnen"
    await instance.rt.book.replace(EscalationConfig(webhooks=[Hook(url=hook, secret=SECRET)]))
    await instance.deliver(opened(new_case_id()))
    await instance.move_clock(at(5, hour=9))
    assert await instance.rt.sender.deliver_due() == 1
    assert calls == []
    [row] = await rows(instance)
    assert (row.state, row.last_error) == ("pending", "niet bereikbaar")


async def test_a_put_without_secret_keeps_the_stored_one(deadlines: Instance) -> None:
    await deadlines.http.put("/api/v1/escalation", json={"webhooks": [{"url": HOOK, "secret": SECRET}]})
    response = await deadlines.http.put("/api/v1/escalation", json={"webhooks": [{"url": HOOK}]})
    assert response.status_code == 200
    assert (await deadlines.rt.book.current()).secret_for(HOOK) == SECRET
    other = await deadlines.http.put("/api/v1/escalation", json={"webhooks": [{"url": HOOK + "/nieuw"}]})
    assert other.status_code == 422
    assert "geheim" in other.json()["errors"][0]["message"]
    bad = await deadlines.http.put("/api/v1/escalation", json={"levels": {"coordinator": ["geen-adres"]}})
    assert bad.status_code == 422
    assert "geen geldig e-mailadres" in bad.json()["errors"][0]["message"]


async def test_a_second_instance_and_a_restart_see_the_same_configuration(
    make_instance: Callable[..., Any], tmp_path: Path
) -> None:
    first: Instance = await make_instance()
    second: Instance = await make_instance()
    assert (await first.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    seen = (await second.http.get("/api/v1/escalation")).json()
    assert seen["levels"] == ESCALATION["levels"] and seen["handlers"] == ESCALATION["handlers"]
    assert not list(tmp_path.rglob("escalation.json"))  # nothing on local disk


async def test_two_senders_on_one_database_send_each_mail_once(
    make_instance: Callable[..., Any], sink: SmtpSink
) -> None:
    first: Instance = await make_instance(smtp_port=sink.port, sender_batch=3)
    second: Instance = await make_instance(smtp_port=sink.port, sender_batch=3)
    # 12 cases with a handler each (one person gets one mail per round): warning and breach.
    handlers = {f"Team {n}": f"team.{n}@gemeente.example" for n in range(12)}
    await first.http.put("/api/v1/escalation", json=ESCALATION | {"handlers": handlers})
    await first.deliver(*(opened(new_case_id(), handler_name=name) for name in handlers))
    await first.move_clock(at(5, hour=9))
    await first.move_clock(at(11, hour=1))
    total = len(await rows(first))

    async def drain(instance: Instance) -> None:
        while await instance.rt.sender.deliver_due():
            pass

    await asyncio.gather(drain(first), drain(second), drain(first), drain(second))
    mails = await asyncio.to_thread(sink.wait_for, lambda ms: len(ms) >= total)
    await asyncio.sleep(0.2)
    assert len(sink.messages) == total == 24
    assert len({m["Message-ID"] for m in mails}) == total
    assert {r.state for r in await rows(first)} == {"sent"}


async def test_a_notification_is_given_up_after_the_last_attempt(make_instance: Callable[..., Any]) -> None:
    instance: Instance = await make_instance(
        smtp_port=free_port(), retry_first_seconds=0.01, delivery_max_attempts=2, smtp_timeout_seconds=2
    )
    await instance.http.put("/api/v1/escalation", json=ESCALATION)
    await instance.deliver(opened(new_case_id()))
    await instance.move_clock(at(5, hour=9))  # the warning

    assert await instance.rt.sender.deliver_due() == 1
    await asyncio.sleep(0.05)
    assert await instance.rt.sender.deliver_due() == 1
    await asyncio.sleep(0.05)
    assert await instance.rt.sender.deliver_due() == 0  # given up: not tried again
    [item] = (await instance.http.get("/api/v1/notifications?state=dropped")).json()["items"]
    assert (item["state"], item["attempts"], item["sent_at"]) == ("dropped", 2, None)


async def test_a_webhook_removed_from_the_configuration_is_not_called(
    make_instance: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS", "hooks.gemeente.example")
    calls: list[httpx.Request] = []
    instance: Instance = await make_instance()
    instance.rt.sender.transport = httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(204))
    await instance.http.put("/api/v1/escalation", json={"webhooks": [{"url": HOOK, "secret": SECRET}]})
    await instance.deliver(opened(new_case_id()))
    await instance.move_clock(at(5, hour=9))
    await instance.http.put("/api/v1/escalation", json={"webhooks": []})

    assert await instance.rt.sender.deliver_due() == 1
    assert calls == []
    [row] = await rows(instance)
    assert (row.state, row.last_error) == ("dead", "webhook is niet meer ingesteld")
