"""A person's corrections: merging a suspected duplicate, and overriding triage (which is learned)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from intake_harness import Intake

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage import corrections
from klachtstroom.intake.triage.overrides import Correction


def register(intake: Intake, channel: str, text: str) -> dict[str, Any]:
    response = intake.client.post(
        "/api/v1/complaints",
        json={
            "channel": channel,
            "description": text,
            "unit": "Inkomen",
            "complainant": {"email": "Piet@Example.nl", "name": "Piet Post"},
        },
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_suspected_duplicate_is_listed_and_merged_by_a_person_once(intake: Intake) -> None:
    first = register(intake, "phone", "Mijn bijstandsuitkering van maart is niet betaald door Inkomen.")
    second = register(intake, "email", "De bijstandsuitkering van maart is nog steeds niet betaald.")
    listed = intake.client.get(f"/api/v1/complaints/{second['id']}/duplicates").json()
    [earlier] = listed["items"]
    assert earlier["id"] == first["id"] and earlier["relation"] == "earlier"
    assert earlier["score"] >= 0.5 and any("Zelfde indiener" in r for r in earlier["reasons"])
    later = intake.client.get(f"/api/v1/complaints/{first['id']}/duplicates").json()["items"]
    assert [(d["id"], d["relation"]) for d in later] == [(second["id"], "later")]
    assert intake.events("merged") == []  # never automatic

    merged = intake.client.post(
        f"/api/v1/complaints/{second['id']}/merge",
        json={"into": first["id"], "actor": "coordinator@gemeente"},
    )
    assert merged.status_code == 200, merged.text
    [event] = intake.events("merged")
    assert event["data"] == {
        **event["data"],
        "complaint_id": first["id"],
        "merged_id": second["id"],
        "actor": "coordinator@gemeente",
    }
    status = intake.client.get(f"/api/v1/complaints/{second['id']}").json()
    assert status["status"] == "merged"

    again = intake.client.post(
        f"/api/v1/complaints/{second['id']}/merge",
        json={"into": first["id"], "actor": "coordinator@gemeente"},
    )
    assert again.status_code == 409 and "al samengevoegd" in again.json()["detail"]
    into_merged = intake.client.post(
        f"/api/v1/complaints/{first['id']}/merge", json={"into": second["id"], "actor": "x"}
    )
    assert into_merged.status_code == 409
    assert len(intake.events("merged")) == 1


def test_merge_needs_a_person_and_existing_complaints(intake: Intake) -> None:
    first = register(intake, "phone", "Klacht een")
    assert (
        intake.client.post(f"/api/v1/complaints/{first['id']}/merge", json={"into": first["id"]}).status_code
        == 422
    )
    missing = intake.client.post(
        f"/api/v1/complaints/{first['id']}/merge", json={"into": "nope", "actor": "a"}
    )
    assert missing.status_code == 422
    assert (
        intake.client.post(
            "/api/v1/complaints/nope/merge", json={"into": first["id"], "actor": "a"}
        ).status_code
        == 404
    )


TEXT = "De jongerencoach van het jongerenloket zegt dat mijn dossier kwijt is bij de gemeente."


def test_a_correction_made_while_the_corrections_are_loaded_is_kept(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At start-up the stored corrections are read beside the first requests: one made meanwhile
    must survive the reload (CI25 saw it lost, and the same text triaged without it)."""
    registrar = intake.app.state.registrar
    made = Correction(
        7, "c-7", TEXT, Kind.complaint, Category.referral, True, "kcc-medewerker-7", datetime.now(UTC)
    )
    slow_read = corrections._accepted

    async def read_while_a_correction_is_made(service: Any) -> Any:
        stored = await slow_read(service)
        registrar.overrides.add(made)  # the override endpoint, between the read and the reload
        return stored

    monkeypatch.setattr(corrections, "_accepted", read_while_a_correction_is_made)
    intake.client.portal.call(corrections.load_overrides, registrar)
    assert [c.id for c in registrar.overrides.corrections()] == [7]
    learned = intake.client.post("/api/v1/triage", json={"text": TEXT}).json()
    assert (learned["category"], learned["urgent"]) == ("referral", True)


def test_a_triage_override_is_stored_announced_and_learned(make_intake: Any) -> None:
    intake: Intake = make_intake()
    complaint = register(intake, "web_form", TEXT)
    body = {"kind": "complaint", "category": "referral", "urgent": True, "actor": "kcc-medewerker-7"}
    response = intake.client.post(f"/api/v1/complaints/{complaint['id']}/triage", json=body)
    assert response.status_code == 200, response.text
    [row] = intake.rows("SELECT * FROM complaints")
    assert (row["category"], row["urgent"]) == ("referral", 1)
    [override] = intake.rows("SELECT * FROM triage_overrides")
    assert override["actor"] == "kcc-medewerker-7"
    [event] = intake.events("triaged")
    assert event["data"]["overridden_by"] == "kcc-medewerker-7" and event["data"]["category"] == "referral"
    learned = intake.client.post("/api/v1/triage", json={"text": TEXT}).json()
    assert (learned["category"], learned["urgent"]) == ("referral", True)
    assert intake.client.post("/api/v1/complaints/nope/triage", json=body).status_code == 404

    # A new process on the same database loads the corrections at start-up.
    restarted: Intake = make_intake()
    deadline = time.monotonic() + 10
    while restarted.client.post("/api/v1/triage", json={"text": TEXT}).json()["category"] != "referral":
        assert time.monotonic() < deadline, "corrections were not loaded at start-up"
        time.sleep(0.05)
    assert len(restarted.app.state.registrar.overrides) == 1


def test_corrections_are_listed_for_audit_and_can_be_undone(intake: Intake) -> None:
    complaint = register(intake, "web_form", TEXT)
    before = intake.client.post("/api/v1/triage", json={"text": TEXT}).json()
    first = {"kind": "complaint", "category": "policy", "urgent": False, "actor": "coordinator-1"}
    second = {"kind": "complaint", "category": "referral", "urgent": True, "actor": "coordinator-2"}
    assert intake.client.post(f"/api/v1/complaints/{complaint['id']}/triage", json=first).status_code == 200
    made = intake.client.post(f"/api/v1/complaints/{complaint['id']}/triage", json=second).json()
    listed = intake.client.get("/api/v1/triage/overrides").json()
    newest, oldest = listed["items"]
    assert listed["limit"] >= 100 and listed["next"] is None
    assert (newest["id"], newest["actor"], newest["category"], newest["urgent"]) == (
        made["override_id"],
        "coordinator-2",
        "referral",
        True,
    )
    assert newest["reference"] == complaint["reference"] and newest["previous"]["kind"] == before["kind"]
    assert newest["learned"] and not oldest["learned"]  # one correction per complaint: the latest
    assert "description" not in newest and TEXT not in str(listed)  # the audit holds no complaint text
    assert intake.client.post("/api/v1/triage", json={"text": TEXT}).json()["category"] == "referral"

    undone = intake.client.post(
        f"/api/v1/triage/overrides/{newest['id']}/undo", json={"actor": "coordinator-3"}
    )
    assert undone.status_code == 200, undone.text
    assert (undone.json()["undone_by"], undone.json()["learned"]) == ("coordinator-3", False)
    # the earlier correction of the same complaint counts again
    assert intake.client.post("/api/v1/triage", json={"text": TEXT}).json()["category"] == "policy"
    again = intake.client.post(f"/api/v1/triage/overrides/{newest['id']}/undo", json={"actor": "x"})
    assert again.status_code == 409
    assert intake.client.post("/api/v1/triage/overrides/999/undo", json={"actor": "x"}).status_code == 404
    assert intake.client.post(f"/api/v1/triage/overrides/{oldest['id']}/undo", json={}).status_code == 422
    assert (
        intake.client.post(
            f"/api/v1/triage/overrides/{oldest['id']}/undo", json={"actor": "coordinator-3"}
        ).status_code
        == 200
    )
    assert intake.client.post("/api/v1/triage", json={"text": TEXT}).json() == before
    active = intake.client.get("/api/v1/triage/overrides?include_undone=false").json()
    assert active["items"] == []
    model = intake.client.get("/api/v1/triage/model").json()
    assert model["remembered"] == 0


def test_a_low_confidence_triage_is_flagged_on_the_complaint_and_its_event(intake: Intake) -> None:
    unsure = register(intake, "web_form", "Mijn zoon en de gemeente.")
    sure = register(intake, "web_form", "De consulent was onbeschoft en schreeuwde tegen mij.")
    received = {e["data"]["complaint_id"]: e["data"] for e in intake.events("received")}
    assert received[unsure["id"]]["triage"]["check"] is True
    assert any(r.startswith("Controleer de indeling") for r in received[unsure["id"]]["triage"]["reasons"])
    assert received[sure["id"]]["triage"]["check"] is False
