"""The complainant's contact details, decrypted for handler, coordinator, KCC (and the services
that show them to those): only within their municipality, never for college or manager, every
read in the audit trail without the details themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from klachtstroom.intake.app import create_service
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings

CONTACT = {
    "name": "Jan Jansen",
    "email": "jan@example.nl",
    "phone": "06 12345678",
    "address": "Stationsstraat 1, 3511 AB Utrecht",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = PlatformSettings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9")
    service, app = create_service(settings, IntakeSettings(smtp_enabled=False))
    with TestClient(app, headers=service.access.dev_headers()) as test_client:
        yield test_client


def bearer(
    client: TestClient, role: Role, subject: str = "emp-1", municipality: str = "Utrecht"
) -> dict[str, str]:
    service: Service = client.app.state.service  # type: ignore[attr-defined]
    assert service.access.development is not None
    token = service.access.development.mint([role], subject=subject, municipalities=[municipality])
    return {"Authorization": f"Bearer {token}"}


def register(client: TestClient) -> str:
    response = client.post(
        "/api/v1/complaints",
        json={
            "channel": "phone",
            "description": "Niemand belt mij terug over mijn aanvraag.",
            "municipality": "Utrecht",
            "complainant": {**CONTACT, "bsn": "123456782"},
        },
    )
    assert response.status_code == 202, response.text
    complaint_id: str = response.json()["id"]
    return complaint_id


def test_those_who_must_reach_the_complainant_get_the_details(client: TestClient) -> None:
    complaint_id = register(client)
    for role in (Role.handler, Role.coordinator, Role.kcc, Role.system):
        response = client.get(f"/api/v1/complaints/{complaint_id}/contact", headers=bearer(client, role))
        assert response.status_code == 200, role
        assert response.json() == {"complaint_id": complaint_id, **CONTACT}  # no BSN


def test_others_do_not(client: TestClient) -> None:
    complaint_id = register(client)
    url = f"/api/v1/complaints/{complaint_id}/contact"
    for role in (Role.college, Role.manager, Role.provider, Role.admin, Role.auditor):
        assert client.get(url, headers=bearer(client, role)).status_code == 403, role
    elsewhere = client.get(url, headers=bearer(client, Role.handler, municipality="Amersfoort"))
    assert elsewhere.status_code == 404  # outside the caller's municipality: as if unknown
    unknown = client.get("/api/v1/complaints/nope/contact", headers=bearer(client, Role.handler))
    assert unknown.status_code == 404


def test_every_read_is_audited_without_the_details(client: TestClient) -> None:
    complaint_id = register(client)
    url = f"/api/v1/complaints/{complaint_id}/contact"
    client.get(url, headers=bearer(client, Role.handler, subject="emp-17"))
    routing = bearer(client, Role.system, subject="klachtstroom-routing")
    client.get(url, headers={**routing, "X-Klachtstroom-On-Behalf-Of": "emp-3"})
    client.get(url, headers=bearer(client, Role.manager))  # refused: nothing read, nothing recorded
    auditor = bearer(client, Role.auditor)
    trail = client.get("/api/v1/audit", params={"case_id": complaint_id}, headers=auditor)
    assert trail.status_code == 200
    rows = trail.json()["items"]
    registered, *reads = rows
    assert (registered["action"], registered["route"]) == ("change", "/api/v1/complaints")
    assert [(r["subject"], r["role"], r["on_behalf_of"]) for r in reads] == [
        ("emp-17", "handler", None),
        ("klachtstroom-routing", "system", "emp-3"),
    ]
    assert {r["route"] for r in reads} == {"/api/v1/complaints/{complaint_id}/contact"}
    for value in (*CONTACT.values(), "123456782", "Niemand belt"):
        assert value not in trail.text
