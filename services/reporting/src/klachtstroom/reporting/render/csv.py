"""CSV exports: the annual report's tables, and the anonymised register for active publication (Woo).

Dialect, for both: semicolon separator, UTF-8 with a byte order mark, CRLF line ends (RFC 4180).
That is what Excel with Dutch regional settings opens straight into columns with "ë" intact,
and it reads fine with any CSV library (`sep=";"`, `encoding="utf-8-sig"`). The functions
return `str` beginning with U+FEFF; encode it as UTF-8 when serving.

Text cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
leading apostrophe: unit and municipality names are kept as given at intake (DESIGN), so they
may come from outside. Signed numbers such as "-3" are left alone.

The open data register has one row per registration received in the year, with ONLY fields
that do not identify a person: a sequence number instead of id or reference, the month of
receipt instead of the day, and vocabulary values. No free text (description, summary,
measures), no complainant data, no employee. Provider names are left out too: a provider can
be a one-person practice, and then its name names the person complained about; the handler
kind (gemeente / zorgaanbieder) is published instead. Pass `units` / `municipalities` (the
organisation's own lists) to publish any other name as "overig", so a name typed in by a
resident never reaches publication.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Sequence

from klachtstroom.contracts.vocabulary import dutch
from klachtstroom.reporting.render.html import Cell, Section, Table, annual_sections, provider_sections
from klachtstroom.reporting.reports.annual import AnnualReport, received_in
from klachtstroom.reporting.reports.facts import (
    CaseFacts,
    effective_outcome,
    effective_resolution,
    term_status,
)
from klachtstroom.reporting.reports.provider import ProviderReport

BOM = "\ufeff"
_SIGNED_NUMBER = re.compile(r"[+-]\d+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

OPEN_DATA_COLUMNS = (
    "volgnummer",
    "maand_ontvangst",
    "kanaal",
    "soort",
    "categorie",
    "afdeling",
    "gemeente",
    "behandelaar",
    "afhandeling",
    "uitkomst",
    "binnen_termijn",
    "ombudsman",
)

TERM_WORDS = {"within": "ja", "late": "nee", "open": "in behandeling"}


def safe_cell(value: Cell) -> str:
    """The cell as text, made inert for spreadsheets (no formula injection)."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _write(rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return BOM + buffer.getvalue()


def _table_rows(table: Table) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[table.caption], list(table.columns)]
    rows += [[name, *cells] for name, cells in table.rows]
    if table.totals is not None:
        rows.append(["Totaal", *table.totals])
    return rows


def sections_csv(title: Sequence[Cell], sections: Iterable[Section]) -> str:
    """Every table of `sections` as its own block: caption, header, rows, total, blank line."""
    rows: list[list[Cell]] = [list(title), []]
    for section in sections:
        for table in section.tables:
            rows += _table_rows(table)
            rows.append([])
    return _write(rows)


def annual_csv(report: AnnualReport) -> str:
    """The annual report's tables, the same ones (and captions) as the HTML page."""
    title: list[Cell] = ["Jaarverslag klachtbehandeling", report["year"]]
    if report["municipality"] is not None:
        title.append(report["municipality"])
    return sections_csv(title, annual_sections(report))


def provider_csv(report: ProviderReport) -> str:
    """The provider report's tables, the same ones (and captions) as the HTML page."""
    title: list[Cell] = ["Halfjaarrapportage klachten", report["provider"], report["period"]]
    return sections_csv(title, provider_sections(report))


def open_data_csv(
    facts: Iterable[CaseFacts],
    year: int,
    municipality: str | None = None,
    *,
    units: Collection[str] | None = None,
    municipalities: Collection[str] | None = None,
) -> str:
    """The anonymised register of `year` for active publication (Woo); see the module docstring."""
    chosen = received_in((f for f in facts if municipality is None or f.municipality == municipality), year)
    rows: list[Sequence[Cell]] = [OPEN_DATA_COLUMNS]
    for number, fact in enumerate(chosen, start=1):
        outcome, resolution = effective_outcome(fact), effective_resolution(fact)
        rows.append(
            (
                number,
                f"{fact.received_on.year:04d}-{fact.received_on.month:02d}",
                dutch(fact.channel),
                dutch(fact.kind),
                dutch(fact.category),
                _published_name(fact.unit, units),
                _published_name(fact.municipality, municipalities),
                dutch(fact.handler),
                dutch(resolution) if resolution is not None else "",
                dutch(outcome) if outcome is not None else "",
                TERM_WORDS[term_status(fact)],
                "ja" if fact.ombudsman or fact.state == "ombudsman" else "nee",
            )
        )
    return _write(rows)


def _published_name(name: str | None, allowed: Collection[str] | None) -> str:
    """Empty when unknown; "overig" when not on the organisation's own list."""
    if name is None:
        return ""
    if allowed is not None and name not in allowed:
        return "overig"
    return name
