"""Case events in -> terms, deadline events and timers out (through the real consumer and inbox).

The standard case is received on Tuesday 3 March 2026 at 10:00 (Amsterdam): contact due
Tue 10 Mar (5 working days), decline due Tue 31 Mar (4 weeks), decision due Tue 14 Apr (6 weeks).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deadlines_harness import RECEIVED, Instance, at, change, new_case_id, opened

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.vocabulary import DeclineGround, Handler, Kind, Outcome, Resolution


async def timers(instance: Instance, case_id: str, state: str | None = "pending") -> list[dict[str, Any]]:
    params = {"case_id": case_id, **({"state": state} if state else {})}
    response = await instance.http.get("/api/v1/timers", params=params)
    return list(response.json()["items"])


def steps(items: list[dict[str, Any]], term: str) -> dict[str, str]:
    return {t["step"]: t["fire_at"] for t in items if t["term"] == term}


async def test_an_opened_case_gets_its_three_terms_events_and_timers(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))

    terms = await deadlines.deadlines(case_id)
    assert {k: (t["start"], t["due"], t["state"]) for k, t in terms.items()} == {
        "contact": ("2026-03-03", "2026-03-10", "running"),
        "decision": ("2026-03-03", "2026-04-14", "running"),
        "decline": ("2026-03-03", "2026-03-31", "running"),
    }
    assert terms["decision"]["explanation"][-1] == "Einddatum: dinsdag 14 april 2026"
    assert [(e["type"], e["kind"], e["due"]) for e in await deadlines.events()] == [
        ("set", "contact", "2026-03-10"),
        ("set", "decision", "2026-04-14"),
        ("set", "decline", "2026-03-31"),
    ]
    # Contact: warning Thu 5 Mar 08:00 (3 working days before), breach Wed 11 Mar 00:00, then the
    # ladder 1, 2 and 5 working days after the due date at 08:00 (CET = UTC+1). No college: not sensitive.
    assert steps(await timers(deadlines, case_id), "contact") == {
        "warning": "2026-03-05T07:00:00Z",
        "breach": "2026-03-10T23:00:00Z",
        "handler": "2026-03-11T07:00:00Z",
        "coordinator": "2026-03-12T07:00:00Z",
        "manager": "2026-03-17T07:00:00Z",
    }
    # Decision: after the change to summer time (CEST = UTC+2). The decline term only lapses.
    assert steps(await timers(deadlines, case_id), "decision") == {
        "warning": "2026-04-09T06:00:00Z",
        "breach": "2026-04-14T22:00:00Z",
        "handler": "2026-04-15T06:00:00Z",
        "coordinator": "2026-04-16T06:00:00Z",
        "manager": "2026-04-21T06:00:00Z",
    }
    assert steps(await timers(deadlines, case_id), "decline") == {}


async def test_the_college_hears_only_of_sensitive_cases(deadlines: Instance) -> None:
    urgent, flagged = new_case_id(), new_case_id()
    await deadlines.deliver(opened(urgent, urgent=True), opened(flagged, flagged_for_coordinator=True))
    for case_id in (urgent, flagged):
        # 10 working days after Tue 10 Mar: Tue 24 Mar 08:00.
        assert steps(await timers(deadlines, case_id), "contact")["college"] == "2026-03-24T07:00:00Z"


async def test_receipt_late_in_the_evening_counts_from_the_dutch_date(deadlines: Instance) -> None:
    case_id = new_case_id()
    # 23:30 UTC on Monday 2 March is Tuesday 3 March 00:30 in Amsterdam.
    await deadlines.deliver(opened(case_id, received_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC)))
    assert (await deadlines.deadlines(case_id))["decision"]["start"] == "2026-03-03"


async def test_contact_in_time_meets_the_term_and_cancels_its_timers(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.deliver(change(ev.CaseAcknowledged, case_id, at(6), state="acknowledged"))

    contact = (await deadlines.deadlines(case_id))["contact"]
    assert (contact["state"], contact["met_on"]) == ("met", "2026-03-06")
    met = await deadlines.events("met")
    assert [(e["kind"], e["met_on"]) for e in met] == [("contact", "2026-03-06")]
    last_set = (await deadlines.events("set"))[-1]
    assert (last_set["kind"], last_set["state"]) == ("contact", "met")
    assert steps(await timers(deadlines, case_id), "contact") == {}
    assert {t["state"] for t in await timers(deadlines, case_id, None) if t["term"] == "contact"} == {
        "cancelled"
    }


async def test_an_extension_moves_the_decision_and_its_timers(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.deliver(change(ev.TermExtended, case_id, at(1, 4), weeks=4, reason="hoorzitting"))

    decision = (await deadlines.deadlines(case_id))["decision"]
    assert (decision["due"], decision["extended_weeks"]) == ("2026-05-12", 4)
    assert [(e["kind"], e["due"], e["extended_weeks"]) for e in (await deadlines.events("set"))[-1:]] == [
        ("decision", "2026-05-12", 4)
    ]
    pending = steps(await timers(deadlines, case_id), "decision")
    assert pending["breach"] == "2026-05-12T22:00:00Z"
    old = [t for t in await timers(deadlines, case_id, "cancelled") if t["term"] == "decision"]
    assert {t["due"] for t in old} == {"2026-04-14"}


async def test_a_suspension_stops_the_timers_and_the_resumption_restarts_them(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.deliver(change(ev.CaseSuspended, case_id, at(10), state="suspended"))
    assert (await deadlines.deadlines(case_id))["decision"]["state"] == "suspended"
    assert steps(await timers(deadlines, case_id), "decision") == {}

    await deadlines.deliver(change(ev.CaseResumed, case_id, at(20), state="assigned"))
    decision = (await deadlines.deadlines(case_id))["decision"]
    # Ten days suspended: 14 Apr + 10 days = Fri 24 Apr 2026.
    assert (decision["state"], decision["due"]) == ("running", "2026-04-24")
    assert steps(await timers(deadlines, case_id), "decision")["breach"] == "2026-04-24T22:00:00Z"


async def test_a_fact_the_rules_refuse_is_recorded_and_the_consumer_carries_on(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    # Awb 9:11 lid 2: one extension only. The second one is refused, the acknowledgement after
    # it in the same batch is still handled.
    await deadlines.deliver(
        change(ev.TermExtended, case_id, at(20), weeks=2),
        change(ev.TermExtended, case_id, at(23), weeks=2),
        change(ev.CaseAcknowledged, case_id, at(24), state="acknowledged"),
    )
    terms = await deadlines.deadlines(case_id)
    assert (terms["decision"]["due"], terms["decision"]["extended_weeks"]) == ("2026-04-28", 2)
    assert terms["contact"]["state"] == "breached"  # contact on 24 Mar, due 10 Mar
    facts = (await deadlines.http.get(f"/api/v1/deadlines/cases/{case_id}")).json()
    assert [f["type"] for f in facts["facts"]] == ["opened", "extended", "acknowledged"]
    assert facts["rejected"] == [
        {
            "type": "extended",
            "on": "2026-03-23",
            "weeks": 2,
            "consent": False,
            "error": "De beslistermijn is al eens verlengd; dat kan maar één keer (Awb 9:11 lid 2).",
        }
    ]
    assert facts["error"] == facts["rejected"][0]["error"]


async def test_redelivery_changes_nothing(deadlines: Instance) -> None:
    case_id = new_case_id()
    envelopes = await deadlines.deliver(opened(case_id), change(ev.CaseAcknowledged, case_id, at(4)))
    before = await deadlines.events()
    await deadlines.redeliver(envelopes)  # Kafka delivers the batch again after a crash
    assert await deadlines.events() == before
    assert len(await timers(deadlines, case_id)) == 5  # decision only


async def test_events_before_the_opening_wait_for_it(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(change(ev.CaseAcknowledged, case_id, at(4)))
    assert await deadlines.deadlines(case_id) == {}
    await deadlines.deliver(opened(case_id))  # e.g. replayed from the dead-letter topic
    terms = await deadlines.deadlines(case_id)
    assert terms["contact"]["state"] == "met"
    assert (await deadlines.http.get(f"/api/v1/deadlines/cases/{case_id}")).json()["error"] is None


async def test_facts_that_waited_for_the_opening_are_checked_one_by_one(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(
        change(ev.CaseResumed, case_id, at(4)),  # never suspended: refused once the opening is in
        change(ev.CaseAcknowledged, case_id, at(5)),
    )
    await deadlines.deliver(opened(case_id))
    facts = (await deadlines.http.get(f"/api/v1/deadlines/cases/{case_id}")).json()
    assert [f["type"] for f in facts["facts"]] == ["opened", "acknowledged"]
    assert [(f["type"], f["error"]) for f in facts["rejected"]] == [
        ("resumed", "De beslistermijn is niet opgeschort.")
    ]
    assert (await deadlines.deadlines(case_id))["contact"]["state"] == "met"


async def test_provider_referral_response_and_taking_back(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    # Referred Thu 5 Mar: 10 working days = Thu 19 Mar.
    await deadlines.deliver(
        change(ev.CaseReferred, case_id, at(5), state="referred", provider="Zorg en Welzijn BV"),
        change(ev.ProviderStatusReported, case_id, at(9), state="referred", provider="Zorg en Welzijn BV",
               status="registered"),
    )  # fmt: skip
    term = (await deadlines.deadlines(case_id))["provider_response"]
    assert (term["due"], term["state"], term["provider"]) == ("2026-03-19", "met", "Zorg en Welzijn BV")

    await deadlines.deliver(
        change(ev.CaseReferred, case_id, at(10), state="referred", provider="Thuiszorg Noord"),
        change(ev.CaseAssigned, case_id, at(11), state="assigned", previous_state="referred",
               handler=Handler.municipality, handler_name="Team Inkomen"),
    )  # fmt: skip
    second = (await deadlines.deadlines(case_id))["provider_response#1"]
    assert (second["state"], second["closed_on"]) == ("cancelled", "2026-03-11")


async def test_the_providers_agreed_response_time_sets_its_term(deadlines: Instance) -> None:
    # Routing sends the provider's registered response time with the referral (not the default 10).
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.deliver(
        change(ev.CaseReferred, case_id, at(5), state="referred", provider="Snel BV", response_working_days=3)
    )
    term = (await deadlines.deadlines(case_id))["provider_response"]
    assert term["due"] == "2026-03-10"  # Thu 5 Mar + 3 working days: Tue 10 Mar
    assert any("3 werkdagen" in line for line in term["explanation"])


async def test_a_provider_resolving_the_case_closes_the_terms(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(
        opened(case_id),
        change(ev.CaseReferred, case_id, at(5), state="referred", provider="Zorg en Welzijn BV"),
        change(ev.ProviderStatusReported, case_id, at(9), state="resolved", previous_state="referred",
               provider="Zorg en Welzijn BV", status="resolved", outcome=Outcome.upheld),
    )  # fmt: skip
    terms = await deadlines.deadlines(case_id)
    assert {k: t["state"] for k, t in terms.items()} == {
        "contact": "met",
        "decision": "met",
        "decline": "cancelled",
        "provider_response": "met",
    }
    assert await timers(deadlines, case_id) == []


async def test_resolution_decline_withdrawal_and_reopening(deadlines: Instance) -> None:
    resolved, declined, withdrawn = new_case_id(), new_case_id(), new_case_id()
    await deadlines.deliver(
        opened(resolved),
        opened(declined),
        opened(withdrawn),
        change(ev.CaseResolved, resolved, at(20), state="resolved", outcome=Outcome.upheld,
               resolution=Resolution.informal),
        change(ev.CaseDeclined, declined, at(20), state="declined", ground=DeclineGround.objection_possible),
        change(ev.CaseWithdrawn, withdrawn, at(20), state="withdrawn"),
    )  # fmt: skip
    assert (await deadlines.deadlines(resolved))["decision"]["state"] == "met"
    assert (await deadlines.deadlines(declined))["decline"]["state"] == "met"
    assert (await deadlines.deadlines(withdrawn))["decision"]["state"] == "cancelled"
    for case_id in (resolved, declined, withdrawn):
        assert await timers(deadlines, case_id) == []

    await deadlines.deliver(change(ev.CaseReopened, resolved, at(7, 4), state="assigned"))
    reopened = (await deadlines.deadlines(resolved))["decision#1"]
    assert (reopened["start"], reopened["due"], reopened["state"]) == ("2026-04-07", "2026-05-19", "running")
    assert steps(await timers(deadlines, resolved), "decision#1")["breach"] == "2026-05-19T22:00:00Z"


async def test_advisory_committee_gives_ten_weeks(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(
        opened(case_id, received_at=RECEIVED),
        change(ev.EscalatedFormal, case_id, at(10), state="formal", advisory_committee=True),
    )
    assert (await deadlines.deadlines(case_id))["decision"]["due"] == "2026-05-12"


async def test_objections_and_questions_get_no_complaint_terms_events_or_timers(deadlines: Instance) -> None:
    complaint, objection, question = new_case_id(), new_case_id(), new_case_id()
    await deadlines.deliver(
        opened(complaint), opened(objection, kind=Kind.objection), opened(question, kind=Kind.question)
    )
    assert set(await deadlines.deadlines(complaint)) == {"contact", "decision", "decline"}
    for case_id in (objection, question):
        assert await deadlines.deadlines(case_id) == {}
        assert await timers(deadlines, case_id, state=None) == []
    assert {e["case_id"] for e in await deadlines.events()} == {complaint}
    await deadlines.move_clock(at(30, month=4))  # long past every complaint term
    assert {e["case_id"] for e in await deadlines.events()} == {complaint}


async def test_an_objection_kept_as_a_complaint_too_gets_terms_from_receipt(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id, kind=Kind.objection))
    await deadlines.deliver(
        change(ev.CaseForwarded, case_id, at(5), to="objection", keep_complaint=True, kind=Kind.objection)
    )
    terms = await deadlines.deadlines(case_id)
    assert {k: (t["due"], t["state"]) for k, t in terms.items()} == {
        "contact": ("2026-03-10", "running"),
        "decision": ("2026-04-14", "running"),
        "decline": ("2026-03-31", "running"),
    }
    assert steps(await timers(deadlines, case_id), "decision")["breach"] == "2026-04-14T22:00:00Z"


async def test_merging_or_forwarding_cancels_the_running_terms_and_timers(deadlines: Instance) -> None:
    merged, forwarded = new_case_id(), new_case_id()
    await deadlines.deliver(opened(merged), opened(forwarded))
    await deadlines.deliver(
        change(ev.CaseMerged, merged, at(5), state="merged", into=new_case_id()),
        change(ev.CaseForwarded, forwarded, at(5), state="forwarded", to="kcc", kind=Kind.question),
    )
    for case_id in (merged, forwarded):
        terms = await deadlines.deadlines(case_id)
        assert {k: t["state"] for k, t in terms.items()} == {
            "contact": "cancelled", "decision": "cancelled", "decline": "cancelled"
        }  # fmt: skip
        assert await timers(deadlines, case_id) == []
