"""Every intake channel over real Kafka: each ends as one complaint with its channel, and as a case
in routing (same id). Form, KCC screen, JSON API, e-mail (real SMTP) and bulk import."""

from __future__ import annotations

import hashlib
import re
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from e2e import eventually as e2e_eventually

# The `apis` fixture's clients (tests/conftest.py `Api`), typed loosely: conftest is not importable
# as a module under --import-mode=importlib.
Api = Any

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n% e2e\n"


def eventually(check: Callable[[], Any], timeout: float = 45.0, interval: float = 0.2) -> Any:
    return e2e_eventually(check, timeout=timeout, interval=interval)


def the_complaint(apis: dict[str, Api], query: str) -> dict[str, Any]:
    code, found = apis["intake"].get(f"/api/v1/complaints?{query}")
    assert code == 200, found
    items = found["items"]
    assert isinstance(items, list) and len(items) == 1, found
    item: dict[str, Any] = items[0]
    return item


def case_in_routing(apis: dict[str, Api], complaint_id: str) -> dict[str, Any]:
    def case() -> Any:
        code, body = apis["routing"].get(f"/api/v1/cases/{complaint_id}")
        return body if code == 200 else None

    found: dict[str, Any] = eventually(case)
    assert found["id"] == complaint_id
    return found


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, name
    return found.group(1)


def test_the_web_form_ends_as_a_web_form_case(apis: dict[str, Api]) -> None:
    with httpx.Client(base_url=apis["intake"].base, timeout=30) as browser:
        page = browser.get("/").text
        data = {
            "csrf_token": hidden(page, "csrf_token"),
            "formulier_id": hidden(page, "formulier_id"),
            "omschrijving": "Mijn aanvraag voor hulp bij het huishouden ligt al tien weken stil.",
            "afdeling": "Wmo",
            "email": "e2e-formulier@example.nl",
        }
        files = {"bijlagen": ("aanvraag.pdf", PDF, "application/pdf")}
        response = browser.post("/klacht", data=data, files=files)
        assert response.status_code == 200, response.text
        reference = re.search(r"KL-\d{4}-\d{6}", response.text)
        assert reference and "Wij hebben uw klacht ontvangen" in response.text
        again = browser.post("/klacht", data=data, files=files)  # double submit
        assert reference.group(0) in again.text
    complaint = the_complaint(apis, f"reference={reference.group(0)}")
    assert complaint["channel"] == "web_form"
    case = case_in_routing(apis, complaint["id"])
    assert case["channel"] == "web_form" and case["unit"] == "Wmo"


def test_the_kcc_screen_and_the_api_end_as_phone_and_letter_cases(apis: dict[str, Api]) -> None:
    staff = {"Authorization": f"Bearer {apis['intake'].token}"}
    with httpx.Client(base_url=apis["intake"].base, timeout=30, headers=staff) as browser:
        page = browser.get("/kcc").text
        response = browser.post(
            "/kcc",
            data={
                "csrf_token": hidden(page, "csrf_token"),
                "formulier_id": hidden(page, "formulier_id"),
                "received_at": "2026-03-03",
                "channel": "phone",
                "unit": "Inkomen",
                "description": "Meneer belt: zijn uitkering is niet betaald en hij kan de huur niet betalen.",
                "phone": "0612345678",
                "handover_note": "Warme overdracht aan consulent Inkomen.",
            },
        )
        assert response.status_code == 200, response.text
        reference = re.search(r"KL-2026-\d{6}", response.text)
        assert reference
    phoned = the_complaint(apis, f"reference={reference.group(0)}")
    assert phoned["channel"] == "phone"
    assert case_in_routing(apis, phoned["id"])["channel"] == "phone"

    status, accepted = apis["intake"].post(
        "/api/v1/complaints",
        {
            "channel": "letter",
            "description": "Brief: de consulent was onvriendelijk aan de telefoon.",
            "received_at": "2026-02-16",
            "handover_note": "Brief gescand en doorgezet naar Werk.",
            "unit": "Werk",
        },
    )
    assert status == 202, accepted
    assert case_in_routing(apis, str(accepted["id"]))["channel"] == "letter"


def test_an_email_ends_as_an_email_case_and_a_reply_stays_with_it(apis: dict[str, Api], stack: Any) -> None:
    message = EmailMessage()
    message["From"] = "E2E Inwoner <e2e-mail@example.nl>"
    message["To"] = "klachten@gemeente.example"
    message["Subject"] = "Klacht over de schuldhulpverlening"
    message["Message-ID"] = "<e2e-klacht-1@example.nl>"
    message.set_content("Ik heb al zes weken niets gehoord van de schuldhulpverlening.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="brief.pdf")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.send_message(message)
        client.send_message(message)  # a retried delivery
    complaint = the_complaint(apis, "source_ref=%3Ce2e-klacht-1%40example.nl%3E")
    assert complaint["channel"] == "email"
    assert case_in_routing(apis, complaint["id"])["channel"] == "email"

    reply = EmailMessage()
    reply["From"] = "e2e-mail@example.nl"
    reply["To"] = "klachten@gemeente.example"
    reply["Subject"] = f"Re: {complaint['reference']}"
    reply["Message-ID"] = "<e2e-reply-1@example.nl>"
    reply.set_content("Hierbij nog een aanvulling.")
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@example.nl"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<e2e-bounce-1@example.nl>"
    bounce.set_content("Delivery failed.")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.send_message(reply)
        client.sendmail("", ["klachten@gemeente.example"], bounce.as_bytes())
    code, messages = apis["intake"].get(f"/api/v1/complaints/{complaint['id']}/messages")
    assert code == 200 and [m["body"] for m in messages["items"]] == ["Hierbij nog een aanvulling."]
    for ref in ("%3Ce2e-reply-1%40example.nl%3E", "%3Ce2e-bounce-1%40example.nl%3E"):
        assert apis["intake"].get(f"/api/v1/complaints?source_ref={ref}")[1]["items"] == []


def test_an_imported_register_keeps_its_history_and_becomes_cases(apis: dict[str, Api]) -> None:
    register = (
        b"Datum ontvangst;Kanaal;Omschrijving;Afdeling;Gemeente;Afhandeling;Uitkomst;"
        b"Datum afgehandeld;Ombudsman\n"
        b"04-03-2024;Telefoon;E2E-import: onheuse bejegening;Inkomen;Voorbeeldstad;Informeel;Deels gegrond;"
        b"20-03-2024;nee\n"
        b"06-05-2025;Balie;E2E-import: lange wachttijd;Werk;Dorpstad;;;;\n"
        b"07-05-2025;Postduif;E2E-import: onleesbaar kanaal;Werk;Dorpstad;;;;\n"
    )
    staff = {"Authorization": f"Bearer {apis['intake'].token}"}
    with httpx.Client(base_url=apis["intake"].base, timeout=30, headers=staff) as client:
        dry = client.post("/api/v1/imports?dry_run=true", files={"file": ("register.csv", register)})
        assert dry.status_code == 202, dry.text
        job = client.post("/api/v1/imports?dry_run=false", files={"file": ("register.csv", register)})
        assert job.status_code == 202, job.text

        def finished() -> Any:
            status = client.get(f"/api/v1/imports/{job.json()['id']}").json()
            return status if status["status"] in ("done", "failed") else None

        status = eventually(finished)
    # The valid rows import; the invalid one is listed with its line and reason, and stored nowhere.
    assert (status["status"], status["total"], status["imported"], status["rejected"]) == ("done", 3, 2, 1)
    assert [(p["row"], p["field"]) for p in status["errors"]] == [(4, "Kanaal")]
    assert "‘Postduif’ kennen we niet" in status["errors"][0]["message"]
    prefix = hashlib.sha256(register).hexdigest()[:16]
    resolved = the_complaint(apis, f"source_ref=import:{prefix}:2")
    still_open = the_complaint(apis, f"source_ref=import:{prefix}:3")
    assert (resolved["channel"], resolved["status"], resolved["reference"][:7]) == (
        "phone",
        "resolved",
        "KL-2024",
    )
    assert (still_open["channel"], still_open["status"]) == ("in_person", "received")
    case = case_in_routing(apis, resolved["id"])
    assert case["channel"] == "phone" and case["outcome"] == "partly_upheld"
    assert case_in_routing(apis, still_open["id"])["channel"] == "in_person"
    assert apis["intake"].get(f"/api/v1/complaints?source_ref=import:{prefix}:4")[1]["items"] == []


def test_a_person_merges_a_suspected_duplicate(apis: dict[str, Api]) -> None:
    person = {"email": "e2e-dubbel@example.nl", "name": "E2E Dubbel"}
    _, first = apis["intake"].post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": "E2E: mijn kinderopvangtoeslag van de gemeente is niet betaald.",
            "complainant": person,
        },
    )
    _, second = apis["intake"].post(
        "/api/v1/complaints",
        {
            "channel": "email",
            "description": "E2E: de kinderopvangtoeslag is nog steeds niet betaald.",
            "complainant": person,
        },
    )
    code, duplicates = apis["intake"].get(f"/api/v1/complaints/{second['id']}/duplicates")
    assert code == 200 and [d["id"] for d in duplicates["items"]] == [first["id"]]
    merged = apis["intake"].post(
        f"/api/v1/complaints/{second['id']}/merge", {"into": first["id"], "actor": "coordinator"}
    )
    assert merged[0] == 200, merged
    again = apis["intake"].post(
        f"/api/v1/complaints/{second['id']}/merge", {"into": first["id"], "actor": "coordinator"}
    )
    assert again[0] == 409
    assert apis["intake"].get(f"/api/v1/complaints/{second['id']}")[1]["status"] == "merged"


def test_an_unsure_triage_is_routed_with_its_best_guess_and_flagged_for_the_coordinator(
    apis: dict[str, Api],
) -> None:
    status, triaged = apis["intake"].post("/api/v1/triage", {"text": "Mijn zoon en de gemeente."})
    assert status == 200 and triaged["check"], triaged
    assert any(r.startswith("Controleer de indeling") for r in triaged["reasons"])
    status, accepted = apis["intake"].post(
        "/api/v1/complaints", {"channel": "web_form", "description": "Mijn zoon en de gemeente."}
    )
    assert status == 202, accepted
    case = case_in_routing(apis, str(accepted["id"]))
    assert case["category"] == triaged["category"]  # routed with triage's best guess
    assert case["flagged_for_coordinator"]
    assert "check_triage" in [f["kind"] for f in case["flags"]]
