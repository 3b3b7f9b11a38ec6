"""The escalation ladder as the people on it live with it: one message per person per round, none
for closed, merged, forwarded, non-complaint or no-contact cases, a back-dated registration that
starts at today's step (once), and recipients per municipality and unit."""

from __future__ import annotations

from typing import Any

from deadlines_harness import Instance, at, change, new_case_id, opened, reference_of
from sqlalchemy import select

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.vocabulary import Handler, Kind
from klachtstroom.deadlines.store import NotificationRecord

TEAM = "team.inkomen@gemeente.example"
COORDINATOR = "klachtcoordinator@gemeente.example"
MANAGER = "manager.inkomen@gemeente.example"
ESCALATION: dict[str, Any] = {
    "handlers": {"Team Inkomen": TEAM},
    "default_handler": "klachten@gemeente.example",
    "levels": {"coordinator": [COORDINATOR], "manager": [MANAGER]},
}
LADDER_EVENTS = ("warning", "breached", "escalated")


async def mails(instance: Instance) -> list[NotificationRecord]:
    async with instance.service.db.reading() as session:
        query = select(NotificationRecord).where(NotificationRecord.channel == "email")
        return list((await session.scalars(query.order_by(NotificationRecord.id))).all())


def step_of(event: dict[str, Any]) -> str:
    return {"warning": "warning", "breached": "breach"}.get(event["type"]) or str(event["level"])


async def test_several_cases_for_one_person_make_one_digest(deadlines: Instance) -> None:
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    first, second = new_case_id(), new_case_id()
    await deadlines.deliver(opened(first), opened(second))
    assert await deadlines.move_clock(at(5, hour=8)) == 2  # both contact warnings, one round
    [mail] = await mails(deadlines)
    assert mail.target == TEAM and mail.step == "digest"
    assert mail.subject == "Termijnbewaking: 2 klachten vragen uw aandacht"
    assert reference_of(first) in mail.body and reference_of(second) in mail.body
    assert "contacttermijn eindigt op dinsdag 10 maart 2026" in mail.body


async def test_a_back_dated_registration_starts_at_todays_step_once(deadlines: Instance) -> None:
    """A letter of 3 March typed in on 21 April: contact and decision terms both long past."""
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    deadlines.set_clock(at(21, month=4, hour=10))
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.move_clock(at(21, month=4, hour=10))
    fired = [(e["kind"], step_of(e)) for e in await deadlines.events(*LADDER_EVENTS)]
    # Only the breach (the fact) and the step the ladder has reached today; no warning, no
    # handler or coordinator step replayed as if missed today.
    assert sorted(fired) == [("contact", "breach"), ("contact", "manager"), ("decision", "breach"),
                             ("decision", "manager")]  # fmt: skip
    sent = [(m.target, m.step) for m in await mails(deadlines)]
    assert sorted(sent) == [(MANAGER, "digest"), (TEAM, "digest")]  # 2 mails, not 8
    await deadlines.move_clock(at(30, month=4, hour=10))
    assert len(await deadlines.events(*LADDER_EVENTS)) == 4  # nothing fires twice


async def test_no_ladder_for_a_merged_or_forwarded_case(deadlines: Instance) -> None:
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    merged, forwarded = new_case_id(), new_case_id()
    await deadlines.deliver(opened(merged), opened(forwarded))
    for case_id, state in ((merged, "merged"), (forwarded, "forwarded")):
        await deadlines.deliver(
            change(ev.CaseAssigned, case_id, at(4), state=state, handler=Handler.municipality)
        )
    await deadlines.move_clock(at(30, month=4))
    assert await deadlines.events(*LADDER_EVENTS) == []
    assert await mails(deadlines) == []


async def test_no_mail_for_an_objection_or_a_complainant_who_cannot_be_reached(deadlines: Instance) -> None:
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    objection, unreachable, complaint = new_case_id(), new_case_id(), new_case_id()
    await deadlines.deliver(
        opened(objection, kind=Kind.objection),
        opened(unreachable, complainant_reachable=False),
        opened(complaint),
    )
    await deadlines.move_clock(at(11, hour=9))
    mailed = {m.case_id for m in await mails(deadlines)}
    assert mailed == {complaint}
    fired = {e["case_id"] for e in await deadlines.events("breached")}
    # An objection has no complaint terms at all; the unreachable complainant's terms did pass.
    assert fired == {unreachable, complaint}


async def test_recipients_per_municipality_and_unit(deadlines: Instance) -> None:
    config = ESCALATION | {
        "scopes": [
            {
                "municipality": "Gemeente Voorbeeld",
                "levels": {"coordinator": ["coord.voorbeeld@gemeente.example"]},
            },
            {
                "municipality": "Gemeente Voorbeeld",
                "unit": "Jeugd",
                "default_handler": "jeugd@gemeente.example",
                "levels": {"coordinator": ["coord.jeugd@gemeente.example"]},
            },
        ]
    }
    response = await deadlines.http.put("/api/v1/escalation", json=config)
    assert response.status_code == 200 and len(response.json()["scopes"]) == 2
    inkomen, jeugd, elders = new_case_id(), new_case_id(), new_case_id()
    await deadlines.deliver(
        opened(inkomen),
        opened(jeugd, unit="Jeugd", handler_name=None),
        opened(elders, municipality="Gemeente Elders"),
    )
    await deadlines.move_clock(at(12, hour=9))  # up to the coordinator step of the contact term
    coordinator_mail = {
        m.case_id: m.target for m in await mails(deadlines) if m.step == "coordinator"
    }
    assert coordinator_mail == {
        inkomen: "coord.voorbeeld@gemeente.example",
        jeugd: "coord.jeugd@gemeente.example",
        elders: COORDINATOR,
    }
    handler_mail = {m.case_id for m in await mails(deadlines) if m.target == "jeugd@gemeente.example"}
    assert handler_mail == {jeugd}
