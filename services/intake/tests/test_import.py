"""Bulk import of a municipality's register: tolerant reading, row-level report, dry run, idempotency."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from intake_harness import Intake
from openpyxl import Workbook

from klachtstroom.intake.imports.register import FileRefused, read_register, read_table

TODAY = date(2026, 6, 1)
HEADERS = [
    "Datum ontvangst",
    "Wijze van indienen",
    "Omschrijving",
    "Categorie",
    "Afdeling",
    "Gemeente",
    "Zorgaanbieder",
    "Soort",
    "Afhandeling (informeel/formeel)",
    "Uitkomst/Oordeel",
    "Datum afgehandeld",
    "Ombudsman (ja/nee)",
    "Naam",
    "E-mail",
    "Telefoon",
]
ROWS: list[list[Any]] = [
    [
        datetime(2024, 3, 4),
        "Telefoon",
        "Onheuse bejegening aan de balie",
        "Bejegening",
        "Inkomen",
        "Voorbeeldstad",
        "",
        "Klacht",
        "Informeel",
        "Deels gegrond",
        date(2024, 3, 20),
        "nee",
        "P. Jansen",
        "",
        "06-12345678",
    ],
    [
        date(2024, 5, 6),
        "Brief",
        "Geen reactie op aanvraag",
        "Behandeltermijn",
        "Wmo",
        "Dorpstad",
        "Thuiszorg Plus",
        "Klacht",
        "Formeel",
        "Gegrond",
        date(2024, 6, 28),
        "ja",
        "",
        "",
        "",
    ],
    [
        date(2025, 1, 15),
        "Digitaal formulier",
        "Regels zijn onduidelijk",
        "Iets geks",
        "",
        "Voorbeeldstad",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


def csv_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    def text(value: Any) -> str:
        return value.strftime("%d-%m-%Y") if isinstance(value, date) else str(value)

    lines = [";".join(headers)] + [";".join(text(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append([v if v != "" else None for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
def test_a_register_is_read_with_its_history(make: Any) -> None:
    register = read_register(make(HEADERS, ROWS), TODAY)
    assert register.total == 3 and register.errors == []
    first, second, third = (r.complaint for r in register.rows)
    assert [r.row for r in register.rows] == [2, 3, 4]
    assert (
        first.channel.value == "phone" and first.unit == "Inkomen" and first.municipality == "Voorbeeldstad"
    )
    assert first.category is not None and first.category.value == "conduct"
    assert first.received_at.date() == date(2024, 3, 4)
    assert first.imported is not None and first.imported.outcome is not None
    assert first.imported.outcome.value == "partly_upheld" and first.imported.closed_as == "resolved"
    assert first.imported.resolution is not None and first.imported.resolution.value == "informal"
    assert first.contact.name == "P. Jansen" and first.contact.phone == "06-12345678"
    assert second.formal and second.provider == "Thuiszorg Plus"
    assert second.imported is not None and second.imported.ombudsman and second.imported.handler == "provider"
    assert third.imported is not None and third.imported.closed_as is None and third.category is None
    assert [(w.row, w.field) for w in register.warnings] == [(4, "Categorie")]


def declaring_the_whole_grid(content: bytes) -> bytes:
    """The same workbook, its sheet claiming to be A1:XFD1048576 (16,384 columns, a million rows)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
                assert b"XFD1048576" in data
            target.writestr(item, data)
    return out.getvalue()


def test_a_declared_sheet_size_is_not_trusted() -> None:
    hostile = declaring_the_whole_grid(xlsx_bytes(HEADERS, ROWS))
    started = time.monotonic()
    table = read_table(hostile)
    assert [n for n, _ in table] == [1, 2, 3, 4]
    assert all(len(cells) <= len(HEADERS) for _, cells in table)
    assert time.monotonic() - started < 5
    assert read_register(hostile, TODAY).total == 3


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes])
def test_more_rows_than_allowed_are_refused_while_reading(make: Any) -> None:
    content = make(HEADERS, ROWS * 4)
    assert len(read_table(content, max_rows=12)) == 13
    with pytest.raises(FileRefused) as refused:
        read_table(content, max_rows=11)
    assert refused.value.status == 413 and "rijen" in refused.value.message


def test_xml_is_parsed_with_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_headers_in_other_words_are_recognised() -> None:
    headers = ["Ontvangen", "Kanaal", "Klacht omschrijving", "Oordeel", "Afgehandeld", "Opmerkingen intern"]
    register = read_register(
        csv_bytes(headers, [["3-3-2026", "e-mail", "Te laat betaald", "ongegrond", "14-04-2026", "x"]]), TODAY
    )
    [row] = register.rows
    assert row.complaint.channel.value == "email"
    assert row.complaint.imported is not None and row.complaint.imported.outcome == "not_upheld"
    assert [w.field for w in register.warnings] == ["Opmerkingen intern"]


def test_every_problem_is_reported_per_row_and_column_in_dutch() -> None:
    rows: list[list[Any]] = [
        ["31-02-2024", "duif", "", "", "", "", "", "", "", "misschien", "", "soms", "", "geen-mail", ""],
        [
            date(2024, 3, 4),
            "brief",
            "Tekst",
            "",
            "",
            "",
            "",
            "",
            "",
            "gegrond",
            date(2024, 1, 1),
            "",
            "",
            "",
            "",
        ],
        [date(2030, 1, 1), "brief", "Tekst", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    register = read_register(csv_bytes(HEADERS, rows), TODAY)
    problems = {(p.row, p.field): p.message for p in register.errors}
    assert problems[(2, "Datum ontvangst")] == "Vul een datum in, zoals 03-03-2026."
    assert problems[(2, "Wijze van indienen")].startswith("‘duif’ kennen we niet.")
    assert problems[(2, "Omschrijving")] == "Vul de omschrijving van de klacht in."
    assert (2, "Uitkomst/Oordeel") in problems and (2, "Ombudsman (ja/nee)") in problems
    assert (2, "email") in problems or (2, "E-mail") in problems
    assert problems[(3, "Datum afgehandeld")] == "De datum van afhandeling ligt vóór de datum van ontvangst."
    assert "toekomst" in problems[(4, "Datum ontvangst")]
    assert register.rows == []


def test_a_file_without_the_required_columns_is_refused() -> None:
    with pytest.raises(FileRefused, match="De kolommen ‘Kanaal’ en ‘Omschrijving’ ontbreken"):
        read_register(csv_bytes(["Datum ontvangst", "Afdeling"], [["1-1-2025", "Werk"]]), TODAY)


def wait_for(intake: Intake, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        status: dict[str, Any] = intake.client.get(f"/api/v1/imports/{job_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def upload(intake: Intake, content: bytes, name: str, dry_run: bool) -> dict[str, Any]:
    response = intake.client.post(
        f"/api/v1/imports?dry_run={str(dry_run).lower()}", files={"file": (name, content)}
    )
    assert response.status_code == 202, response.text
    return wait_for(intake, response.json()["id"])


def test_dry_run_then_import_then_the_same_file_again(intake: Intake) -> None:
    content = xlsx_bytes(HEADERS, ROWS)
    dry = upload(intake, content, "register.xlsx", dry_run=True)
    assert (dry["status"], dry["total"], dry["done"], dry["errors"]) == ("done", 3, 3, [])
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 0

    real = upload(intake, content, "register.xlsx", dry_run=False)
    assert (real["status"], real["imported"], real["already_imported"]) == ("done", 3, 0)
    stored = intake.rows(
        "SELECT reference, channel, status, received_at FROM complaints ORDER BY received_at"
    )
    assert [(r["channel"], r["status"]) for r in stored] == [
        ("phone", "resolved"),
        ("letter", "ombudsman"),  # closed, then taken to the ombudsman: where routing's replay ends
        ("web_form", "received"),
    ]
    assert stored[0]["reference"].startswith("KL-2024-")  # numbered in the year it was received
    received = intake.events("received")
    assert received[0]["data"]["imported"]["outcome"] == "partly_upheld"
    assert received[1]["data"]["imported"]["ombudsman"] is True
    assert [e["data"]["imported"]["closed_as"] for e in received] == ["resolved", "resolved", None]

    again = upload(intake, content, "register-kopie.xlsx", dry_run=False)
    assert (again["imported"], again["already_imported"]) == (0, 3)
    assert intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"] == 3


BAD_ROW = [date(2024, 1, 1), "duif", "Tekst", "", "", "", "", "", "", "", "", "", "", "", ""]
BAD_ROW_ERROR = {
    "row": 5,
    "field": "Wijze van indienen",
    "message": "‘duif’ kennen we niet. Gebruik telefoon, e-mail, brief, balie of formulier.",
}


def complaints(intake: Intake) -> int:
    return int(intake.rows("SELECT count(*) AS n FROM complaints")[0]["n"])


def test_the_valid_rows_import_and_the_invalid_ones_are_listed_by_line(intake: Intake) -> None:
    """Changed on purpose (issue 19): a file with a bad row used to import nothing at all."""
    content = csv_bytes(HEADERS, [*ROWS, BAD_ROW])
    dry = upload(intake, content, "register.csv", dry_run=True)
    assert (dry["status"], dry["rejected"], dry["errors"]) == ("done", 1, [BAD_ROW_ERROR])
    assert complaints(intake) == 0  # a dry run stores nothing

    status = upload(intake, content, "register.csv", dry_run=False)
    assert (status["status"], status["total"], status["done"]) == ("done", 4, 4)
    assert (status["imported"], status["rejected"], status["errors"]) == (3, 1, [BAD_ROW_ERROR])
    assert complaints(intake) == 3 and len(intake.events("received")) == 3

    # The bad row corrected: only that row is new, the three others are recognised by content.
    fixed = csv_bytes(HEADERS, [*ROWS, ["01-01-2024", "Brief", *BAD_ROW[2:]]])
    again = upload(intake, fixed, "register-verbeterd.csv", dry_run=False)
    assert (again["imported"], again["already_imported"], again["errors"]) == (1, 3, [])
    assert complaints(intake) == 4


def test_two_identical_rows_are_two_complaints(intake: Intake) -> None:
    status = upload(intake, csv_bytes(HEADERS, [ROWS[0], ROWS[0]]), "dubbel.csv", dry_run=False)
    assert (status["imported"], status["already_imported"]) == (2, 0)
    again = upload(intake, csv_bytes(HEADERS, [ROWS[0], ROWS[0]]), "dubbel-2.csv", dry_run=False)
    assert (again["imported"], again["already_imported"]) == (0, 2)


def test_an_import_that_breaks_off_leaves_whole_rows_and_finishes_on_a_retry(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    registrar = intake.app.state.imports.registrar
    register = registrar.register
    calls = 0

    async def breaks_at_the_second_row(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("database gone")
        return await register(*args, **kwargs)

    monkeypatch.setattr(registrar, "register", breaks_at_the_second_row)
    content = csv_bytes(HEADERS, [*ROWS, BAD_ROW])
    status = upload(intake, content, "register.csv", dry_run=False)
    assert (status["status"], status["imported"], status["rejected"]) == ("failed", 1, 1)
    assert status["errors"][0]["row"] == 0 and "afgebroken" in status["errors"][0]["message"]
    assert status["errors"][1:] == [BAD_ROW_ERROR]  # the row errors stay listed
    # The row stored is whole (complaint, key and event together); nothing of the second row.
    assert complaints(intake) == 1 and len(intake.events("received")) == 1
    assert intake.rows("SELECT count(*) AS n FROM idempotency_keys")[0]["n"] == 1
    page = intake.client.get(f"/import/{status['id']}").text
    assert "De import is afgebroken. 1 klachten zijn wel geïmporteerd" in page

    monkeypatch.setattr(registrar, "register", register)
    again = upload(intake, content, "register.csv", dry_run=False)
    assert (again["status"], again["imported"], again["already_imported"]) == ("done", 2, 1)
    assert complaints(intake) == 3


def test_an_unreadable_file_is_refused_at_once(intake: Intake) -> None:
    response = intake.client.post("/api/v1/imports", files={"file": ("foto.png", b"\x89PNG\r\n\x1a\n\0\0")})
    assert response.status_code == 422
    assert "Gebruik een .xlsx- of .csv-bestand" in response.json()["errors"][0]["message"]


def test_the_import_page_uploads_and_shows_progress_without_javascript(intake: Intake) -> None:
    page = intake.client.get("/import")
    assert page.status_code == 200 and "Alleen controleren" in page.text
    tokens = intake.form_tokens("/import")
    response = intake.client.post(
        "/import",
        data={**tokens, "proef": "ja"},
        files={"bestand": ("r.csv", csv_bytes(HEADERS, ROWS))},
        follow_redirects=False,
    )
    assert response.status_code == 303
    status_url = response.headers["location"]
    job_id = status_url.rsplit("/", 1)[-1]
    wait_for(intake, job_id)
    finished = intake.client.get(status_url).text
    assert "Proefimport" in finished and "3 rijen gecontroleerd" in finished
    assert "Iets geks" in finished  # the warning about the unknown category
    assert "Niet geïmporteerde rijen" not in finished


def test_the_import_page_lists_the_rows_it_did_not_import(intake: Intake) -> None:
    tokens = intake.form_tokens("/import")
    response = intake.client.post(
        "/import",
        data={**tokens, "proef": "nee"},
        files={"bestand": ("r.csv", csv_bytes(HEADERS, [*ROWS, BAD_ROW]))},
        follow_redirects=False,
    )
    wait_for(intake, response.headers["location"].rsplit("/", 1)[-1])
    finished = intake.client.get(response.headers["location"]).text
    assert "Klaar. 3 klachten geïmporteerd." in finished
    assert "1 rijen zijn niet geïmporteerd" in finished
    assert "<h2>Niet geïmporteerde rijen (1)</h2>" in finished
    assert "<td>5</td><td>Wijze van indienen</td><td>‘duif’ kennen we niet." in finished
    assert 'http-equiv="refresh"' not in finished


def test_a_running_import_page_refreshes_itself_without_javascript(intake: Intake) -> None:
    html = intake.app.state.web.pages.env.get_template("import_status.html").render(
        organisation="Gemeente",
        static=lambda p: "/static/" + p,
        errors={},
        title="Import",
        job={
            "status": "running",
            "dry_run": False,
            "filename": "r.csv",
            "done": 1,
            "total": 3,
            "imported": 1,
            "already_imported": 0,
            "errors": [],
            "warnings": [],
        },
        finished=False,
        api_url="/api/v1/imports/x",
        again_url="/import",
    )
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert '<progress class="progress" id="import-progress" max="3" value="1">' in html
