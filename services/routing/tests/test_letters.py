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
