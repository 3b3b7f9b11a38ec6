"""The public complaint form: accessible markup, CSRF, Dutch validation, files, rate limit, idempotency."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from intake_harness import Intake

REFERENCE = re.compile(r"KL-\d{4}-\d{6}")


def filled(intake: Intake, **fields: str) -> dict[str, str]:
    return {
        **intake.form_tokens(),
        "omschrijving": "De medewerker aan de balie schreeuwde tegen mij.",
        "email": "inwoner@example.nl",
        **fields,
    }


def test_the_form_is_dutch_accessible_and_needs_no_javascript(intake: Intake) -> None:
    response = intake.client.get("/")
    page = response.text
    assert response.status_code == 200
    assert '<html lang="nl">' in page
    assert 'href="#inhoud"' in page and 'id="inhoud"' in page  # skip link
    assert "<script" not in page  # works without JavaScript
    assert 'method="post"' in page and 'enctype="multipart/form-data"' in page
    for field in (
        "omschrijving",
        "afdeling",
        "wanneer",
        "naam",
        "email",
        "telefoon",
        "adres",
        "bijlagen",
    ):
        assert f'<label class="label" for="{field}">' in page, field
    # No BSN: the anonymous form cannot know whose number it is (DESIGN.md; that needs DigiD).
    assert 'name="bsn"' not in page and "Burgerservicenummer" not in page
    assert "<legend" in page and "Hoe kunnen we u bereiken?" in page
    assert 'aria-describedby="omschrijving-hint"' in page
    assert "Weet ik niet" in page
    assert "klantnummer" in page  # tells the resident none is needed
    assert 'autocomplete="email"' in page and 'autocomplete="tel"' in page
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert "klachtstroom_csrf" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]


def test_the_form_asks_whether_the_provider_may_contact_and_keeps_the_answer(intake: Intake) -> None:
    page = intake.client.get("/").text
    # A question with its own legend, the checkbox labelled inside that fieldset (WCAG 1.3.1).
    legend = '<legend class="legend">Mag de zorgaanbieder u bellen of mailen over uw klacht?</legend>'
    question = re.search(re.escape(legend) + r"(.*?)</fieldset>", page, re.S)
    assert question, "the consent question is a fieldset with a legend"
    assert 'type="checkbox" id="zorgaanbieder_contact"' in question.group(1)
    assert '<label class="choice-label" for="zorgaanbieder_contact">' in question.group(1)
    for consent in ({"zorgaanbieder_contact": "ja"}, {}):
        response = intake.client.post("/klacht", data=filled(intake, telefoon="06 12345678", **consent))
        assert response.status_code == 200, response.text
    rows = intake.rows("SELECT provider_may_contact FROM complaints ORDER BY created_at")
    assert [row["provider_may_contact"] for row in rows] == [1, 0]
    assert [event["data"]["provider_may_contact"] for event in intake.events("received")] == [True, False]


def test_an_empty_form_gets_an_error_summary_with_links_and_nothing_is_stored(intake: Intake) -> None:
    response = intake.client.post("/klacht", data={**intake.form_tokens(), "omschrijving": "  "})
    page = response.text
    assert response.status_code == 422
    assert "<title>Fout: " in page
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary and "autofocus" in summary.group(0) and 'role="alert"' in summary.group(0)
    assert '<a href="#omschrijving">Vul in wat er is gebeurd.</a>' in summary.group(0)
    assert 'href="#email"' in summary.group(0)  # asks for one way to reach the resident
    assert 'aria-describedby="omschrijving-hint omschrijving-fout" aria-invalid="true"' in page
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_wrong_details_are_explained_and_what_was_typed_stays(intake: Intake) -> None:
    response = intake.client.post(
        "/klacht",
        data=filled(
            intake,
            email="geen-adres",
            telefoon="12",
            naam="Jan & Piet",
            wanneer="vorige week",
        ),
    )
    page = response.text
    assert response.status_code == 422
    assert "Vul een e-mailadres in zoals naam@voorbeeld.nl." in page
    assert "Vul een telefoonnummer in zoals 06 12345678." in page
    assert 'value="Jan &amp; Piet"' in page  # preserved and escaped
    assert 'value="vorige week"' in page
    assert "De medewerker aan de balie schreeuwde tegen mij.</textarea>" in page


def test_a_filled_in_form_is_registered_and_shows_the_reference_and_next_steps(intake: Intake) -> None:
    data = filled(
        intake,
        afdeling="Inkomen",
        wanneer="3 maart",
        telefoon="06 12345678",
        bsn="111222333",  # sent anyway (an old page, a crafted post): not taken
        behandeling="formeel",
    )
    response = intake.client.post("/klacht", data=data)
    page = response.text
    assert response.status_code == 200, page
    reference = REFERENCE.search(page)
    assert reference
    assert "5 werkdagen" in page and "6 weken" in page
    [row] = intake.rows("SELECT * FROM complaints")
    assert row["reference"] == reference.group(0)
    assert row["channel"] == "web_form" and row["unit"] == "Inkomen" and row["formal"] == 1
    assert "Wanneer gebeurd (volgens de indiener): 3 maart" in row["description"]
    [person] = intake.raw_rows("SELECT * FROM complainants")
    assert person["bsn_enc"] is None and person["bsn_hash"] is None  # the form takes no BSN
    assert "111222333" not in str(intake.raw_rows("SELECT * FROM complaints"))
    [received] = intake.events("received")
    assert received["data"]["channel"] == "web_form"
    assert "111222333" not in str(received) and "inwoner@example.nl" not in str(received)


def test_a_double_submit_registers_once(intake: Intake) -> None:
    data = filled(intake)
    first = REFERENCE.search(intake.client.post("/klacht", data=data).text)
    second = REFERENCE.search(intake.client.post("/klacht", data=data).text)
    assert first and second and first.group(0) == second.group(0)
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 1


def test_without_a_matching_csrf_token_nothing_is_stored_and_input_stays(intake: Intake) -> None:
    data = {**filled(intake), "csrf_token": "forged.123.abc"}
    response = intake.client.post("/klacht", data=data)
    assert response.status_code == 403
    assert "Het formulier is verlopen" in response.text
    assert "De medewerker aan de balie schreeuwde tegen mij." in response.text
    intake.client.cookies.clear()
    response = intake.client.post("/klacht", data=filled(intake) | {"csrf_token": data["csrf_token"]})
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_choosing_no_contact_is_allowed(intake: Intake) -> None:
    response = intake.client.post("/klacht", data=filled(intake, email="", geen_contact="ja"))
    assert response.status_code == 200
    assert "kunnen we u niet bereiken" in response.text


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _post_files(intake: Intake, files: list[tuple[str, tuple[str, bytes, str]]]) -> Any:
    return intake.client.post("/klacht", data=filled(intake), files=files)


def test_attachments_are_kept_when_their_content_is_pdf_jpg_png_or_docx(intake: Intake) -> None:
    response = _post_files(
        intake,
        [
            ("bijlagen", ("brief.pdf", b"%PDF-1.7\n...", "application/pdf")),
            ("bijlagen", ("foto.JPG", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")),
            ("bijlagen", ("verslag.docx", _docx(), "application/octet-stream")),
        ],
    )
    assert response.status_code == 200, response.text
    stored = intake.rows("SELECT filename, content_type FROM attachments ORDER BY filename")
    assert [(r["filename"], r["content_type"]) for r in stored] == [
        ("brief.pdf", "application/pdf"),
        ("foto.JPG", "image/jpeg"),
        ("verslag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]


def test_a_renamed_program_is_refused_by_its_content(intake: Intake) -> None:
    response = _post_files(intake, [("bijlagen", ("brief.pdf", b"MZ\x90\x00 program", "application/pdf"))])
    assert response.status_code == 422
    assert "kunnen we niet gebruiken" in response.text and 'href="#bijlagen"' in response.text
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_too_many_or_too_large_files_are_refused_with_a_clear_message(intake: Intake) -> None:
    four = [("bijlagen", (f"f{i}.png", b"\x89PNG\r\n\x1a\n...", "image/png")) for i in range(4)]
    response = _post_files(intake, four)
    assert response.status_code == 422
    assert "U kunt maximaal 3 bestanden toevoegen." in response.text
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    response = _post_files(intake, [("bijlagen", ("groot.pdf", big, "application/pdf"))])
    assert response.status_code == 413
    assert "is te groot. Een bestand mag maximaal 10 MB zijn." in response.text
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_a_form_larger_than_three_files_of_10_mb_is_refused_while_it_arrives(intake: Intake) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is only known by counting
        nonlocal sent
        yield b"--grens\r\nContent-Disposition: form-data; name=\"bijlagen\"; filename=\"a.pdf\"\r\n\r\n%PDF-"
        for _ in range(40):
            sent += 1
            yield b"0" * (1024 * 1024)

    response = intake.client.post(
        "/klacht", content=chunks(), headers={"content-type": "multipart/form-data; boundary=grens"}
    )
    assert response.status_code == 413 and "te groot" in response.text
    assert response.headers["api-version"]
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0


def test_too_many_posts_from_one_address_get_a_dutch_429_page(make_intake: Any) -> None:
    intake: Intake = make_intake(form_rate_limit=2)
    for _ in range(2):
        assert intake.client.post("/klacht", data=filled(intake)).status_code == 200
    response = intake.client.post("/klacht", data=filled(intake))
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "te vaak kort na elkaar" in response.text and 'lang="nl"' in response.text
