"""Scope (DESIGN.md "Access and roles"): staff see and change only the complaints of their own
municipalities. A complaint of another municipality is answered as one that does not exist
(404) and lists leave it out; a provider reads no complaints at intake at all (403)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from intake_harness import Intake
from test_import import HEADERS, ROWS, csv_bytes

from klachtstroom.platform.auth.callers import Role


def headers(
    intake: Intake, roles: Iterable[Role], municipalities: Iterable[str] = (), **claims: Any
) -> dict[str, str]:
    issuer = intake.service.access.development
    assert issuer is not None
    token = issuer.mint(list(roles), subject="medewerker", municipalities=list(municipalities), **claims)
    return {"Authorization": f"Bearer {token}"}


def register(intake: Intake, municipality: str, email: str, text: str) -> str:
    response = intake.client.post(
        "/api/v1/complaints",
        json={
            "channel": "email",
            "description": text,
            "municipality": municipality,
            "complainant": {"email": email, "name": "Piet Post"},
        },
    )
    assert response.status_code == 202, response.text
    complaint_id: str = response.json()["id"]
    return complaint_id


@pytest.fixture
def two_municipalities(intake: Intake) -> dict[str, str]:
    """Complaints of Oss and of Boxtel, by the same person about the same matter (duplicates)."""
    text = "Mijn bijstandsuitkering van maart is niet betaald door de afdeling Inkomen."
    return {
        "oss": register(intake, "Oss", "piet@example.nl", text),
        "oss_2": register(intake, "Oss", "piet@example.nl", text + " Nog steeds niet."),
        "boxtel": register(intake, "Boxtel", "piet@example.nl", text + " Ook in Boxtel."),
        "boxtel_2": register(
            intake, "Boxtel", "klaas@example.nl", "De bus naar het gemeentehuis rijdt niet."
        ),
    }


OVERRIDE = {"kind": "complaint", "category": "conduct", "urgent": False, "actor": "coördinator"}

# (method, path, body, role): every route of intake about one complaint.
ONE_COMPLAINT: list[tuple[str, str, dict[str, Any] | None, Role]] = [
    ("GET", "/api/v1/complaints/{id}", None, Role.kcc),
    ("GET", "/api/v1/complaints/{id}/messages", None, Role.handler),
    ("GET", "/api/v1/complaints/{id}/duplicates", None, Role.kcc),
    ("POST", "/api/v1/complaints/{id}/triage", OVERRIDE, Role.coordinator),
    ("PATCH", "/api/v1/complaints/{id}/contact", {"phone": "0612345678"}, Role.coordinator),
    ("POST", "/api/v1/complaints/{id}/merge", {"into": "{other}"}, Role.coordinator),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "role"), ONE_COMPLAINT, ids=[f"{m} {p}" for m, p, *_ in ONE_COMPLAINT]
)
def test_a_complaint_of_another_municipality_is_not_found(
    intake: Intake,
    two_municipalities: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    role: Role,
) -> None:
    oss = headers(intake, [role], ["Oss"])

    def call(complaint: str, other: str) -> int:
        url = path.format(id=two_municipalities[complaint])
        payload = {k: two_municipalities[other] if v == "{other}" else v for k, v in (body or {}).items()}
        return intake.client.request(method, url, json=payload if body else None, headers=oss).status_code

    assert call("boxtel", "boxtel_2") == 404
    if "{other}" in str(body):
        assert call("oss", "boxtel") == 422  # the kept one outside the scope: as unknown
    assert call("oss", "oss_2") == 200


def test_lists_hold_only_the_callers_municipalities(
    intake: Intake, two_municipalities: dict[str, str]
) -> None:
    oss = headers(intake, [Role.coordinator], ["oss"])  # names compare without case
    listed = intake.client.get("/api/v1/complaints", headers=oss).json()["items"]
    assert {c["id"] for c in listed} == {two_municipalities["oss"], two_municipalities["oss_2"]}
    boxtel = headers(intake, [Role.kcc], ["Boxtel"])
    listed = intake.client.get("/api/v1/complaints", headers=boxtel).json()["items"]
    assert {c["id"] for c in listed} == {two_municipalities["boxtel"], two_municipalities["boxtel_2"]}
    nowhere = headers(intake, [Role.kcc], [])
    assert intake.client.get("/api/v1/complaints", headers=nowhere).json()["items"] == []

    duplicates = intake.client.get(f"/api/v1/complaints/{two_municipalities['oss']}/duplicates").json()
    assert two_municipalities["boxtel"] in {d["id"] for d in duplicates["items"]}  # all municipalities
    seen = intake.client.get(f"/api/v1/complaints/{two_municipalities['oss']}/duplicates", headers=oss).json()
    assert {d["id"] for d in seen["items"]} == {two_municipalities["oss_2"]}

    for key in ("oss", "boxtel"):
        response = intake.client.post(f"/api/v1/complaints/{two_municipalities[key]}/triage", json=OVERRIDE)
        assert response.status_code == 200, response.text
    overrides = intake.client.get("/api/v1/triage/overrides", headers=oss).json()["items"]
    assert [o["complaint_id"] for o in overrides] == [two_municipalities["oss"]]
    boxtel_override = next(
        o["id"]
        for o in intake.client.get("/api/v1/triage/overrides").json()["items"]
        if o["complaint_id"] == two_municipalities["boxtel"]
    )
    undo = intake.client.post(
        f"/api/v1/triage/overrides/{boxtel_override}/undo", json={"actor": "x"}, headers=oss
    )
    assert undo.status_code == 404

    messages = intake.client.get("/api/v1/resident-messages", headers=headers(intake, [Role.kcc], ["Oss"]))
    assert messages.status_code == 200
    assert {m["complaint_id"] for m in messages.json()["items"]} <= {
        two_municipalities["oss"],
        two_municipalities["oss_2"],
    }
    assert all(
        m["complaint_id"] not in {two_municipalities["boxtel"], two_municipalities["boxtel_2"]}
        for m in messages.json()["items"]
    )


def test_a_request_for_access_finds_only_the_callers_complaints(
    intake: Intake, two_municipalities: dict[str, str]
) -> None:
    oss = headers(intake, [Role.coordinator], ["Oss"])
    response = intake.client.post("/api/v1/privacy/access", json={"email": "klaas@example.nl"}, headers=oss)
    assert response.status_code == 404  # Klaas complained in Boxtel only


def test_staff_register_only_for_their_own_municipalities(intake: Intake) -> None:
    body = {
        "channel": "phone",
        "description": "Niemand belt mij terug over mijn aanvraag.",
        "complainant": {},
    }
    oss = headers(intake, [Role.kcc], ["Oss"])
    refused = intake.client.post("/api/v1/complaints", json=body | {"municipality": "Boxtel"}, headers=oss)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "municipality"
    own = intake.client.post("/api/v1/complaints", json=body, headers=oss)
    assert own.status_code == 202
    complaint = intake.client.get(f"/api/v1/complaints/{own.json()['id']}", headers=oss)
    assert complaint.status_code == 200 and complaint.json()["municipality"] == "Oss"

    two = headers(intake, [Role.kcc], ["Oss", "Boxtel"])
    assert intake.client.post("/api/v1/complaints", json=body, headers=two).status_code == 422
    machine = headers(intake, [Role.system])
    assert intake.client.post("/api/v1/complaints", json=body, headers=machine).status_code == 202


def test_the_kcc_screen_registers_only_for_the_callers_municipalities(intake: Intake) -> None:
    oss = headers(intake, [Role.kcc], ["Oss"])
    page = intake.client.get("/kcc", headers=oss)
    assert page.status_code == 200
    tokens = intake.form_tokens("/kcc")
    form = {
        **tokens,
        "channel": "phone",
        "description": "Niemand belt mij terug over mijn aanvraag bij Werk en Inkomen.",
        "received_at": "2026-03-03",
        "name": "B. Bakker",
        "phone": "0612345678",
        "municipality": "Boxtel",
    }
    refused = intake.client.post("/kcc", data=form, headers=oss)
    assert refused.status_code == 422 and "eigen gemeente" in refused.text
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_an_administrator_imports_only_its_municipalities(intake: Intake) -> None:
    content = csv_bytes(HEADERS, ROWS)  # the register of Voorbeeldstad
    oss = headers(intake, [Role.admin], ["Oss"])
    refused = intake.client.post(
        "/api/v1/imports?dry_run=true", files={"file": ("r.csv", content)}, headers=oss
    )
    assert refused.status_code == 422 and "Rij 2, 3, 4: de gemeente" in refused.text
    one = headers(intake, [Role.admin], ["Voorbeeldstad"])  # row 3 is of Dorpstad
    refused = intake.client.post(
        "/api/v1/imports?dry_run=true", files={"file": ("r.csv", content)}, headers=one
    )
    assert refused.status_code == 422 and "Rij 3: de gemeente" in refused.text
    own = headers(intake, [Role.admin], ["Voorbeeldstad", "Dorpstad"])
    accepted = intake.client.post(
        "/api/v1/imports?dry_run=true", files={"file": ("r.csv", content)}, headers=own
    )
    assert accepted.status_code == 202, accepted.text


def test_a_provider_reads_no_complaints_at_intake(intake: Intake, two_municipalities: dict[str, str]) -> None:
    provider = headers(intake, [Role.provider], provider="Thuishulp Oost")
    assert (
        intake.client.get(f"/api/v1/complaints/{two_municipalities['oss']}", headers=provider).status_code
        == 403
    )
    assert intake.client.get("/api/v1/complaints", headers=provider).status_code == 403


def test_the_privacy_log_names_only_the_callers_complaints(
    intake: Intake, two_municipalities: dict[str, str]
) -> None:
    for key in ("oss", "boxtel"):
        response = intake.client.patch(
            f"/api/v1/complaints/{two_municipalities[key]}/contact", json={"phone": "0612345678"}
        )
        assert response.status_code == 200, response.text
    oss = headers(intake, [Role.coordinator], ["Oss"])
    logged = intake.client.get("/api/v1/privacy/log", headers=oss).json()["items"]
    assert [entry["complaint_ids"] for entry in logged] == [[two_municipalities["oss"]]]
    everything = intake.client.get("/api/v1/privacy/log").json()["items"]
    assert len(everything) == 2
