"""Letters to the complainant: the right letter for the case, B1 Dutch, editable, as HTML and PDF."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from klachtstroom.contracts.deadline_events import DeadlineSet
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState

if TYPE_CHECKING:
    from conftest import Harness

AMS = ZoneInfo("Europe/Amsterdam")


def _as(routing: Harness, role: str) -> dict[str, str]:
    issuer = routing.service.access.development
    assert issuer is not None
    return {"Authorization": f"Bearer {issuer.mint([role], subject='medewerker', name='Beheerder')}"}


async def letter(routing: Harness, case_id: str, name: str) -> tuple[int, str]:
    response = await routing.http.get(f"/api/v1/cases/{case_id}/letters/{name}")
    return response.status_code, response.text


async def test_acknowledgement_names_reference_term_and_article(routing: Harness) -> None:
    case_id = await routing.receive(unit="Inkomen")
    await routing.deliver(
        DeadlineSet(
            case_id=case_id,
            kind=DeadlineKind.decision,
            due=date(2026, 4, 14),
            at=datetime(2026, 3, 3, 12, tzinfo=AMS),
            start=date(2026, 3, 3),
            unmoved_due=date(2026, 4, 14),
            state=DeadlineState.running,
        )
    )
    await routing.act(case_id, "acknowledge", at="2026-03-05")
    status, html = await letter(routing, case_id, "ontvangstbevestiging.html")
    reference = (await routing.case(case_id))["reference"]
    assert status == 200
    assert reference in html and "3 maart 2026" in html and "14 april 2026" in html
    assert "9:6" in html and "afdeling Inkomen" in html
    assert (await letter(routing, case_id, "acknowledgement.html"))[0] == 200


async def test_decline_letter_explains_the_ground_and_names_the_ombudsman(routing: Harness) -> None:
    case_id = await routing.receive()
    assert (await letter(routing, case_id, "niet-in-behandeling.html"))[0] == 409
    await routing.act(case_id, "decline", reason="older_than_one_year", at="2026-03-10")
    status, html = await letter(routing, case_id, "decline.html")
    assert status == 200 and "meer dan een jaar geleden" in html and "ombudsman" in html and "9:8" in html


async def test_extension_and_outcome_letters(routing: Harness) -> None:
    case_id = await routing.receive()
    await routing.act(case_id, "escalate")
    await routing.act(
        case_id, "extend", weeks=3, reason="We wachten op advies van de afdeling.", at="2026-04-01"
    )
    status, html = await letter(routing, case_id, "verdaging.html")
    assert status == 200 and "3 weken" in html and "We wachten op advies" in html and "9:11" in html
    assert (await letter(routing, case_id, "uitkomst.html"))[0] == 409
    await routing.act(case_id, "hear", report="Klager en medewerker gehoord.", at="2026-04-15")
    await routing.act(
        case_id, "resolve", outcome="partly_upheld", resolution="formal", resolved_at="2026-05-01"
    )
    status, html = await letter(routing, case_id, "uitkomst.html")
    assert status == 200 and "gedeeltelijk gegrond" in html and "één jaar" in html and "ombudsman" in html


async def test_pdf_is_a_pdf(routing: Harness) -> None:
    case_id = await routing.receive()
    response = await routing.http.get(f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    target = os.environ.get("KLACHTSTROOM_LETTER_SAMPLE")
    if target:  # for a person to look at: pdftoppm -png sample.pdf
        with open(target, "wb") as sample:
            sample.write(response.content)


async def test_a_municipality_can_override_a_template(routing: Harness) -> None:
    folder = routing.service.settings.service_dir("routing") / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ontvangstbevestiging.txt.j2").write_text(
        "# Bedankt\n\nWe hebben klacht {{ reference }} ontvangen. Groeten uit Voorbeeldstad.\n",
        encoding="utf-8",
    )
    case_id = await routing.receive()
    status, html = await letter(routing, case_id, "ontvangstbevestiging.html")
    assert status == 200 and "Groeten uit Voorbeeldstad" in html


async def test_unknown_letter_and_format(routing: Harness) -> None:
    case_id = await routing.receive()
    assert (await letter(routing, case_id, "liefdesbrief.pdf"))[0] == 404
    assert (await letter(routing, case_id, "ontvangstbevestiging.docx"))[0] == 404


async def test_a_letter_marked_sent_stays_as_it_was_sent(routing: Harness) -> None:
    case_id = await routing.receive(unit="Inkomen")
    await routing.act(case_id, "assign", handler_name="A. Bakker")
    assert (await routing.http.get(f"/api/v1/cases/{case_id}/letters")).json()["items"][0]["state"] == "draft"
    response = await routing.http.post(f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging/sent")
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "sent" and response.json()["sent_by"]
    # Later: another handler, another wording. The letter that went out does not change.
    await routing.act(case_id, "assign", handler_name="C. de Vries")
    wording = "# Anders\n\n{{ salutation }},\n\nNieuwe tekst.\n\n{{ signature }}\n"
    admin = _as(routing, "admin")
    put = await routing.http.put(
        "/api/v1/letter-templates/ontvangstbevestiging", json={"body": wording}, headers=admin
    )
    assert put.status_code == 200, put.text
    response = await routing.http.get(f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging.html")
    assert response.status_code == 200 and response.headers["Letter-State"] == "sent"
    assert (
        "A. Bakker" in response.text
        and "C. de Vries" not in response.text
        and "Nieuwe tekst" not in response.text
    )
    again = await routing.http.post(f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging/sent")
    assert again.status_code == 409
    listed = (await routing.http.get(f"/api/v1/cases/{case_id}/letters")).json()["items"]
    assert [(i["kind"], i["state"]) for i in listed] == [("ontvangstbevestiging", "sent")]
    # A case without a sent letter reads the new wording, signed by its handler.
    other = await routing.receive(unit="Inkomen")
    await routing.act(other, "assign", handler_name="C. de Vries")
    response = await routing.http.get(f"/api/v1/cases/{other}/letters/ontvangstbevestiging.html")
    assert response.headers["Letter-State"] == "draft"
    assert "Nieuwe tekst" in response.text and "C. de Vries" in response.text


async def test_a_second_postponement_has_a_letter_of_its_own(routing: Harness) -> None:
    case_id = await routing.receive()
    await routing.act(case_id, "extend", weeks=2, reason="Advies nodig.", at="2026-04-01")
    assert (await routing.http.post(f"/api/v1/cases/{case_id}/letters/verdaging/sent")).status_code == 201
    await routing.act(case_id, "extend", weeks=2, reason="Klager stemt in.", consent=True, at="2026-04-10")
    response = await routing.http.get(f"/api/v1/cases/{case_id}/letters/verdaging.html")
    assert response.headers["Letter-State"] == "draft" and "Klager stemt in" in response.text
    assert (await routing.http.post(f"/api/v1/cases/{case_id}/letters/verdaging/sent")).status_code == 201


async def test_letters_are_signed_by_the_configured_signer(routing: Harness) -> None:
    case_id = await routing.receive()
    await routing.act(case_id, "assign", handler_name="mr. B. Peters (niet betrokken)")
    routing.app.state.casework.settings.letter_signer = "J. Jansen, teamleider klachten"
    response = await routing.http.get(f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging.html")
    assert "<p>J. Jansen, teamleider klachten<br/>namens de gemeente</p>" in response.text


async def test_a_letter_template_that_does_not_render_is_refused(routing: Harness) -> None:
    admin = _as(routing, "admin")
    for broken in ("# Titel\n\n{{ onbekend }}", "# Titel\n\n{% if %}", "Geen titel {{ reference }}"):
        response = await routing.http.put(
            "/api/v1/letter-templates/uitkomst", json={"body": broken}, headers=admin
        )
        assert response.status_code == 422, broken
    listed = (await routing.http.get("/api/v1/letter-templates", headers=admin)).json()["items"]
    assert {i["kind"] for i in listed} == {
        "ontvangstbevestiging",
        "verdaging",
        "niet-in-behandeling",
        "uitkomst",
    }
    assert not any(i["edited"] for i in listed)
    # Handlers may not change the wording; the shipped wording comes back after a reset.
    handler = _as(routing, "handler")
    refused = await routing.http.put(
        "/api/v1/letter-templates/uitkomst", json={"body": "# T\n"}, headers=handler
    )
    assert refused.status_code == 403
    good = "# Ons oordeel\n\n{{ salutation }},\n\n{{ outcome_text }}\n\n{{ signature }}\n"
    assert (
        await routing.http.put("/api/v1/letter-templates/uitkomst", json={"body": good}, headers=admin)
    ).status_code == 200
    assert (await routing.http.delete("/api/v1/letter-templates/uitkomst", headers=admin)).status_code == 204
    listed = (await routing.http.get("/api/v1/letter-templates", headers=admin)).json()["items"]
    assert not any(i["edited"] for i in listed)
