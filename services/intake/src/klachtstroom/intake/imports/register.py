"""Reading a municipality's complaint register (CSV or XLSX) into complaints with their history.

Tolerant of how registers are really kept: Dutch headers in several spellings, dates as Excel
dates or as text, 'deels gegrond' next to 'gedeeltelijk gegrond'. Every problem is reported per
row and column, in Dutch, so the coordinator can fix the file and try again.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import ValidationError

from klachtstroom.contracts.intake_events import ImportedHistory
from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.intake.imports.vocabulary import (
    CATEGORIES,
    CHANNELS,
    COLUMNS,
    KINDS,
    MONTHS,
    NO,
    OUTCOMES,
    REQUIRED,
    RESOLUTIONS,
    YES,
    normalise,
)
from klachtstroom.intake.registration import ContactDetails, NewComplaint
from klachtstroom.intake.schemas import ComplainantIn

Cell = str | int | float | date | datetime | None
CHANNEL_WORDS = "Gebruik telefoon, e-mail, brief, balie of formulier."
OUTCOME_WORDS = "Gebruik bijvoorbeeld gegrond, deels gegrond of ongegrond."
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y")


class FileRefused(Exception):
    """The file as a whole cannot be read; `message` says what to do."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class RegisterRow:
    row: int
    complaint: NewComplaint
    content_hash_source: str


@dataclass
class Register:
    rows: list[RegisterRow] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    total: int = 0


# DESIGN.md, Limits: an import is at most 20 MB (checked at upload) and 50,000 rows, read as a
# stream. A register has a dozen columns; cells beyond these are not read.
MAX_ROWS = 50_000
MAX_COLUMNS = 64
# An XLSX is a zip: what it unpacks to is bounded as well (a small file can unpack to gigabytes).
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
TOO_MANY_ROWS = "Het bestand heeft meer dan 50.000 rijen. Splits het in kleinere bestanden."


def read_table(content: bytes, max_rows: int = MAX_ROWS) -> list[tuple[int, list[Cell]]]:
    """(row number as the spreadsheet shows it, cells) for every non-empty row, XLSX or CSV.

    Rows are read one at a time and at most `max_rows` below the header are kept: a larger
    file is refused (FileRefused) without being read further.
    """
    rows = _xlsx_rows(content) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    table: list[tuple[int, list[Cell]]] = []
    for number, cells in rows:
        kept = list(cells[:MAX_COLUMNS])
        if not any(_text(c) for c in kept):
            continue
        if len(table) > max_rows:  # the header plus max_rows rows are allowed
            raise FileRefused(TOO_MANY_ROWS, 413)
        table.append((number, kept))
    return table


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, Sequence[Cell]]]:
    """The first sheet's rows, streamed by openpyxl's read-only reader (XML parsed with defusedxml).

    The sheet's declared dimension is not trusted: read-only mode pads every row to it, so a
    file that declares A1:XFD1048576 would make each row 16,384 cells and a million rows.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise FileRefused("Dit Excel-bestand is uitgepakt te groot. Sla het op als .csv.", 413)
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        unreadable = "Dit Excel-bestand kunnen we niet lezen. Sla het op als .xlsx of .csv."
        raise FileRefused(unreadable) from None
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterator[tuple[int, Sequence[Cell]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's 'CSV' on Dutch Windows
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise FileRefused("Dit CSV-bestand kunnen we niet lezen. Sla het opnieuw op als .csv.") from None


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def parse_date(cell: Cell) -> date | datetime | None:
    """An Excel date, or text like 03-03-2026, 2026-03-03 or 3 maart 2026; None when not a date."""
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    found = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", normalise(text))
    if found and found.group(2)[:3] in MONTHS:
        try:
            return date(int(found.group(3)), MONTHS[found.group(2)[:3]], int(found.group(1)))
        except ValueError:
            return None
    return None


def map_columns(headers: list[Cell]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(field -> column index, field -> header as written, headers we do not know)."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    labels = [(position, _text(header)) for position, header in enumerate(headers) if _text(header)]
    rest: list[tuple[int, str]] = []
    for position, label in labels:  # exact spellings first, wherever they stand
        match = next((f for f, synonyms in COLUMNS.items() if normalise(label) in synonyms), None)
        if match is not None and match not in index:
            index[match], written[match] = position, label
        elif match is None:
            rest.append((position, label))
    unknown: list[str] = []
    for position, label in rest:  # then 'Datum ontvangst klacht', 'Uitkomst/Oordeel': the longest known start
        name = normalise(label)
        starts = [
            (len(s), f)
            for f, synonyms in COLUMNS.items()
            if f not in index
            for s in synonyms
            if name.startswith(s + " ")
        ]
        if starts:
            match = max(starts)[1]
            index[match], written[match] = position, label
        else:
            unknown.append(label)
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in index]
    if missing:
        names = " en ".join(f"‘{m.capitalize()}’" for m in missing)
        what = f"De kolom {names} ontbreekt" if len(missing) == 1 else f"De kolommen {names} ontbreken"
        raise FileRefused(f"{what}. Zet de namen van de kolommen in de eerste rij.")
    return index, written, unknown


def read_register(content: bytes, today: date) -> Register:
    table = read_table(content)
    if not table:
        raise FileRefused("Het bestand is leeg.")
    (_, headers), body = table[0], table[1:]
    index, written, unknown = map_columns(headers)
    register = Register(total=len(body))
    for label in unknown:
        register.warnings.append(RowProblem(1, label, "Deze kolom kennen we niet. We slaan hem over."))
    for number, cells in body:
        values = {f: (cells[i] if i < len(cells) else None) for f, i in index.items()}
        _read_row(register, number, values, written, today)
    return register


# An outcome that closes a complaint without a judgement, and so without a date of handling.
CLOSING_OUTCOMES = (Outcome.withdrawn.value, Outcome.inadmissible.value)


def _read_row(
    register: Register, row: int, values: dict[str, Cell], written: dict[str, str], today: date
) -> None:
    errors: list[RowProblem] = []

    def problem(name: str, message: str, *, warning: bool = False) -> None:
        (register.warnings if warning else errors).append(RowProblem(row, written.get(name, name), message))

    def pick(name: str, table: dict[str, str], message: str, *, warning: bool = False) -> str | None:
        text = _text(values.get(name))
        if not text:
            return None
        found = table.get(normalise(text))
        if found is None:
            problem(name, message.format(value=text), warning=warning)
        return found

    received = parse_date(values.get("received_at"))
    if received is None:
        problem("received_at", "Vul een datum in, zoals 03-03-2026.")
    elif (received.date() if isinstance(received, datetime) else received) > today or received.year < 1990:
        problem("received_at", "Deze datum kan niet kloppen: hij ligt in de toekomst of vóór 1990.")
    description = _text(values.get("description"))
    if not description:
        problem("description", "Vul de omschrijving van de klacht in.")
    channel = pick("channel", CHANNELS, "‘{value}’ kennen we niet. " + CHANNEL_WORDS)
    if channel is None and not _text(values.get("channel")):
        problem("channel", "Vul in hoe de klacht binnenkwam (telefoon, e-mail, brief, balie of formulier).")
    kind = pick("kind", KINDS, "‘{value}’ kennen we niet. Gebruik klacht, bezwaar of vraag.")
    category = pick(
        "category", CATEGORIES, "Categorie ‘{value}’ kennen we niet; de triage kiest er een.", warning=True
    )
    resolution = pick("resolution", RESOLUTIONS, "‘{value}’ kennen we niet. Gebruik informeel of formeel.")
    outcome = pick("outcome", OUTCOMES, "‘{value}’ kennen we niet. " + OUTCOME_WORDS)
    resolved = None
    if _text(values.get("resolved_at")):
        resolved = parse_date(values.get("resolved_at"))
        if resolved is None:
            problem("resolved_at", "Vul een datum in, zoals 14-04-2026.")
        elif received is not None and moment_of(resolved) < moment_of(received):
            problem("resolved_at", "De datum van afhandeling ligt vóór de datum van ontvangst.")
    ombudsman_text = normalise(_text(values.get("ombudsman")))
    if ombudsman_text and ombudsman_text not in YES | NO:
        problem("ombudsman", "Vul ja of nee in.")
    if outcome and outcome not in CLOSING_OUTCOMES and not resolved and not errors:
        problem(
            "outcome",
            "Er is een uitkomst maar geen datum van afhandeling; de klacht blijft open staan.",
            warning=True,
        )
    contact = {k: _text(values.get(k)) or None for k in ("name", "email", "phone", "address")}
    try:
        ComplainantIn(**contact)
    except ValidationError as error:
        for item in error.errors():
            problem(str(item["loc"][0]), "Dit klopt niet. Kijk het na of laat het leeg.")
    if errors or received is None or channel is None:
        register.errors.extend(errors)
        return
    provider = _text(values.get("provider")) or None
    history = ImportedHistory(
        outcome=Outcome(outcome) if outcome else None,
        resolution=Resolution(resolution) if resolution else None,
        handler=Handler.provider if provider else Handler.municipality,
        resolved_at=moment_of(resolved) if resolved else None,
        ombudsman=ombudsman_text in YES,
    )
    history = history.model_copy(update={"closed_as": history.closing_state()})
    complaint = NewComplaint(
        channel=Channel(channel),
        description=description,
        received_at=moment_of(received),
        contact=ContactDetails(**contact),
        municipality=_text(values.get("municipality")) or None,
        unit=_text(values.get("unit")) or None,
        provider=provider,
        category=Category(category) if category else None,
        kind=Kind(kind) if kind else None,
        formal=resolution == Resolution.formal.value,
        imported=history,
    )
    source = json.dumps({k: _text(v) for k, v in sorted(values.items())}, ensure_ascii=False)
    register.rows.append(RegisterRow(row, complaint, source))
