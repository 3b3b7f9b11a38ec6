"""Dutch HTML for the annual and provider reports, built from layout-neutral sections.

`annual_sections` and `provider_sections` turn a report dict into `Section`s of `Table`s with
Dutch captions and labels. This HTML renderer, the CSV renderer (`csv.py`) and a later
PDF renderer all draw the same sections, so a number has one caption everywhere.

The page is standalone (inline CSS, no scripts, no external files), accessible (lang="nl",
table captions, `th scope`, totals in `tfoot`, scrollable wide tables reachable by keyboard)
and deterministic: no clock, no random ids, so the same report gives byte-identical HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.contracts.vocabulary import Category, dutch
from klachtstroom.reporting.learning.satisfaction import Satisfaction
from klachtstroom.reporting.reports.annual import AnnualReport
from klachtstroom.reporting.reports.facts import UNKNOWN
from klachtstroom.reporting.reports.provider import ProviderReport

Cell = int | str


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    columns: tuple[str, ...]  # the first names the row-label column
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # (row label, cells)
    totals: tuple[Cell, ...] | None = None  # the "Totaal" row, if any


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)


def label(value: str) -> str:
    """The Dutch label of a vocabulary value."""
    return dutch(value)


def name_label(name: str) -> str:
    """A unit, municipality or provider name as given; never translated, so never mistaken."""
    return "Onbekend" if name == UNKNOWN else name


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


# --- sections -----------------------------------------------------------------------------


def counts_table(caption: str, heading: str, counts: Mapping[str, int]) -> Table:
    rows = tuple((label(k), (n,)) for k, n in counts.items())
    return Table(caption, (heading, "Aantal"), rows, (sum(counts.values()),))


def comparison_table(
    caption: str, heading: str, now: Mapping[str, int], before: Mapping[str, int], years: tuple[int, int]
) -> Table:
    rows = tuple((label(k), (before.get(k, 0), n, signed(n - before.get(k, 0)))) for k, n in now.items())
    total_now, total_before = sum(now.values()), sum(before.values())
    return Table(
        caption,
        (heading, str(years[0]), str(years[1]), "Verschil"),
        rows,
        (total_before, total_now, signed(total_now - total_before)),
    )


def matrix_table(
    caption: str,
    heading: str,
    matrix: Mapping[str, Mapping[str, int]],
    columns: Sequence[str],
    row_totals: bool = True,
) -> Table:
    """Rows by name, one column per key; a "Totaal" column only where adding across makes sense."""
    rows = []
    for name, counts in matrix.items():
        cells: list[Cell] = [counts.get(c, 0) for c in columns]
        rows.append((name_label(name), tuple([*cells, sum(counts.values())] if row_totals else cells)))
    totals: list[Cell] = [sum(counts.get(c, 0) for counts in matrix.values()) for c in columns]
    grand_total = sum(sum(counts.values()) for counts in matrix.values())
    return Table(
        caption,
        (heading, *(label(c) for c in columns), *(["Totaal"] if row_totals else [])),
        tuple(rows),
        tuple([*totals, grand_total] if row_totals else totals),
    )


def annual_sections(report: AnnualReport) -> list[Section]:
    year, previous = report["year"], report["comparison"]
    years = (previous["year"], year)
    terms, contacts = report["within_term"], report["acknowledged_within_5_working_days"]
    municipality_years = next(iter(report["by_municipality"].values()), {})
    return [
        Section("Samenvatting", bullets=tuple(report["summary_sentences"])),
        Section(
            "Aantal meldingen",
            (
                f"Alle meldingen die in {year} zijn ontvangen. Bezwaren en vragen zijn geen "
                "klacht; die zijn doorverwezen.",
            ),
            tables=(
                comparison_table(
                    f"Meldingen naar soort, {years[0]} en {year}", "Soort",
                    report["by_kind"], previous["by_kind"], years,
                ),
            ),
        ),
        Section(
            "Hoe kwamen de klachten binnen?",
            tables=(
                comparison_table(
                    f"Meldingen naar kanaal, {years[0]} en {year}", "Kanaal",
                    report["by_channel"], previous["by_channel"], years,
                ),
            ),
        ),
        Section(
            "Waar gingen de klachten over?",
            tables=(
                comparison_table(
                    f"Meldingen naar onderwerp, {years[0]} en {year}", "Onderwerp",
                    report["by_category"], previous["by_category"], years,
                ),
            ),
        ),
        Section(
            "Klachten per afdeling",
            tables=(
                matrix_table(
                    f"Meldingen per afdeling en onderwerp, {year}", "Afdeling",
                    report["by_unit"], [c.value for c in Category],
                ),
            ),
        ),
        Section(
            "Klachten per gemeente",
            tables=(
                matrix_table(
                    f"Meldingen per gemeente, {min(municipality_years, default=year)} tot en met {year}",
                    "Gemeente", report["by_municipality"], list(municipality_years),
                    row_totals=False,  # the years are a time series, not parts of a whole
                ),
            ),
        ),
        Section(
            "Afhandeling",
            (
                "Informeel: opgelost in een gesprek of door bemiddeling (Awb 9:5). Formeel: "
                "behandeld met hoorzitting en schriftelijk oordeel (Awb 9:10-9:12).",
            ),
            tables=(
                counts_table(f"Afgehandelde klachten naar wijze van afhandeling, {year}",
                             "Afhandeling", report["by_resolution"]),
                counts_table(f"Meldingen naar behandelaar, {year}", "Behandelaar",
                             report["by_handler"]),
            ),
        ),
        Section(
            "Uitkomst",
            tables=(counts_table(f"Afgehandelde klachten naar uitkomst, {year}", "Uitkomst",
                                 report["by_outcome"]),),
        ),
        Section(
            "Termijnen",
            (
                "Een klacht moet binnen 6 weken zijn afgehandeld, of 10 weken met een "
                "klachtadviescommissie, eventueel met één keer uitstel van ten hoogste 4 weken "
                "(Awb 9:11). Een klacht die nog loopt telt als 'nog in behandeling'.",
                "Contact binnen 5 werkdagen is beoordeeld op de stand van "
                f"{dutch_date(date.fromisoformat(report['as_of']))}.",
            ),
            tables=(
                Table(
                    f"Afhandeling binnen de termijn, {year}", ("Termijn", "Aantal"),
                    (("Binnen de termijn", (terms["within"],)),
                     ("Na de termijn", (terms["late"],)),
                     ("Nog in behandeling", (terms["open"],))),
                    (terms["within"] + terms["late"] + terms["open"],),
                ),
                Table(
                    f"Persoonlijk contact binnen 5 werkdagen, {year}", ("Contact", "Aantal"),
                    (("Binnen 5 werkdagen", (contacts["within"],)),
                     ("Later", (contacts["late"],))),
                    (contacts["within"] + contacts["late"],),
                ),
            ),
        ),
        Section(
            "Ombudsman",
            ("Na de afhandeling kan de klager naar de ombudsman (Awb 9:12).",),
            tables=(
                Table(f"Klachten voorgelegd aan de ombudsman, {year}", ("Omschrijving", "Aantal"),
                      (("Voorgelegd aan de ombudsman", (report["ombudsman"],)),)),
            ),
        ),
        *learning_sections(report),
    ]  # fmt: skip


def mark(value: float | None) -> str:
    """An average mark as Dutch readers write it: 7,7; '–' without answers."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def share(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


def satisfaction_table(caption: str, heading: str, groups: Mapping[str, Satisfaction]) -> Table:
    rows = tuple(
        (name_label(name), (s["responses"], mark(s["average_score"]), share(s["heard_share"])))
        for name, s in groups.items()
    )
    return Table(caption, (heading, "Antwoorden", "Gemiddeld cijfer", "Voelde zich gehoord"), rows)


def measures_table(caption: str, measures: Sequence[Mapping[str, Any]]) -> Table:
    rows = tuple(
        (str(m["title"]),
         (str(m["owner"]), dutch_date(date.fromisoformat(str(m["due"]))), label(str(m["status"]))))
        for m in measures
    )  # fmt: skip
    return Table(caption, ("Maatregel", "Eigenaar", "Klaar op", "Stand"), rows)


def learning_sections(report: AnnualReport) -> list[Section]:
    """Satisfaction, behoorlijkheidsnormen and the measures register (leren van klachten)."""
    year, answered, by = report["year"], report["satisfaction"], report["satisfaction_by"]
    measures = report["measures_list"]
    norms = {norm: n for norm, n in report["upheld_by_norm"].items() if n}
    categories = {label(c): v for c, v in by["by_category"].items()}
    return [
        Section(
            "Tevredenheid over de klachtbehandeling",
            (
                "Na de afhandeling vragen we de klager om een cijfer van 1 tot 10 en of hij of zij "
                "zich gehoord voelde. Bij een 5 of lager, of als de klager zich niet gehoord voelde, "
                "belt de klachtcoördinator terug.",
            ),
            tables=(
                satisfaction_table(f"Tevredenheid over de klachtbehandeling, {year}", "Alle klachten",
                                   {"Alle klachten": answered}),
                satisfaction_table(f"Tevredenheid per afdeling, {year}", "Afdeling", by["by_unit"]),
                satisfaction_table(f"Tevredenheid per onderwerp, {year}", "Onderwerp", categories),
                satisfaction_table(f"Tevredenheid per zorgaanbieder, {year}", "Zorgaanbieder",
                                   by["by_provider"]),
            ),
        ),
        Section(
            "Behoorlijkheidsnormen",
            ("Gegronde en gedeeltelijk gegronde klachten naar de norm van de Nationale ombudsman die "
             "werd geschonden. Een klacht kan meer normen raken.",),
            tables=(counts_table(f"Gegronde klachten per behoorlijkheidsnorm, {year}", "Norm", norms),),
        ),
        Section(
            "Verbetermaatregelen",
            ("Wat we veranderen naar aanleiding van klachten: maatregelen bij klachten uit "
             f"{year} of met een einddatum in {year}.",),
            tables=(
                Table(f"Maatregelen naar stand, {year}", ("Stand", "Aantal"),
                      tuple((label(k), (v,)) for k, v in report["measures"].items()),
                      (sum(report["measures"].values()),)),
                measures_table(f"Verbetermaatregelen, {year}", measures),
            ),
        ),
    ]  # fmt: skip


def provider_sections(report: ProviderReport) -> list[Section]:
    period = f"{dutch_date(date.fromisoformat(report['start']))} tot en met " + dutch_date(
        date.fromisoformat(report["end"])
    )
    terms = report["within_term"]
    return [
        Section("Samenvatting", (f"Periode: {period}.",), tuple(report["summary_sentences"])),
        Section(
            "Klachten",
            tables=(
                counts_table("Klachten naar onderwerp", "Onderwerp", report["by_category"]),
                counts_table("Klachten naar behandelaar", "Behandelaar", report["by_handler"]),
                counts_table("Afgehandelde klachten naar afhandeling", "Afhandeling",
                             report["by_resolution"]),
                counts_table("Afgehandelde klachten naar uitkomst", "Uitkomst", report["by_outcome"]),
                Table("Afhandeling binnen de termijn", ("Termijn", "Aantal"),
                      (("Binnen de termijn", (terms["within"],)),
                       ("Na de termijn", (terms["late"],)),
                       ("Nog in behandeling", (terms["open"],))),
                      (terms["within"] + terms["late"] + terms["open"],)),
            ),
        ),
        Section("Maatregelen", bullets=tuple(report["measures"]) or ("Geen maatregelen gemeld.",)),
        Section(
            "Tevredenheid en verbetermaatregelen",
            tables=(
                satisfaction_table(f"Tevredenheid over de klachtbehandeling, {period}", "Klachten",
                                   {"Klachten over " + report["provider"]: report["satisfaction"]}),
                measures_table(f"Verbetermaatregelen van {report['provider']}", report["measures_register"]),
            ),
        ),
    ]  # fmt: skip


# --- HTML ---------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;
background:#fff;line-height:1.5;margin:0}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.8rem;margin:0 0 .25rem}h2{font-size:1.3rem;margin:2rem 0 .5rem;
border-bottom:2px solid #154273;padding-bottom:.2rem;color:#154273}
.lead{color:#4a4a4a;margin-top:0}
.table-wrap{overflow-x:auto;margin:1rem 0}
.table-wrap:focus{outline:3px solid #154273;outline-offset:2px}
table{border-collapse:collapse;min-width:20rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid #c8c8c8;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #1a1a1a}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot th,tfoot td{border-top:2px solid #1a1a1a;font-weight:600}
footer{margin-top:2rem;color:#4a4a4a;font-size:.9rem}
@media print{.table-wrap{overflow:visible}h2{break-after:avoid}table{break-inside:avoid}}
""".strip()


def _cell(value: Cell) -> str:
    return f'<td class="num">{escape(str(value))}</td>'


def _table_html(table: Table, table_id: str) -> str:
    numeric = ' class="num"'
    head = "".join(
        f'<th scope="col"{"" if i == 0 else numeric}>{escape(c)}</th>' for i, c in enumerate(table.columns)
    )
    body = "\n".join(
        f'<tr><th scope="row">{escape(name)}</th>{"".join(_cell(v) for v in cells)}</tr>'
        for name, cells in table.rows
    )
    foot = (
        f'\n<tfoot><tr><th scope="row">Totaal</th>{"".join(_cell(v) for v in table.totals)}</tr></tfoot>'
        if table.totals is not None
        else ""
    )
    return (
        f'<div class="table-wrap" role="region" aria-labelledby="{table_id}" tabindex="0">\n'
        f'<table>\n<caption id="{table_id}">{escape(table.caption)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>{foot}\n</table>\n</div>"
    )


def render_page(title: str, lead: str, sections: Sequence[Section], footer: str) -> str:
    """A standalone Dutch HTML page of `sections`."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="lead">{escape(lead)}</p>',
    ]
    for s_index, section in enumerate(sections, start=1):
        parts.append(f'<section aria-labelledby="s{s_index}">')
        parts.append(f'<h2 id="s{s_index}">{escape(section.title)}</h2>')
        parts.extend(f"<p>{escape(p)}</p>" for p in section.paragraphs)
        if section.bullets:
            items = "\n".join(f"<li>{escape(b)}</li>" for b in section.bullets)
            parts.append(f"<ul>\n{items}\n</ul>")
        parts.extend(
            _table_html(table, f"s{s_index}-t{t_index}")
            for t_index, table in enumerate(section.tables, start=1)
        )
        parts.append("</section>")
    parts += [f"<footer><p>{escape(footer)}</p></footer>", "</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def annual_title(report: AnnualReport, organisation: str | None = None) -> str:
    who = organisation or report["municipality"]
    base = f"Jaarverslag klachtbehandeling {report['year']}"
    return f"{base} – {who}" if who else base


def render_annual_html(report: AnnualReport, organisation: str | None = None) -> str:
    """The annual report as a standalone Dutch HTML page ('Jaarverslag klachtbehandeling')."""
    year = report["year"]
    lead = (
        f"Overzicht van de klachten en andere meldingen die in {year} zijn ontvangen, met de "
        f"vergelijking met {year - 1}."
    )
    footer = (
        f"Geteld naar datum van ontvangst. Stand van de registratie: "
        f"{dutch_date(date.fromisoformat(report['as_of']))}."
    )
    return render_page(annual_title(report, organisation), lead, annual_sections(report), footer)


def render_provider_html(report: ProviderReport) -> str:
    """The half-year provider report as a standalone Dutch HTML page."""
    half = "eerste" if report["half"] == 1 else "tweede"
    title = f"Halfjaarrapportage klachten {report['provider']} – {report['year']}-H{report['half']}"
    lead = f"Klachten over {report['provider']} ontvangen in het {half} halfjaar van {report['year']}."
    footer = (
        "Geteld naar datum van ontvangst. De maatregelen zijn overgenomen zoals de zorgaanbieder ze meldde."
    )
    return render_page(title, lead, provider_sections(report), footer)
