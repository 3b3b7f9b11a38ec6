"""The resident's side in case handling: poor feedback flags a follow-up call, resolve records
whether the desired outcome was achieved and which behoorlijkheidsnormen apply, and the
ombudsman's conclusion is recorded after a referral."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from klachtstroom.contracts.intake_events import FeedbackGiven

if TYPE_CHECKING:
    from conftest import Harness


async def test_resolve_records_the_desired_outcome_and_the_norms_in_case_and_event(routing: Harness) -> None:
    case_id = await routing.receive()
    response = await routing.act(
        case_id, "resolve", outcome="upheld", resolution="informal", desired_outcome_achieved="partly",
        norms=["listening", "promptness"],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["desired_outcome_achieved"] == "partly"
    assert case["norms"] == ["listening", "promptness"]
    resolved = next(e for e in await routing.outbox() if e["type"].endswith(".resolved.v1"))
    assert resolved["data"]["desired_outcome_achieved"] == "partly"
    assert resolved["data"]["norms"] == ["listening", "promptness"]


async def test_resolve_refuses_an_unknown_norm_or_achievement(routing: Harness) -> None:
    case_id = await routing.receive()
    bad = await routing.act(
        case_id, "resolve", outcome="upheld", resolution="informal", norms=["vriendelijk"]
    )
    assert bad.status_code == 422
    bad = await routing.act(
        case_id, "resolve", outcome="upheld", resolution="informal", desired_outcome_achieved="misschien"
    )
    assert bad.status_code == 422
    assert (await routing.case(case_id))["state"] == "received"


async def test_a_poor_answer_flags_a_follow_up_call_and_a_good_one_does_not(routing: Harness) -> None:
    poor, good = await routing.receive(), await routing.receive()
    for case_id in (poor, good):
        await routing.act(case_id, "resolve", outcome="not_upheld", resolution="informal")
    at = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    await routing.deliver(FeedbackGiven(complaint_id=poor, score=7, heard=False, follow_up=True, at=at))
    await routing.deliver(FeedbackGiven(complaint_id=good, score=9, heard=True, follow_up=False, at=at))
    flagged = await routing.case(poor)
    assert [f["kind"] for f in flagged["flags"]] == ["follow_up_call"]
    assert "niet gehoord" in flagged["flags"][0]["text"] and "Bel de inwoner" in flagged["flags"][0]["text"]
    assert flagged["flagged_for_coordinator"] is True
    assert (await routing.case(good))["flags"] == []


async def test_the_ombudsman_outcome_is_recorded_after_a_referral_once(routing: Harness) -> None:
    case_id = await routing.receive()
    body = {"outcome": "partly_upheld", "recommendations": ["Bel klagers binnen 5 werkdagen terug."],
            "norms": ["promptness"], "at": "2026-09-01"}  # fmt: skip
    early = await routing.http.post(f"/api/v1/cases/{case_id}/ombudsman/outcome", json=body)
    assert early.status_code == 409
    await routing.act(case_id, "resolve", outcome="not_upheld", resolution="formal", hearing_waived=True)
    assert (await routing.act(case_id, "refer-ombudsman")).status_code == 200
    recorded = await routing.http.post(f"/api/v1/cases/{case_id}/ombudsman/outcome", json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["ombudsman"]["recommendations"] == ["Bel klagers binnen 5 werkdagen terug."]
    again = await routing.http.post(f"/api/v1/cases/{case_id}/ombudsman/outcome", json=body)
    assert again.status_code == 409
    event = [e for e in await routing.outbox() if e["type"].endswith(".ombudsman_outcome.v1")]
    assert len(event) == 1 and event[0]["data"]["recommendations"] == 1
    assert "Bel klagers" not in str(event[0])
