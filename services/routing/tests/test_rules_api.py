"""Routing rules as data: seeded, replaced as a new version, every decision traceable, unknown
values flagged, objections shown, imported registers replayed, merges and terms recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from klachtstroom.contracts.deadline_events import DeadlineMet, DeadlineSet
from klachtstroom.contracts.intake_events import ComplaintsMerged, ImportedHistory
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState, Kind, Outcome, Resolution

if TYPE_CHECKING:
    from conftest import Harness

AMS = ZoneInfo("Europe/Amsterdam")
RULES = {
    "rules": [
        {"id": "standaard", "handler_name": "klachtcoördinator"},
        {"id": "oss-inkomen", "municipality": "Oss", "unit": "Inkomen", "handler_name": "Team Inkomen"},
    ],
    "actor": "coördinator",
}


async def test_seed_rules_and_a_new_version(routing: Harness) -> None:
    seed = (await routing.http.get("/api/v1/routing-rules")).json()
    assert seed["version"] == 1 and seed["rules"][0]["handler_name"] == "klachtcoördinator"
    response = await routing.http.put("/api/v1/routing-rules", json=RULES)
    assert response.status_code == 200 and response.json()["version"] == 2
    versions = {r["id"]: r["version"] for r in response.json()["rules"]}
    assert versions == {"standaard": 1, "oss-inkomen": 2}  # an unchanged rule keeps its version
    assert (await routing.http.get("/api/v1/routing-rules/1")).json()["version"] == 1

    case_id = await routing.receive(municipality="Oss", unit="Inkomen")
    case = await routing.case(case_id)
    assert case["handler_name"] == "Team Inkomen"
    assert (case["routing"]["rule_id"], case["routing"]["rule_version"]) == ("oss-inkomen", 2)
    assert "Regel 'oss-inkomen'" in case["routing"]["explanation"]
    # A person can always overrule the rule for one case.
    reassigned = await routing.act(case_id, "assign", handler_name="B. de Wit")
    assert reassigned.json()["handler_name"] == "B. de Wit"


async def test_invalid_rules_are_refused_and_the_old_set_stays(routing: Harness) -> None:
    bad = {"rules": [{"id": "x", "handler": "provider"}]}
    response = await routing.http.put("/api/v1/routing-rules", json=bad)
    assert response.status_code == 422 and "zorgaanbieder" in response.json()["errors"][0]["message"]
    assert (await routing.http.get("/api/v1/routing-rules")).json()["version"] == 1


async def test_unknown_values_are_kept_routed_to_default_and_flagged(routing: Harness) -> None:
    await routing.http.put("/api/v1/routing-rules", json=RULES)
    case_id = await routing.receive(municipality="Atlantis", unit="Inkomen")
    case = await routing.case(case_id)
    assert case["municipality"] == "Atlantis" and case["flagged_for_coordinator"]
    assert case["routing"]["rule_id"] == "standaard"
    opened = next(e for e in await routing.outbox() if e["subject"] == case_id)
    assert opened["data"]["flagged_for_coordinator"] is True
    trial = await routing.http.post(
        "/api/v1/routing-rules/match", json={"municipality": "Oss", "unit": "Inkomen"}
    )
    assert trial.json()["rule_id"] == "oss-inkomen"


async def test_objection_opens_a_case_for_the_coordinator_to_refer(routing: Harness) -> None:
    case_id = await routing.receive(kind=Kind.objection)
    case = await routing.case(case_id)
    assert case["kind"] == "objection" and case["state"] == "received" and case["flagged_for_coordinator"]
    assert "bezwaar" in case["routing"]["explanation"]
    routed = (
        await routing.act(case_id, "assign", handler_name="Team Bezwaar", unit="Juridische zaken")
    ).json()
    assert not routed["flagged_for_coordinator"]  # a person routed it


async def test_imported_register_entry_reaches_its_final_state_with_original_dates(routing: Harness) -> None:
    imported = ImportedHistory(
        outcome=Outcome.partly_upheld,
        resolution=Resolution.formal,
        acknowledged_at=datetime(2025, 2, 3, 10, 0, tzinfo=AMS),
        resolved_at=datetime(2025, 3, 14, 10, 0, tzinfo=AMS),
        ombudsman=True,
    )
    received = datetime(2025, 1, 30, 9, 0, tzinfo=AMS)
    case_id = await routing.receive(received_at=received, imported=imported)
    case = await routing.case(case_id)
    assert (case["state"], case["outcome"], case["resolution"]) == ("ombudsman", "partly_upheld", "formal")
    assert case["resolved_at"].startswith("2025-03-14")
    assert await routing.events(case_id) == [
        "opened", "acknowledged", "escalated_formal", "hearing_held", "resolved", "ombudsman_referred"
    ]  # fmt: skip
    resolved = next(e for e in await routing.outbox() if e["type"].endswith("resolved.v1"))
    assert resolved["data"]["at"].startswith("2025-03-14")


async def test_imported_late_decline_is_recorded(routing: Harness) -> None:
    imported = ImportedHistory(outcome=Outcome.inadmissible, resolved_at=datetime(2024, 6, 1, 12, tzinfo=AMS))
    case_id = await routing.receive(received_at=datetime(2024, 3, 1, 12, tzinfo=AMS), imported=imported)
    case = await routing.case(case_id)
    assert (case["state"], case["outcome"]) == ("declined", "inadmissible")
    assert case["history"][-1]["data"]["outside_rules"] is True


async def test_terms_from_deadlines_are_kept_and_shown(routing: Harness) -> None:
    case_id = await routing.receive()
    at = datetime(2026, 3, 3, 12, tzinfo=AMS)
    await routing.deliver(
        DeadlineSet(
            case_id=case_id,
            kind=DeadlineKind.decision,
            due=date(2026, 4, 14),
            at=at,
            start=date(2026, 3, 3),
            unmoved_due=date(2026, 4, 14),
            state=DeadlineState.running,
            explanation=["6 weken na 3 maart 2026"],
        )
    )
    case = await routing.case(case_id)
    assert case["decision_due"] == "2026-04-14"
    assert case["deadlines"][0]["due"] == "2026-04-14" and case["deadlines"][0]["explanation"]
    late = (await routing.act(case_id, "extend", weeks=2, reason="advies", at="2026-04-20")).json()
    assert "verstreken" in late["detail"]
    routing.service.clock.set(datetime(2026, 4, 20, 12, tzinfo=AMS))
    overdue = (await routing.http.get("/api/v1/cases", params={"overdue": "true"})).json()["items"]
    assert [c["id"] for c in overdue] == [case_id]
    await routing.deliver(
        DeadlineMet(
            case_id=case_id, kind=DeadlineKind.decision, due=date(2026, 4, 14), at=at, met_on=date(2026, 4, 1)
        )
    )
    assert (await routing.case(case_id))["deadlines"][0]["state"] == "met"


async def test_merged_complaint_is_marked(routing: Harness) -> None:
    kept = await routing.receive()
    merged = await routing.receive()
    event = ComplaintsMerged(
        complaint_id=kept, merged_id=merged, actor="kcc", at=datetime(2026, 3, 4, tzinfo=AMS)
    )
    await routing.deliver(event, subject=kept)
    assert (await routing.case(merged))["merged_into"] == kept
    assert (await routing.case(kept))["history"][-1]["action"] == "merge"
