"""A consumed batch is handled a run at a time (received complaints, terms); the outcome must be
the one of handling its events one by one, in the same order: cases, history, terms, events."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from klachtstroom.contracts.deadline_events import DeadlineBreached, DeadlineMet, DeadlineSet
from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope
from klachtstroom.contracts.intake_events import ComplaintReceived, ComplaintsMerged, ImportedHistory
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Kind,
    Outcome,
)

if TYPE_CHECKING:
    from conftest import Harness

AMS = ZoneInfo("Europe/Amsterdam")
AT = datetime(2026, 3, 3, 12, 0, tzinfo=AMS)
PROVIDER = {"name": "Zorg BV", "webhook_url": "https://zorg-bv.example/klachten", "secret": "s" * 24}
RULES = {
    "rules": [
        {"id": "standaard", "handler_name": "klachtcoördinator"},
        {"id": "zorg-bv", "provider": "Zorg BV", "handler": "provider"},
    ]
}


def received(case_id: str, **fields: Any) -> ComplaintReceived:
    values: dict[str, Any] = {
        "complaint_id": case_id,
        "reference": f"KL-2026-{case_id[-2:]}",
        "channel": Channel.web_form,
        "received_at": AT,
        "complainant_id": "klager-1",
        "complainant_reachable": True,
        "kind": Kind.complaint,
        "category": Category.handling_time,
        "urgent": False,
    }
    return ComplaintReceived(**(values | fields))


def term(case_id: str, kind: DeadlineKind, due: date, weeks: int = 0) -> DeadlineSet:
    return DeadlineSet(
        case_id=case_id,
        kind=kind,
        due=due,
        at=AT,
        start=date(2026, 3, 3),
        unmoved_due=date(2026, 4, 14),
        state=DeadlineState.running,
        extended_weeks=weeks,
        explanation=[f"termijn tot {due.isoformat()}"],
    )


def scenario(prefix: str) -> list[tuple[str, Payload]]:
    """(subject, payload) in the order they are consumed; ids start with `prefix`."""
    c1, c2, c3, c4 = (f"{prefix}-c{n}" for n in range(1, 5))
    imported = ImportedHistory(
        outcome=Outcome.inadmissible, resolved_at=datetime(2026, 3, 10, 12, tzinfo=AMS)
    )
    return [
        (c3, term(c3, DeadlineKind.decision, date(2026, 4, 14))),  # a term before its case
        (c1, received(c1)),
        (c2, received(c2, provider="zorg bv", unit="Wmo")),  # referred by rule: one by one
        (c3, received(c3)),
        (c1, received(c1, reference="KL-2026-99")),  # a replay: no second case
        (c4, received(c4, imported=imported)),  # an imported register entry: one by one
        (c1, term(c1, DeadlineKind.contact, date(2026, 3, 6))),
        (c1, term(c1, DeadlineKind.decision, date(2026, 4, 14))),
        (c1, ComplaintsMerged(complaint_id=c1, merged_id=c4, actor="kcc", at=AT)),  # breaks the run
        (c1, term(c1, DeadlineKind.decision, date(2026, 4, 28), weeks=2)),  # the same term again
        (
            c1,
            DeadlineMet(
                case_id=c1, kind=DeadlineKind.contact, due=date(2026, 3, 6), at=AT, met_on=date(2026, 3, 4)
            ),
        ),
        (c2, term(c2, DeadlineKind.provider_response, date(2026, 3, 17))),
        (
            c2,
            DeadlineBreached(
                case_id=c2,
                kind=DeadlineKind.provider_response,
                due=date(2026, 3, 17),
                at=AT,
                provider="Zorg BV",
            ),
        ),  # escalated on the case: one by one
        (c2, term(c2, DeadlineKind.decision, date(2026, 4, 14))),
        (
            c3,
            DeadlineMet(
                case_id=c3, kind=DeadlineKind.decline, due=date(2026, 3, 17), at=AT, met_on=AT.date()
            ),
        ),
    ]


async def outcome(routing: Harness, prefix: str) -> dict[str, Any]:
    """Everything the cases of a scenario show, with the scenario's ids made alike."""
    cases = {}
    for n in range(1, 5):
        case = await routing.case(f"{prefix}-c{n}")
        for volatile in ("created_at", "updated_at", "version", "reference"):
            case.pop(volatile, None)
        for delivery in case.get("deliveries", []):  # queued with the clock's moment and own id
            for volatile in ("id", "created_at", "next_attempt_at"):
                delivery.pop(volatile)
        cases[n] = case
    events = [
        {key: value for key, value in e.items() if key not in ("id", "time", "traceparent")}
        for e in await routing.outbox()
        if e["subject"].startswith(prefix)
    ]
    result: dict[str, Any] = json.loads(json.dumps({"cases": cases, "events": events}).replace(prefix, "ID"))
    return result


@pytest.fixture
async def with_provider(routing: Harness) -> Harness:
    assert (await routing.http.put("/api/v1/providers", json={"items": [PROVIDER]})).status_code == 200
    assert (await routing.http.put("/api/v1/routing-rules", json=RULES)).status_code == 200
    return routing


async def test_a_batch_has_the_outcome_of_its_events_one_by_one(with_provider: Harness) -> None:
    routing = with_provider
    one, many = f"een-{uuid.uuid4().hex[:6]}", f"veel-{uuid.uuid4().hex[:6]}"
    for subject, payload in scenario(one):
        await routing.deliver(payload, subject=subject)
    envelopes = [
        make_envelope(payload, source="test", subject=subject) for subject, payload in scenario(many)
    ]
    await routing.service.consumers[0].process(envelopes, _records(envelopes))

    expected = await outcome(routing, one)
    assert await outcome(routing, many) == expected
    c1, c2, c3, c4 = (expected["cases"][str(n)] for n in range(1, 5))
    assert c1["decision_due"] == "2026-04-28" and c3["decision_due"] == "2026-04-14"
    assert {d["kind"]: d["state"] for d in c1["deadlines"]} == {"contact": "met", "decision": "running"}
    assert c2["state"] == "referred" and c2["history"][-1]["action"] == "escalation"
    assert c4["merged_into"] == "ID-c1"
    assert [e["type"].split(".")[-2] for e in expected["events"] if e["subject"] == "ID-c1"] == ["opened"]


async def test_a_run_of_many_complaints_opens_each_once(routing: Harness) -> None:
    prefix = f"run-{uuid.uuid4().hex[:6]}"
    payloads = [received(f"{prefix}-{n:02d}") for n in range(40)]
    envelopes = [make_envelope(p, source="test", subject=p.complaint_id) for p in payloads]
    consumer = routing.service.consumers[0]
    await consumer.process(envelopes[:25], _records(envelopes[:25]))
    again = [make_envelope(p, source="test", subject=p.complaint_id) for p in payloads[20:]]  # new event ids
    await consumer.process(again, _records(again))
    opened = [e["subject"] for e in await routing.outbox() if e["type"].endswith("case.opened.v1")]
    assert sorted(s for s in opened if s.startswith(prefix)) == sorted(p.complaint_id for p in payloads)
    history = (await routing.case(f"{prefix}-30"))["history"]
    assert [h["action"] for h in history] == ["open"]


def _records(envelopes: list[Envelope]) -> list[Any]:
    return [SimpleNamespace(topic="t", partition=0, offset=i, value=None) for i, _ in enumerate(envelopes)]
