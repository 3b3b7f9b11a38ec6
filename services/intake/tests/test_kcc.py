"""The KCC screen: a phone call or letter registered after the fact, with a warm hand-over note."""

from __future__ import annotations

import re

from intake_harness import Intake


def test_the_kcc_screen_registers_a_phone_call_after_the_fact(intake: Intake) -> None:
    page = intake.client.get("/kcc")
    assert page.status_code == 200 and "Klacht registreren" in page.text and 'lang="nl"' in page.text
    data = {
        **intake.form_tokens("/kcc"),
        "received_at": "2026-03-03",
        "channel": "phone",
        "description": "Mevrouw belt: de consulent heeft haar drie keer niet teruggebeld.",
        "category": "information",
        "unit": "Werk",
        "municipality": "Voorbeeldstad",
        "urgent": "nee",
        "name": "B. Bakker",
        "phone": "0612345678",
        "handover_note": "Teamleider Werk is gebeld; zij belt mevrouw vandaag terug.",
    }
    response = intake.client.post("/kcc", data=data)
    assert response.status_code == 200, response.text
    assert "Klacht geregistreerd" in response.text and "Informatie / nalatigheid" in response.text
    [row] = intake.rows("SELECT * FROM complaints")
    assert (row["channel"], row["unit"], row["category"], row["urgent"]) == (
        "phone",
        "Werk",
        "information",
        0,
    )
    assert row["received_at"].startswith("2026-03-03")
    assert row["handover_note"].startswith("Teamleider Werk")
    assert row["reference"] in response.text
    [event] = intake.events("received")
    assert "handover_note" not in event["data"] and "description" not in event["data"]  # claim check
    assert event["data"]["category_given"] is True and event["data"]["urgent_given"] is True
    again = intake.client.post("/kcc", data=data)  # the same form sent twice
    assert row["reference"] in again.text
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 1


def test_the_kcc_screen_explains_what_is_missing_and_keeps_the_input(intake: Intake) -> None:
    data = {
        **intake.form_tokens("/kcc"),
        "received_at": "2999-01-01",
        "channel": "letter",
        "description": "",
        "bsn": "123456789",
        "name": "C. de Boer",
    }
    response = intake.client.post("/kcc", data=data)
    assert response.status_code == 422
    assert "De datum mag niet in de toekomst liggen." in response.text
    assert "Vul in wat de inwoner vertelt of schrijft" in response.text
    assert "Dit burgerservicenummer klopt niet" in response.text
    assert 'value="C. de Boer"' in response.text
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_the_api_takes_a_handover_note(intake: Intake) -> None:
    response = intake.client.post(
        "/api/v1/complaints",
        json={
            "channel": "letter",
            "description": "Brief: klacht over de toon van een medewerker.",
            "received_at": "2026-02-10",
            "handover_note": "Overgedragen aan Inkomen.",
        },
    )
    assert response.status_code == 202
    found = intake.client.get(f"/api/v1/complaints?reference={response.json()['reference']}").json()
    assert [item["channel"] for item in found["items"]] == ["letter"]


def test_the_kcc_screen_asks_what_the_resident_wants_and_gives_the_own_link(intake: Intake) -> None:
    assert "Wat wil de inwoner bereiken?" in intake.client.get("/kcc").text
    data = {
        **intake.form_tokens("/kcc"),
        "received_at": "2026-03-03",
        "channel": "phone",
        "description": "Meneer belt: zijn aanvraag ligt al acht weken stil.",
        "desired_outcome": "Een besluit op zijn aanvraag, deze maand nog.",
        "phone": "0612345678",
    }
    response = intake.client.post("/kcc", data=data)
    assert response.status_code == 200, response.text
    own = r'class="status-link" href="(http://testserver/status/[A-Za-z0-9_-]{43})"'
    link = re.search(own, response.text)
    assert link, "the KCC screen gives the resident's own link"
    assert intake.client.get(link.group(1).removeprefix("http://testserver")).status_code == 200
    [row] = intake.rows("SELECT text FROM desired_outcomes")
    assert row["text"] == "Een besluit op zijn aanvraag, deze maand nog."


def test_the_kcc_screen_asks_whether_the_provider_may_contact_the_resident(intake: Intake) -> None:
    page = intake.client.get("/kcc").text
    assert "<legend class=\"legend\">Mag de zorgaanbieder u bellen of mailen over uw klacht?</legend>" in page
    assert '<label class="choice-label" for="provider_may_contact">' in page
    for consent in ({"provider_may_contact": "ja"}, {}):
        data = {
            **intake.form_tokens("/kcc"),
            "received_at": "2026-03-03",
            "channel": "phone",
            "description": "Mevrouw belt: de thuiszorg kwam niet.",
            "provider": "Zorg BV",
            "phone": "0612345678",
            **consent,
        }
        response = intake.client.post("/kcc", data=data)
        assert response.status_code == 200, response.text
    rows = intake.rows("SELECT provider_may_contact FROM complaints ORDER BY created_at")
    assert [row["provider_may_contact"] for row in rows] == [1, 0]
    assert [event["data"]["provider_may_contact"] for event in intake.events("received")] == [True, False]
