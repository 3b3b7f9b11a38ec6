"""Intake's JSON API against its real database (SQLite), without Kafka: the outbox keeps events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from klachtstroom.intake.app import create_service
from klachtstroom.intake.personal_data import is_valid_bsn
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.platform.settings import PlatformSettings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # Kafka is unreachable on purpose: intake must still accept and keep everything.
    settings = PlatformSettings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9")
    service, app = create_service(settings, IntakeSettings(smtp_enabled=False))
    with TestClient(app, headers=service.access.dev_headers()) as test_client:
        yield test_client


def _outbox_types(tmp_path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{tmp_path / 'intake' / 'intake.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT value FROM outbox ORDER BY id")).all()
    engine.dispose()
    return [json.loads(r[0])["type"] for r in rows]


def test_accepts_while_kafka_is_down_and_keeps_the_event(client: TestClient, tmp_path: Path) -> None:
    response = client.post(
        "/api/v1/complaints",
        json={
            "channel": "letter",
            "description": "Mijn uitkering is te laat betaald.",
            "received_at": "2026-02-02",
        },
    )
    assert response.status_code == 202
    body = response.json()
    assert body["reference"] == "KL-2026-000001"
    # The resident's own link: absolute, an unguessable code, not the complaint id.
    assert body["status_url"].startswith("http://testserver/status/")
    assert body["id"] not in body["status_url"]
    assert _outbox_types(tmp_path) == ["nl.klachtstroom.complaint.received.v1"]
    status = client.get(f"/api/v1/complaints/{body['id']}").json()
    assert status["status"] == "received" and status["channel"] == "letter"


def test_field_level_errors_and_nothing_stored(client: TestClient, tmp_path: Path) -> None:
    response = client.post(
        "/api/v1/complaints",
        json={
            "channel": "web_form",
            "description": "x",
            "complainant": {"email": "geen-adres", "bsn": "123456789"},
        },
    )
    assert response.status_code == 422
    fields = {error["field"].rsplit(".", 1)[-1] for error in response.json()["errors"]}
    assert fields == {"email", "bsn"}
    assert _outbox_types(tmp_path) == []


def test_bsn_elfproef() -> None:
    assert is_valid_bsn("123456782")
    assert not is_valid_bsn("123456789")
    assert not is_valid_bsn("000000000")
    assert not is_valid_bsn("12345678a")


def test_triage_explains_itself_and_stores_nothing(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/api/v1/triage", json={"text": "De medewerker was erg onbeschoft tegen mij."})
    assert response.status_code == 200
    body = response.json()
    assert body["category"] == "conduct"
    assert body["reasons"] and 0 <= body["confidence"] <= 1
    assert _outbox_types(tmp_path) == []


def test_same_idempotency_key_returns_the_same_complaint(client: TestClient, tmp_path: Path) -> None:
    payload = {"channel": "phone", "description": "Niet teruggebeld."}
    first = client.post("/api/v1/complaints", json=payload, headers={"Idempotency-Key": "k1"})
    second = client.post("/api/v1/complaints", json=payload, headers={"Idempotency-Key": "k1"})
    assert first.json()["id"] == second.json()["id"]
    assert _outbox_types(tmp_path).count("nl.klachtstroom.complaint.received.v1") == 1


def test_trace_context_runs_from_the_request_into_the_event(client: TestClient, tmp_path: Path) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    client.post(
        "/api/v1/complaints",
        json={"channel": "web_form", "description": "Ik ben niet teruggebeld."},
        headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'intake' / 'intake.db'}")
    with engine.connect() as conn:
        headers, value = conn.execute(text("SELECT headers, value FROM outbox")).one()
    engine.dispose()
    headers = json.loads(headers) if isinstance(headers, str) else headers
    assert headers["traceparent"].split("-")[1] == trace_id
    assert json.loads(value)["traceparent"].split("-")[1] == trace_id


@pytest.mark.parametrize("text", ["Jan\\ud800 klaagt", "Jan\\u0000 klaagt"])
def test_text_that_cannot_be_stored_is_a_422(client: TestClient, tmp_path: Path, text: str) -> None:
    body = '{"channel": "email", "description": "T", "complainant": {"name": "T"}}'.replace("T", text)
    response = client.post("/api/v1/complaints", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"description", "complainant.name"}
    assert "Jan" not in response.text
    assert _outbox_types(tmp_path) == []


def test_an_offset_beyond_64_bits_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.get("/api/v1/complaints?offset=9223372036854775808")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "offset"


def test_the_consent_that_the_provider_may_contact_is_stored_and_in_the_event(
    client: TestClient, tmp_path: Path
) -> None:
    ids: dict[bool, str] = {}
    for consent in (True, False):
        complainant: dict[str, object] = {"phone": "0612345678"}
        if consent:
            complainant["provider_may_contact"] = True  # optional: left out means no consent
        response = client.post(
            "/api/v1/complaints",
            json={
                "channel": "phone",
                "description": "De thuiszorg kwam drie keer niet opdagen.",
                "received_at": "2026-02-02",
                "provider": "Zorg BV",
                "complainant": complainant,
            },
        )
        assert response.status_code == 202, response.text
        ids[consent] = response.json()["id"]
    engine = create_engine(f"sqlite:///{tmp_path / 'intake' / 'intake.db'}")
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, provider_may_contact FROM complaints")).all())
        events = [json.loads(r[0]) for r in conn.execute(text("SELECT value FROM outbox ORDER BY id"))]
    engine.dispose()
    assert stored == {ids[True]: 1, ids[False]: 0}
    carried = {
        e["data"]["complaint_id"]: e["data"]["provider_may_contact"]
        for e in events
        if e["type"].endswith(".received.v1")
    }
    assert carried == {ids[True]: True, ids[False]: False}
    assert "0612345678" not in json.dumps(events)  # the consent travels, the details do not


def test_without_received_at_a_complaint_is_received_at_the_service_clock(tmp_path: Path) -> None:
    # Every channel takes "now" from the service clock, the JSON API too: a test clock moved to
    # another year makes a complaint posted without `received_at` one of that moment and year.
    settings = PlatformSettings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9", test_clock=True)
    service, app = create_service(settings, IntakeSettings(smtp_enabled=False))
    with TestClient(app, headers=service.access.dev_headers()) as client:
        moved = client.put("/api/v1/test/clock", json={"now": "2031-03-04T09:15:00+00:00", "frozen": True})
        assert moved.status_code == 200
        response = client.post(
            "/api/v1/complaints", json={"channel": "phone", "description": "De stoep is al weken kapot."}
        )
        assert response.status_code == 202
        body = response.json()
        assert body["reference"] == "KL-2031-000001"
        status = client.get(f"/api/v1/complaints/{body['id']}").json()
    assert status["received_at"].startswith("2031-03-04T09:15:00")
    engine = create_engine(f"sqlite:///{tmp_path / 'intake' / 'intake.db'}")
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM outbox ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    assert json.loads(value)["data"]["received_at"] == "2031-03-04T09:15:00Z"
