"""Term watch end to end, over real Kafka with all four services and a real SMTP server:
a complaint posted to intake gets its terms at deadlines; moving the deadlines test clock sends
the warning, the breach and each step of the escalation ladder as e-mail; and a kill -9 of
deadlines while timers are due loses nothing and fires nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from conftest import _database_env
from e2e import Api, apis_for, make_stack, started_stack
from e2e import eventually as e2e_eventually
from kafka_node import KafkaNode
from smtp_sink import SmtpSink
from stack import Stack

pytestmark = pytest.mark.e2e

HANDLER = "klachten@voorbeeldstad.example"
COORDINATOR = "klachtcoordinator@voorbeeldstad.example"
MANAGER = "afdelingshoofd@voorbeeldstad.example"
ESCALATION = {"default_handler": HANDLER, "levels": {"coordinator": [COORDINATOR], "manager": [MANAGER]}}
TIMER_EVENTS = {"warning", "breached", "escalated"}


def eventually(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    return e2e_eventually(check, timeout=timeout, interval=interval)


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def term_stack(
    own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink
) -> Iterator[Stack]:
    """The four services; deadlines mails to the test's SMTP server and retries quickly."""
    running: Stack = make_stack(
        tmp_path_factory.mktemp("deadlines-e2e"),
        own_kafka,
        KLACHTSTROOM_DEADLINES_SMTP_HOST="127.0.0.1",
        KLACHTSTROOM_DEADLINES_SMTP_PORT=str(sink.port),
        KLACHTSTROOM_DEADLINES_RETRY_FIRST_SECONDS="0.2",
        KLACHTSTROOM_DEADLINES_RETRY_MAX_SECONDS="2",
        # Small firing transactions, so the kill -9 below lands between commits, not only before them.
        KLACHTSTROOM_DEADLINES_TIMER_BATCH="10",
        **_database_env(tmp_path_factory),
    )
    with started_stack(running) as started:
        yield started


@pytest.fixture(scope="module")
def apis(term_stack: Stack) -> dict[str, Api]:
    return apis_for(term_stack)


def set_clock(apis: dict[str, Api], now: str) -> None:
    code, body = apis["deadlines"].call("PUT", "/api/v1/test/clock", {"now": now, "frozen": True})
    assert code == 200, body


def submit(apis: dict[str, Api], n: int = 0) -> str:
    code, accepted = apis["intake"].post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": f"Meneer belt ({n}): hij wacht al weken op antwoord van Inkomen op zijn aanvraag.",
            "received_at": "2026-03-03",
            "municipality": "Voorbeeldstad",
            "unit": "Inkomen",
            "complainant": {"name": "P. Klaassen", "phone": "06-98765432", "email": "p.klaassen@example.org"},
        },
    )
    assert code == 202, accepted
    return str(accepted["id"])


def terms_of(apis: dict[str, Api], case_id: str) -> dict[str, dict[str, Any]]:
    def found() -> Any:
        code, body = apis["deadlines"].get(f"/api/v1/deadlines?case_id={case_id}")
        kinds = {item["kind"]: item for item in body.get("items", [])} if code == 200 else {}
        return kinds if {"contact", "decision"} <= kinds.keys() else None

    terms: dict[str, dict[str, Any]] = eventually(found)
    return terms


def mails_for(sink: SmtpSink, case_id: str) -> list[EmailMessage]:
    return [m for m in sink.messages if m["X-Klachtstroom-Case"] == case_id]


def test_terms_warning_breach_and_escalation_ladder_by_mail(apis: dict[str, Api], sink: SmtpSink) -> None:
    assert apis["deadlines"].call("PUT", "/api/v1/escalation", ESCALATION)[0] == 200
    set_clock(apis, "2026-03-03T12:00:00+01:00")
    case_id = submit(apis)

    terms = terms_of(apis, case_id)
    # Five working days after Tuesday 3 March 2026 (Termijnenwet calendar), six weeks for the decision.
    assert (terms["contact"]["due"], terms["decision"]["due"]) == ("2026-03-10", "2026-04-14")
    assert terms["decision"]["explanation"][-1] == "Einddatum: dinsdag 14 april 2026"
    assert all(t["state"] == "running" for t in terms.values())
    code, pending = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}&state=pending")
    assert code == 200 and len(pending["items"]) == 10  # contact and decision: warning, breach, 3 levels

    steps = [
        ("2026-03-05T08:00:00+01:00", HANDLER, "Termijn verloopt bijna: contacttermijn van klacht"),
        ("2026-03-11T00:00:00+01:00", HANDLER, "Termijn overschreden: contacttermijn van klacht"),
        ("2026-03-11T08:00:00+01:00", HANDLER, "Escalatie (behandelaar): contacttermijn van klacht"),
        ("2026-03-12T08:00:00+01:00", COORDINATOR, "Escalatie (klachtcoördinator): contacttermijn van"),
        ("2026-03-17T08:00:00+01:00", MANAGER, "Escalatie (leidinggevende): contacttermijn van klacht"),
    ]
    for n, (moment, recipient, subject) in enumerate(steps, start=1):
        set_clock(apis, moment)
        mails = eventually(lambda n=n: (ms := mails_for(sink, case_id)) and len(ms) >= n and ms, timeout=30)
        assert len(mails) == n, [m["Subject"] for m in mails]
        latest = mails[-1]
        assert latest["To"] == recipient
        assert str(latest["Subject"]).startswith(subject)
        body = latest.get_content()
        assert f"Zaaknummer: {case_id}" in body
        # No personal data of the complainant in any mail.
        assert not any(s in body for s in ("Klaassen", "06-98765432", "p.klaassen", "aanvraag"))

    assert terms_of(apis, case_id)["contact"]["state"] == "breached"
    code, events = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}&state=fired")
    assert [t["step"] for t in events["items"]] == ["warning", "breach", "handler", "coordinator", "manager"]


# -- the digest: one message per person per round ---------------------------------------------------------

DIGEST_TOWN, LATE_TOWN = "Digestdorp", "Laatdorp"  # only these tests' cases: recipients of their own
DIGEST_TEAM, DIGEST_COORDINATOR = "team@digestdorp.example", "coordinator@digestdorp.example"
LATE_TEAM, LATE_COORDINATOR, LATE_MANAGER = (
    f"{who}@laatdorp.example" for who in ("team", "coord", "manager")
)
SCOPED = ESCALATION | {
    "scopes": [
        {"municipality": DIGEST_TOWN, "default_handler": DIGEST_TEAM,
         "levels": {"coordinator": [DIGEST_COORDINATOR]}},
        {"municipality": LATE_TOWN, "default_handler": LATE_TEAM,
         "levels": {"coordinator": [LATE_COORDINATOR], "manager": [LATE_MANAGER]}},
    ]
}  # fmt: skip


def town_case(apis: dict[str, Api], town: str, description: str, contact: bool = True, **fields: Any) -> str:
    body: dict[str, Any] = {"channel": "phone", "description": description, "received_at": "2026-03-03",
                            "municipality": town, "kind": "complaint", **fields}  # fmt: skip
    if contact:
        body["complainant"] = {"email": "bewoner@digestdorp.example"}
    code, accepted = apis["intake"].post("/api/v1/complaints", body)
    assert code == 202, accepted
    return str(accepted["id"])


def timers(apis: dict[str, Api], case_id: str, state: str) -> list[dict[str, Any]]:
    code, body = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}&state={state}")
    assert code == 200, body
    items: list[dict[str, Any]] = body["items"]
    return items


def mails_to(apis: dict[str, Api], *addresses: str) -> list[dict[str, Any]]:
    """The e-mails deadlines wrote to these addresses (written in the firing round's transaction)."""
    code, body = apis["deadlines"].get("/api/v1/notifications?channel=email&limit=1000")
    assert code == 200 and body["next"] is None, body
    return [n for n in body["items"] if n["target"] in addresses]


def test_one_digest_per_person_per_round_and_none_for_closed_merged_forwarded_or_unreachable(
    apis: dict[str, Api], sink: SmtpSink
) -> None:
    """Issue 19: the ladder's mail as the people on it get it. Two cases that need the same
    person in one round are one message; a withdrawn, merged, forwarded case or one whose
    complainant cannot be reached gets none (the unreachable one's term still passes)."""
    assert apis["deadlines"].call("PUT", "/api/v1/escalation", SCOPED)[0] == 200
    set_clock(apis, "2026-03-03T12:00:00+01:00")
    first = town_case(apis, DIGEST_TOWN, "Mijn aanvraag voor bijzondere bijstand ligt al weken stil.")
    second = town_case(apis, DIGEST_TOWN, "De consulent heeft mijn brief over de huur niet gelezen.")
    withdrawn = town_case(apis, DIGEST_TOWN, "Mijn klacht over de afvalinzameling is opgelost.")
    merged = town_case(apis, DIGEST_TOWN, "Nogmaals: mijn aanvraag voor bijzondere bijstand ligt stil.")
    forwarded = town_case(apis, DIGEST_TOWN, "Niemand van Werk belt mij terug over mijn re-integratie.")
    unreachable = town_case(apis, DIGEST_TOWN, "Anoniem: de balie was dicht op dinsdag.", contact=False)
    live = (first, second, unreachable)
    silent = (withdrawn, merged, forwarded)
    for case_id in (*live, *silent):
        terms_of(apis, case_id)
        eventually(lambda case_id=case_id: apis["routing"].get(f"/api/v1/cases/{case_id}")[0] == 200)
    routing = apis["routing"]
    assert (
        routing.post(f"/api/v1/cases/{withdrawn}/withdraw", {"reason": "Opgelost.", "at": "2026-03-04"})[0]
        == 200
    )
    assert apis["intake"].post(f"/api/v1/complaints/{merged}/merge", {"into": first})[0] == 200
    forward = {"to": "objection", "reason": "Bezwaar.", "at": "2026-03-04"}
    assert routing.post(f"/api/v1/cases/{forwarded}/forward", forward)[0] == 200
    # Deadlines heard of all three: no timer of theirs is left to fire.
    eventually(lambda: not any(timers(apis, case_id, "pending") for case_id in silent))

    set_clock(apis, "2026-03-05T08:00:00+01:00")  # the contact warnings of Thursday 5 March
    eventually(lambda: all(timers(apis, case_id, "fired") for case_id in live))
    [digest] = mails_to(apis, DIGEST_TEAM)  # one mail for two cases, written in the round
    assert digest["step"] == "digest"
    assert digest["subject"] == "Termijnbewaking: 2 klachten vragen uw aandacht"
    got = eventually(lambda: [m for m in sink.messages if m["To"] == DIGEST_TEAM])
    assert len(got) == 1
    body = got[0].get_content()
    assert f"Zaaknummer: {first}" in body and f"Zaaknummer: {second}" in body
    assert unreachable not in body and not any(case_id in body for case_id in silent)

    # The contact term's breach (11 March, midnight), handler step (08:00) and coordinator step
    # (12 March): each round one message per person, about both cases.
    rounds = [
        ("2026-03-11T00:00:00+01:00", DIGEST_TEAM),
        ("2026-03-11T08:00:00+01:00", DIGEST_TEAM),
        ("2026-03-12T08:00:00+01:00", DIGEST_COORDINATOR),
    ]
    for n, (moment, person) in enumerate(rounds, start=2):
        before = len(mails_to(apis, person))
        set_clock(apis, moment)
        eventually(lambda n=n: all(len(timers(apis, case_id, "fired")) == n for case_id in live))
        [mail] = mails_to(apis, person)[before:]
        assert (mail["step"], mail["subject"]) == ("digest", "Termijnbewaking: 2 klachten vragen uw aandacht")
    assert len(mails_to(apis, DIGEST_TEAM)) == 3 and len(mails_to(apis, DIGEST_COORDINATOR)) == 1
    code, body = apis["deadlines"].get(f"/api/v1/timers?case_id={unreachable}&state=fired")
    assert [t["step"] for t in body["items"]] == ["warning", "breach", "handler", "coordinator"]
    for case_id in silent:
        assert timers(apis, case_id, "fired") == []
        code, noted = apis["deadlines"].get(f"/api/v1/notifications?case_id={case_id}")
        assert code == 200 and noted["items"] == []
    eventually(lambda: len([m for m in sink.messages if m["To"] in (DIGEST_TEAM, DIGEST_COORDINATOR)]) == 4)


def test_a_back_dated_registration_starts_at_todays_step_once(apis: dict[str, Api], sink: SmtpSink) -> None:
    """Issue 19: a letter of 3 March typed in on 21 April: both terms long past. Only the breach
    (the fact) and the step the ladder has reached today fire, once; no warning, no handler or
    coordinator step replayed as if missed today."""
    assert apis["deadlines"].call("PUT", "/api/v1/escalation", SCOPED)[0] == 200
    now = "2026-04-21T10:00:00+02:00"
    set_clock(apis, now)

    def overdue() -> list[dict[str, Any]]:
        code, body = apis["deadlines"].get("/api/v1/timers?state=pending&limit=1000")
        assert code == 200 and body["next"] is None, body
        return [
            t for t in body["items"] if datetime.fromisoformat(t["fire_at"]) <= datetime.fromisoformat(now)
        ]

    # The other tests' timers due by now have fired (a firing round here holds at most 10 timers).
    eventually(lambda: not overdue())
    case_id = town_case(apis, LATE_TOWN, "Mijn brief van 3 maart over de parkeervergunning is zoek.")
    terms_of(apis, case_id)
    set_clock(apis, now)  # what is due runs now

    def fired() -> Any:
        steps = sorted((t["kind"], t["step"]) for t in timers(apis, case_id, "fired"))
        return steps if len(steps) >= 4 else None

    assert eventually(fired) == [("contact", "breach"), ("contact", "manager"),
                                 ("decision", "breach"), ("decision", "manager")]  # fmt: skip
    assert not any(
        t["step"] in ("warning", "handler", "coordinator") for t in timers(apis, case_id, "pending")
    )
    sent = sorted((m["target"], m["step"]) for m in mails_to(apis, LATE_TEAM, LATE_COORDINATOR, LATE_MANAGER))
    assert sent == [(LATE_MANAGER, "digest"), (LATE_TEAM, "digest")]  # 2 mails, not 8
    eventually(lambda: len([m for m in sink.messages if m["To"] in (LATE_TEAM, LATE_MANAGER)]) == 2)

    set_clock(apis, "2026-04-30T10:00:00+02:00")  # nothing fires twice, nothing missed fires late
    code, _ = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}")
    assert code == 200
    assert len(timers(apis, case_id, "fired")) == 4
    assert len(mails_to(apis, LATE_TEAM, LATE_COORDINATOR, LATE_MANAGER)) == 2


# -- kill -9 with timers due ------------------------------------------------------------------------------


async def _read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        partitions = consumer.assignment()
        while not partitions:
            await asyncio.sleep(0.1)
            partitions = consumer.assignment()
        end = await consumer.end_offsets(list(partitions))
        envelopes = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            envelopes += [json.loads(r.value) for records in batch.values() for r in records]
        return envelopes
    finally:
        await consumer.stop()


def test_kill_9_with_timers_due_fires_every_timer_exactly_once(
    apis: dict[str, Api], term_stack: Stack, sink: SmtpSink, own_kafka: KafkaNode
) -> None:
    assert apis["deadlines"].call("PUT", "/api/v1/escalation", ESCALATION)[0] == 200
    set_clock(apis, "2026-03-03T12:00:00+01:00")
    cases = [submit(apis, n) for n in range(25)]
    expected: dict[str, int] = {}
    for case_id in cases:
        terms_of(apis, case_id)
        _code, body = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}")
        expected[case_id] = len(body["items"])
    assert sum(expected.values()) >= 250  # contact and decision: warning, breach and 3 or 4 levels

    deadlines = term_stack.services["deadlines"]
    restarts = deadlines.restarts

    # Every timer becomes due; kill -9 while the service fires them.
    def move_clock() -> None:
        with contextlib.suppress(OSError):  # killed while answering
            apis["deadlines"].call("PUT", "/api/v1/test/clock", {"now": "2026-06-01T12:00:00+02:00"})

    mover = threading.Thread(target=move_clock)
    mover.start()
    time.sleep(0.05)
    deadlines.kill()
    mover.join()
    eventually(lambda: deadlines.restarts > restarts and deadlines.alive(), timeout=60)
    term_stack.wait_healthy(timeout=90)
    # The restarted process runs on the real clock (its test clock is gone): every timer is past due.

    def all_fired() -> bool:
        for case_id in cases:
            code, body = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}&state=fired")
            if code != 200 or len(body["items"]) != expected[case_id]:
                return False
        return True

    eventually(all_fired, timeout=90, interval=0.5)
    firers: Counter[str] = Counter()
    for case_id in cases:
        _code, body = apis["deadlines"].get(f"/api/v1/timers?case_id={case_id}&state=fired")
        firers.update(str(t["fired_by"]).split(":")[1] for t in body["items"])  # host:pid:engine
    print(f"timers fired per process id (before and after the kill): {dict(firers)}")

    # Events on the topic: one event id per (case, term, step); a relay resend repeats the same id.
    def on_topic() -> Any:
        envelopes = asyncio.run(_read_topic(own_kafka.bootstrap, "complaints.deadline.v1"))
        ours = set(cases)
        mine = [e for e in envelopes if e["subject"] in ours and e["type"].split(".")[-2] in TIMER_EVENTS]
        distinct = list({e["id"]: e for e in mine}.values())
        return distinct if len(distinct) >= sum(expected.values()) else None

    distinct = eventually(on_topic, timeout=90, interval=1.0)
    steps = Counter(
        (e["subject"], e["data"]["kind"], e["type"].split(".")[-2], e["data"].get("level"), e["data"]["due"])
        for e in distinct
    )
    assert len(distinct) == sum(expected.values())
    assert max(steps.values()) == 1

    # E-mails: one per notification (a resend after the kill carries the same Message-ID). The
    # steps that fire in one round for one person are one digest, so count the notifications.
    mailed_steps = 0
    for case_id in cases:
        _code, body = apis["deadlines"].get(f"/api/v1/notifications?case_id={case_id}&channel=email")
        mailed_steps += len(body["items"])
    assert mailed_steps > 0

    def mailed() -> Any:
        ids = {m["Message-ID"] for m in sink.messages if m["X-Klachtstroom-Case"] in set(cases)}
        return ids if len(ids) >= mailed_steps else None

    ids = eventually(mailed, timeout=90, interval=0.5)
    assert len(ids) == mailed_steps
