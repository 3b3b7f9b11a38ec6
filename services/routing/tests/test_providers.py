"""Providers as first line: referral by rule, signed warm hand-over with retries and dead-letter,
signed status reports from the provider, taking a case back, and a provider that is late.

Both directions are Standard Webhooks; the fake receiver and the fake provider use the
`standardwebhooks` package itself, so a deviation from the specification fails here.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook as StandardWebhook

from klachtstroom.contracts.deadline_events import DeadlineBreached
from klachtstroom.contracts.vocabulary import DeadlineKind
from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.outbound.destinations import OutboundPolicy, guarded_client
from klachtstroom.routing.outbound.providers import ProviderHandovers

if TYPE_CHECKING:
    from conftest import Harness

SECRET = "geheim-van-zorg-bv-0123456789"
PROVIDER = {
    "name": "Zorg BV",
    "webhook_url": "https://zorg-bv.example/klachten",
    "secret": SECRET,
    "contact": "klachtenfunctionaris",
}


# An old-style secret (stored before Standard Webhooks) stands for the key of its UTF-8 bytes.
STANDARD_SECRET = "whsec_" + base64.b64encode(SECRET.encode()).decode()


def signed(
    body: dict[str, Any],
    secret: str = STANDARD_SECRET,
    *,
    message_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    moment = at or datetime.now(UTC)
    return raw, {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": StandardWebhook(secret).sign(message_id, moment, raw),
        "Content-Type": "application/json",
    }


async def public_resolver(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]  # zorg-bv.example stands for a provider on the public internet


async def provider_routed(routing: Harness, **fields: Any) -> str:
    assert (await routing.http.put("/api/v1/providers", json={"items": [PROVIDER]})).status_code == 200
    rules = {
        "rules": [
            {"id": "standaard", "handler_name": "klachtcoördinator"},
            {"id": "zorg-bv", "provider": "Zorg BV", "handler": "provider"},
        ]
    }
    assert (await routing.http.put("/api/v1/routing-rules", json=rules)).status_code == 200
    return await routing.receive(
        provider="zorg bv", unit="Wmo", handover_note="Klager wil teruggebeld worden.", **fields
    )


class Webhook:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status)

    def sender(self, routing: Harness, resolver: Any = public_resolver) -> ProviderHandovers:
        policy = OutboundPolicy(allowed_hosts=frozenset(), resolver=resolver)
        client = guarded_client(transport=httpx.MockTransport(self), policy=policy)
        return ProviderHandovers(routing.work, routing.app.state.outbound, client)


async def test_provider_rule_refers_and_hands_over_signed(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    case = await routing.case(case_id)
    assert (case["state"], case["handler"], case["provider"]) == ("referred", "provider", "Zorg BV")
    assert case["routing"]["rule_id"] == "zorg-bv" and case["routing"]["rule_version"] == 2
    assert await routing.events(case_id) == ["opened", "referred"]
    referred = next(e for e in await routing.outbox() if e["type"].endswith(".referred.v1"))
    assert (
        referred["data"]["provider"] == "Zorg BV" and referred["data"]["response_working_days"] == 10
    )
    assert [d["status"] for d in case["deliveries"]] == ["pending"]

    webhook = Webhook()
    assert await webhook.sender(routing).send_due() == 1
    [request] = webhook.requests
    StandardWebhook(STANDARD_SECRET).verify(request.content, dict(request.headers))  # raises if not
    assert request.headers["webhook-id"] and request.headers["webhook-signature"].startswith("v1,")
    # The connection went to the checked address, the Host header and TLS name stay the provider's.
    assert request.url.host == "93.184.215.14" and request.headers["host"] == "zorg-bv.example"
    assert request.extensions["sni_hostname"] == "zorg-bv.example"
    body = json.loads(request.content)
    assert body["reference"] == case["reference"] and body["category"] == "conduct" and body["unit"] == "Wmo"
    assert body["description"] and body["handover_note"] == "Klager wil teruggebeld worden."
    assert (await routing.case(case_id))["deliveries"][0]["status"] == "delivered"


CONTACT = {
    "name": "J. de Vries",
    "email": "j.devries@example.nl",
    "phone": "06 12345678",
    "address": "Dorpsstraat 1, 1234 AB Ergens",
}


async def test_handover_with_consent_carries_the_contact_details(routing: Harness) -> None:
    case_id = await provider_routed(routing, provider_may_contact=True)
    routing.intake_contacts[case_id] = CONTACT
    webhook = Webhook()
    assert await webhook.sender(routing).send_due() == 1
    [request] = webhook.requests
    StandardWebhook(STANDARD_SECRET).verify(request.content, dict(request.headers))  # signed with them
    body = json.loads(request.content)
    assert body["complainant"] == CONTACT and body["description"]
    assert routing.contact_asked_for == [None]  # routing's own token, no signed-in person
    # Asked from intake at send time: routing keeps none of it (queued call, case row, events).
    async with routing.service.db.reading() as session:
        queued = (await session.execute(text("SELECT body FROM outbound_calls"))).scalars().all()
        row = (await session.execute(text("SELECT * FROM cases"))).mappings().one()
    assert row["provider_may_contact"]
    kept = json.dumps([[b.decode() for b in queued], [str(v) for v in row.values()], await routing.outbox()])
    assert not any(value in kept for value in CONTACT.values())
    assert (await routing.case(case_id))["deliveries"][0]["status"] == "delivered"


async def test_handover_without_consent_has_no_contact_details(routing: Harness) -> None:
    case_id = await provider_routed(routing)  # provider_may_contact defaults to false
    routing.intake_contacts[case_id] = CONTACT
    webhook = Webhook()
    assert await webhook.sender(routing).send_due() == 1
    body = json.loads(webhook.requests[0].content)
    assert "complainant" not in body and body["description"]
    assert not any(value in webhook.requests[0].content.decode() for value in CONTACT.values())
    assert routing.contact_asked_for == []  # not even asked


async def test_handover_with_consent_waits_while_intake_cannot_give_the_contact(routing: Harness) -> None:
    case_id = await provider_routed(routing, provider_may_contact=True)
    webhook = Webhook()
    sender = webhook.sender(routing)
    assert await sender.send_due() == 1  # intake answers 404: not sent without the details
    assert webhook.requests == []
    case = await routing.case(case_id)
    assert case["deliveries"][0]["status"] == "pending"
    routing.intake_contacts[case_id] = CONTACT
    routing.service.clock.set(routing.work.now() + timedelta(hours=1))
    assert await sender.send_due() == 1
    assert json.loads(webhook.requests[0].content)["complainant"] == CONTACT


async def test_failing_webhook_is_retried_with_backoff_then_dead_lettered(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    webhook = Webhook(status=503)
    sender = webhook.sender(routing)
    attempts = routing.work.settings.delivery_max_attempts
    now = routing.work.now()
    for _attempt in range(attempts):
        assert await sender.send_due() == 1
        assert await sender.send_due() == 0  # backoff: not due again at once
        now += timedelta(hours=1)
        routing.service.clock.set(now)
    assert len(webhook.requests) == attempts
    failed = (
        await routing.http.get("/api/v1/providers/Zorg BV/deliveries", params={"status": "failed"})
    ).json()
    assert [(d["case_id"], d["attempts"]) for d in failed["items"]] == [(case_id, attempts)]
    case = await routing.case(case_id)
    assert case["deliveries"][0]["status"] == "failed" and case["flagged_for_coordinator"]
    assert case["history"][-1]["action"] == "handover"


async def test_provider_reports_status_signed_and_resolves(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    url = f"/api/v1/providers/Zorg BV/cases/{case_id}/status"
    raw, headers = signed({"case_id": case_id, "status": "registered"})
    assert (await routing.http.post(url, content=raw, headers=headers)).status_code == 200

    wrong = "whsec_" + base64.b64encode(b"verkeerd-geheim-0123456789").decode()
    raw, headers = signed({"case_id": case_id, "status": "in_handling"}, secret=wrong)
    assert (await routing.http.post(url, content=raw, headers=headers)).status_code == 401
    assert (await routing.anonymous.post(url, content=raw)).status_code == 401

    raw, headers = signed(
        {
            "case_id": case_id,
            "status": "resolved",
            "outcome": "upheld",
            "measures": "Extra scholing team.",
            "at": "2026-03-20",
        }
    )
    response = await routing.http.post(url, content=raw, headers=headers)
    assert response.status_code == 200 and response.json()["state"] == "resolved"
    events = [e for e in await routing.outbox() if e["subject"] == case_id]
    assert [e["type"].split(".")[-2] for e in events] == [
        "opened",
        "referred",
        "provider_status",
        "provider_status",
    ]
    assert (
        events[-1]["data"]["outcome"] == "upheld" and events[-1]["data"]["has_measures"] is True
    )
    assert "Extra scholing" not in str(events)  # the text stays in routing (claim check)
    case = await routing.case(case_id)
    assert case["history"][-1]["data"]["measures"] == "Extra scholing team."
    assert case["outcome"] == "upheld" and case["resolution"] == "informal"
    # Each accepted report is in the audit trail as a change by the provider (refused ones not).
    assert routing.service.access.development is not None
    auditor = routing.service.access.development.mint([Role.auditor], subject="auditor")
    trail = await routing.http.get(
        "/api/v1/audit", params={"case_id": case_id}, headers={"Authorization": f"Bearer {auditor}"}
    )
    reports = [r for r in trail.json()["items"] if r["route"].endswith("/status")]
    who = [(r["subject"], r["role"], r["action"]) for r in reports]
    assert who == [("Zorg BV", "provider", "change")] * 2


async def test_status_for_a_case_of_another_provider_is_not_accepted(routing: Harness) -> None:
    await provider_routed(routing)
    other = await routing.receive()
    raw, headers = signed({"case_id": other, "status": "registered"})
    response = await routing.http.post(
        f"/api/v1/providers/Zorg BV/cases/{other}/status", content=raw, headers=headers
    )
    assert response.status_code == 404


async def test_municipality_takes_over_and_the_provider_is_told(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    response = await routing.act(case_id, "take-over", handler_name="A. Bakker", unit="Wmo")
    assert response.status_code == 200, response.text
    case = response.json()
    assert (case["state"], case["handler"], case["handler_name"]) == ("assigned", "municipality", "A. Bakker")
    assert [d["kind"] for d in case["deliveries"]] == ["case.referred", "case.taken_over"]
    assert await routing.events(case_id) == ["opened", "referred", "assigned"]


async def test_provider_that_does_not_respond_in_time_is_escalated(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    await routing.deliver(
        DeadlineBreached(
            case_id=case_id,
            kind=DeadlineKind.provider_response,
            due=date(2026, 3, 17),
            at=datetime(2026, 3, 18, 8, 0).astimezone(),
            provider="Zorg BV",
        )
    )
    case = await routing.case(case_id)
    assert case["flagged_for_coordinator"]
    entry = case["history"][-1]
    assert entry["action"] == "escalation" and entry["data"]["kind"] == "provider_response"
    assert [d["state"] for d in case["deadlines"] if d["kind"] == "provider_response"] == ["breached"]


async def test_provider_register_hides_secrets_and_keeps_them(routing: Harness) -> None:
    await routing.http.put("/api/v1/providers", json={"items": [PROVIDER]})
    listed = (await routing.http.get("/api/v1/providers")).json()["items"]
    assert listed[0]["has_secret"] and "secret" not in listed[0]
    without_secret = {k: v for k, v in PROVIDER.items() if k != "secret"} | {"contact": "nieuw"}
    await routing.http.put("/api/v1/providers", json=[without_secret])
    listed = (await routing.http.get("/api/v1/providers")).json()["items"]
    assert listed[0]["has_secret"] and listed[0]["contact"] == "nieuw"


async def test_a_replayed_status_report_has_no_second_effect(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    url = f"/api/v1/providers/Zorg BV/cases/{case_id}/status"
    raw, headers = signed({"case_id": case_id, "status": "registered"})
    first = await routing.http.post(url, content=raw, headers=headers)
    again = await routing.http.post(url, content=raw, headers=headers)
    assert first.status_code == again.status_code == 200 and again.json()["repeated"] is True
    assert await routing.events(case_id) == ["opened", "referred", "provider_status"]


async def test_a_status_report_outside_five_minutes_is_refused(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    url = f"/api/v1/providers/Zorg BV/cases/{case_id}/status"
    for moment in (datetime.now(UTC) - timedelta(minutes=6), datetime.now(UTC) + timedelta(minutes=6)):
        raw, headers = signed({"case_id": case_id, "status": "registered"}, at=moment)
        assert (await routing.http.post(url, content=raw, headers=headers)).status_code == 401
    assert await routing.events(case_id) == ["opened", "referred"]


async def test_a_status_report_for_another_case_than_the_path_is_refused(routing: Harness) -> None:
    case_id = await provider_routed(routing)
    other = await routing.receive(provider="zorg bv", unit="Wmo")
    raw, headers = signed({"case_id": other, "status": "registered"})
    response = await routing.http.post(
        f"/api/v1/providers/Zorg BV/cases/{case_id}/status", content=raw, headers=headers
    )
    assert response.status_code == 422
    assert await routing.events(case_id) == ["opened", "referred"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
        "http://192.168.1.2/hook",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://localhost:8001/hook",
    ],
)
async def test_a_webhook_to_an_internal_address_is_refused_when_saved(routing: Harness, url: str) -> None:
    response = await routing.http.put("/api/v1/providers/Zorg BV", json=PROVIDER | {"webhook_url": url})
    assert response.status_code == 422, url
    listed = await routing.http.put("/api/v1/providers", json=[PROVIDER | {"webhook_url": url}])
    assert listed.status_code == 422
    assert (await routing.http.get("/api/v1/providers")).json()["items"] == []


async def test_an_allowed_host_may_be_internal(routing: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1, demo.local")
    response = await routing.http.put(
        "/api/v1/providers/Zorg BV", json=PROVIDER | {"webhook_url": "http://127.0.0.1:9/hook"}
    )
    assert response.status_code == 200


async def test_a_name_that_resolves_internally_when_sent_is_not_called(routing: Harness) -> None:
    """DNS rebinding: public when saved, 127.0.0.1 when sent. Nothing is sent; the error says nothing."""
    case_id = await provider_routed(routing)

    async def rebound(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "127.0.0.1"]

    webhook = Webhook()
    assert await webhook.sender(routing, resolver=rebound).send_due() == 1
    assert webhook.requests == []
    [delivery] = (await routing.case(case_id))["deliveries"]
    assert delivery["status"] == "pending" and delivery["last_error"] == "niet bereikbaar"
