"""HTML and CSV renderings: readable, accessible, deterministic, and no personal data in open data."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser

from klachtstroom.contracts.vocabulary import Handler
from klachtstroom.reporting.render.csv import OPEN_DATA_COLUMNS, annual_csv, open_data_csv
from klachtstroom.reporting.render.html import annual_sections, render_annual_html, render_provider_html
from klachtstroom.reporting.reports.annual import annual_report
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.reports.provider import provider_report

MakeFact = Callable[..., CaseFacts]


class TableAudit(HTMLParser):
    """Collects what an accessibility check looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.lang: str | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.th_without_scope += tag == "th" and "scope" not in attributes
        self.scripts += tag in ("script", "link", "img")


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def block(rows: list[list[str]], caption: str) -> list[list[str]]:
    """The rows of one CSV table block, from its caption to the blank line after it."""
    start = rows.index([caption])
    end = rows.index([], start)
    return rows[start:end]


def test_html_is_standalone_accessible_dutch_and_deterministic(register: list[CaseFacts]) -> None:
    page = render_annual_html(annual_report(register, 2026))
    assert page == render_annual_html(annual_report(list(reversed(register)), 2026))
    assert page.startswith('<!DOCTYPE html>\n<html lang="nl">')
    audit = TableAudit()
    audit.feed(page)
    assert audit.lang == "nl"
    assert audit.tables == audit.captions == 18  # 11, plus satisfaction (4), norms (1), measures (2)
    assert audit.th_without_scope == 0
    assert audit.scripts == 0
    assert "<title>Jaarverslag klachtbehandeling 2026</title>" in page
    assert "<li>Het aantal meldingen steeg van 40 naar 47.</li>" in page
    assert "Stand van de registratie: 31 december 2026." in page
    # The channel table with its year-on-year comparison and totals.
    assert (
        '<tr><th scope="row">Telefoon</th><td class="num">15</td><td class="num">19</td>'
        '<td class="num">+4</td></tr>'
    ) in page
    assert (
        '<tfoot><tr><th scope="row">Totaal</th><td class="num">40</td><td class="num">47</td>'
        '<td class="num">+7</td></tr></tfoot>'
    ) in page
    assert '<th scope="row">Onbekend</th>' in page
    assert "None" not in page and "unknown" not in page


def test_html_escapes_names_from_outside(fact: MakeFact) -> None:
    page = render_annual_html(annual_report([fact(date(2026, 1, 2), unit="<script>x</script>")], 2026),
                              organisation="Gemeente A&B")  # fmt: skip
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<title>Jaarverslag klachtbehandeling 2026 – Gemeente A&amp;B</title>" in page


def test_sections_are_shared_by_html_and_csv(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026, municipality="Voorbeeldstad")
    captions = [t.caption for s in annual_sections(report) for t in s.tables]
    rows = csv_rows(annual_csv(report))
    page = render_annual_html(report)
    for caption in captions:
        assert [caption] in rows
        assert f">{caption}</caption>" in page
    assert rows[0] == ["Jaarverslag klachtbehandeling", "2026", "Voorbeeldstad"]


def test_annual_csv_tables(register: list[CaseFacts]) -> None:
    text = annual_csv(annual_report(register, 2026))
    assert text == annual_csv(annual_report(list(reversed(register)), 2026))
    assert "\r\n" in text
    rows = csv_rows(text)
    assert block(rows, "Meldingen naar kanaal, 2025 en 2026") == [
        ["Meldingen naar kanaal, 2025 en 2026"],
        ["Kanaal", "2025", "2026", "Verschil"],
        ["Digitaal formulier", "10", "11", "+1"],
        ["E-mail", "10", "10", "0"],
        ["Telefoon", "15", "19", "+4"],
        ["Brief", "5", "5", "0"],
        ["Balie", "0", "2", "+2"],
        ["Totaal", "40", "47", "+7"],
    ]
    units = block(rows, "Meldingen per afdeling en onderwerp, 2026")
    assert units[1][0] == "Afdeling" and units[1][-1] == "Totaal"
    assert units[2] == ["Inkomen", "12", "0", "0", "4", "0", "0", "2", "18"]
    assert units[-1] == ["Totaal", "18", "8", "7", "4", "5", "1", "4", "47"]
    assert block(rows, "Meldingen per gemeente, 2023 tot en met 2026")[1:] == [
        ["Gemeente", "2023", "2024", "2025", "2026"],
        ["Buurdorp", "0", "0", "10", "9"],
        ["Oudgemeente", "2", "0", "0", "0"],
        ["Voorbeeldstad", "0", "3", "30", "38"],
        ["Totaal", "2", "3", "40", "47"],
    ]
    assert block(rows, "Afhandeling binnen de termijn, 2026")[2:] == [
        ["Binnen de termijn", "38"], ["Na de termijn", "2"], ["Nog in behandeling", "7"], ["Totaal", "47"],
    ]  # fmt: skip


def test_csv_neutralises_spreadsheet_formulas(fact: MakeFact) -> None:
    facts = [fact(date(2026, 1, 2), unit='=HYPERLINK("http://x")', municipality="@SUM(A1)")]
    for text in (annual_csv(annual_report(facts, 2026)), open_data_csv(facts, 2026)):
        cells = [c for row in csv_rows(text) for c in row]
        assert not any(c.startswith(("=", "@")) for c in cells)
        assert '\'=HYPERLINK("http://x")' in cells


def test_open_data_has_only_non_identifying_fields(register: list[CaseFacts]) -> None:
    text = open_data_csv(register, 2026)
    assert text == open_data_csv(list(reversed(register)), 2026)
    rows = csv_rows(text)
    header, data = rows[0], rows[1:]
    assert tuple(header) == OPEN_DATA_COLUMNS
    for forbidden in (
        "id",
        "referentie",
        "naam",
        "name",
        "email",
        "e-mail",
        "bsn",
        "adres",
        "telefoon",
        "omschrijving",
        "toelichting",
        "maatregelen",
        "zorgaanbieder",
        "datum",
    ):
        assert forbidden not in header  # fmt: skip
    assert len(data) == 47
    assert [int(r[0]) for r in data] == list(range(1, 48))
    cells = {c for row in data for c in row}
    assert not any(c.startswith(("KL-", "case-")) for c in cells)  # no reference, no id
    assert "Zorg Plus" not in cells and "Extra training bejegening" not in cells
    assert all(len(r[1]) == 7 and r[1].startswith("2026-") for r in data)  # month, not day
    assert data[0] == ["1", "2026-01", "Telefoon", "Klacht", "Proactief", "Werk", "Voorbeeldstad",
                       "Gemeente", "Informeel / bemiddeld", "Geen oordeel", "ja", "nee"]  # fmt: skip
    by_column = {name: [r[i] for r in data] for i, name in enumerate(header)}
    assert by_column["binnen_termijn"].count("nee") == 2
    assert by_column["binnen_termijn"].count("in behandeling") == 7
    assert by_column["ombudsman"].count("ja") == 3
    assert by_column["behandelaar"].count("Zorgaanbieder") == 6
    assert by_column["afdeling"].count("") == 6
    assert by_column["uitkomst"].count("Niet-ontvankelijk / niet in behandeling genomen") == 4


def test_open_data_publishes_only_known_names(fact: MakeFact) -> None:
    facts = [
        fact(date(2026, 3, 1), unit="Werk"),
        fact(date(2026, 3, 2), unit="team van Jan de Vries", municipality="Voorbeeldstad"),
    ]
    rows = csv_rows(open_data_csv(facts, 2026, units={"Werk", "Inkomen"}, municipalities={"Voorbeeldstad"}))
    assert [r[5] for r in rows[1:]] == ["Werk", "overig"]
    assert "team van Jan de Vries" not in open_data_csv(facts, 2026, units={"Werk"})


def test_open_data_municipality_filter_and_empty_year(register: list[CaseFacts]) -> None:
    assert len(csv_rows(open_data_csv(register, 2026, municipality="Buurdorp"))) == 1 + 9
    assert csv_rows(open_data_csv([], 2026)) == [list(OPEN_DATA_COLUMNS)]


def test_empty_year_renders(register: list[CaseFacts]) -> None:
    report = annual_report([], 2031)
    page = render_annual_html(report)
    assert "In 2031 zijn geen klachten geregistreerd." in page
    assert ["Totaal", "0", "0", "0"] in csv_rows(annual_csv(report))


def test_provider_html(register: list[CaseFacts], fact: MakeFact) -> None:
    measures = ["Extra training bejegening"]
    report = provider_report(register, "Zorg Plus", 2026, 1, measures)
    page = render_provider_html(report)
    reversed_report = provider_report(list(reversed(register)), "Zorg Plus", 2026, 1, measures)
    assert page == render_provider_html(reversed_report)
    assert "<title>Halfjaarrapportage klachten Zorg Plus – 2026-H1</title>" in page
    assert "<li>Extra training bejegening</li>" in page
    assert "Periode: 1 januari 2026 tot en met 30 juni 2026." in page
    audit = TableAudit()
    audit.feed(page)
    assert audit.tables == audit.captions == 7 and audit.th_without_scope == 0  # 5 + satisfaction, measures
    empty = render_provider_html(
        provider_report([fact(date(2026, 1, 1), handler=Handler.provider)], "X", 2026, 2)
    )
    assert "<li>Geen maatregelen gemeld.</li>" in empty


def test_names_are_never_translated(fact: MakeFact) -> None:
    # A unit that happens to be spelled like a vocabulary value stays as the organisation named it.
    page = render_annual_html(annual_report([fact(date(2026, 2, 2), unit="other")], 2026))
    assert '<th scope="row">other</th>' in page
