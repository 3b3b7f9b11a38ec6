"""The annual complaints report (jaarverslag klachtbehandeling, Awb 9:12a registration).

`annual_report` returns exactly the JSON shape of DESIGN.md (Reporting API), plus a few extra
keys (`municipality`, `as_of`, `comparison`, `summary_sentences`). Choices, so every number
can be traced:

- Population: every registration *received* in the year (DESIGN: counts are by received
  year), of every kind. Objections and questions are registered too and referred; `by_kind`
  shows them, and `total`, `by_channel`, `by_kind`, `by_category`, `by_unit`, `by_handler`
  and the year column of `by_municipality` all add up to `total`.
- Vocabulary tables (channel, kind, category, outcome, resolution, handler) always list every
  vocabulary value, with 0 where none, in vocabulary order, so tables look the same every year.
- `by_unit` and `by_municipality` list the names seen, alphabetically, with `"unknown"` (see
  `facts.UNKNOWN`) last for cases without one; every unit row lists all categories.
- `by_municipality` covers this year and the three before (keys are year strings, oldest
  first) for every municipality with a registration in those years; with a municipality
  filter it lists that one municipality only, even when it has no registrations.
- `by_outcome` and `by_resolution` count closed cases only (`facts.effective_outcome`).
- `within_term` and `acknowledged_within_5_working_days` follow `facts.term_status` and
  `facts.contact_status`; `as_of` (default 31 December of the year) only decides when a
  missing acknowledgement becomes late.
- `ombudsman`: registrations of the year the complainant took to the ombudsman.
- `satisfaction` (DESIGN: `{responses, average_score, heard_share}`): the feedback given on the
  registrations of the year; `satisfaction_by` splits it per unit, category and provider.
- `upheld_by_norm`: upheld or partly upheld complaints of the year per behoorlijkheidsnorm.
- `measures` (DESIGN: `{planned, in_progress, done}`): measures linked to a complaint of the
  year or due in it; `measures_list` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypedDict, TypeVar

from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    Handler,
    Kind,
    MeasureStatus,
    Outcome,
    Resolution,
    dutch,
)
from klachtstroom.reporting.learning.satisfaction import (
    Answer,
    Satisfaction,
    SatisfactionBy,
    satisfaction,
    satisfaction_by,
    upheld_by_norm,
)
from klachtstroom.reporting.reports.facts import (
    UNKNOWN,
    CaseFacts,
    contact_status,
    effective_outcome,
    effective_resolution,
    term_status,
)

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Learning:
    """What the report learns from beyond the case facts: feedback, norms, the measures register."""

    answers: Mapping[str, Answer] = field(default_factory=dict)
    norms: Mapping[str, Sequence[str]] = field(default_factory=dict)
    measures: Sequence[Mapping[str, Any]] = ()  # the register's items of this year


class TermCounts(TypedDict):
    within: int
    late: int
    open: int


class ContactCounts(TypedDict):
    within: int
    late: int


class Comparison(TypedDict):
    year: int
    total: int
    by_kind: dict[str, int]
    by_channel: dict[str, int]
    by_category: dict[str, int]


class LearningSections(TypedDict):
    """The report's closing sections: the summary slot, then what the organisation learns."""

    summary_sentences: list[str]
    satisfaction: Satisfaction
    satisfaction_by: SatisfactionBy
    upheld_by_norm: dict[str, int]
    measures: dict[str, int]
    measures_list: list[dict[str, Any]]


class AnnualReport(LearningSections):
    year: int
    total: int
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    by_category: dict[str, int]
    by_unit: dict[str, dict[str, int]]
    by_municipality: dict[str, dict[str, int]]
    by_outcome: dict[str, int]
    by_resolution: dict[str, int]
    by_handler: dict[str, int]
    within_term: TermCounts
    ombudsman: int
    acknowledged_within_5_working_days: ContactCounts
    # Extra keys beyond the DESIGN shape.
    municipality: str | None
    as_of: str
    comparison: Comparison


MUNICIPALITY_YEARS = 4  # this year and the three before (DESIGN, Reporting API)


def annual_report(
    facts: Iterable[CaseFacts],
    year: int,
    municipality: str | None = None,
    *,
    as_of: date | None = None,
    learning: Learning | None = None,
) -> AnnualReport:
    """The annual report for `year`, optionally for one municipality of a shared organisation."""
    as_of = as_of or date(year, 12, 31)
    learning = learning or Learning()
    selected = [f for f in facts if municipality is None or f.municipality == municipality]
    this_year = received_in(selected, year)
    last_year = received_in(selected, year - 1)

    report: AnnualReport = {
        "year": year,
        "total": len(this_year),
        "by_channel": count_vocabulary(Channel, (f.channel for f in this_year)),
        "by_kind": count_vocabulary(Kind, (f.kind for f in this_year)),
        "by_category": count_vocabulary(Category, (f.category for f in this_year)),
        "by_unit": _by_unit(this_year),
        "by_municipality": _by_municipality(selected, year, municipality),
        "by_outcome": count_vocabulary(Outcome, (effective_outcome(f) for f in this_year)),
        "by_resolution": count_vocabulary(Resolution, (effective_resolution(f) for f in this_year)),
        # DESIGN: a complaint that names a provider counts as `provider`, registered or not.
        "by_handler": count_vocabulary(
            Handler, (Handler.provider if f.provider else f.handler for f in this_year)
        ),
        "within_term": count_terms(this_year),
        "ombudsman": sum(1 for f in this_year if f.ombudsman or f.state == "ombudsman"),
        "acknowledged_within_5_working_days": count_contacts(this_year, as_of),
        "municipality": municipality,
        "as_of": as_of.isoformat(),
        "comparison": {
            "year": year - 1,
            "total": len(last_year),
            "by_kind": count_vocabulary(Kind, (f.kind for f in last_year)),
            "by_channel": count_vocabulary(Channel, (f.channel for f in last_year)),
            "by_category": count_vocabulary(Category, (f.category for f in last_year)),
        },
        **learning_sections(this_year, learning),
    }
    report["summary_sentences"] = summary_sentences(report)
    return report


def learning_sections(facts: Sequence[CaseFacts], learning: Learning) -> LearningSections:
    """The report's sections on learning (satisfaction, norms, measures) and its summary slot,
    in the order the report lists them; `facts` are the year's cases (those with answers or norms
    suffice)."""
    return {
        "summary_sentences": [],
        "satisfaction": satisfaction(facts, learning.answers),
        "satisfaction_by": satisfaction_by(facts, learning.answers),
        "upheld_by_norm": upheld_by_norm(facts, learning.norms),
        "measures": count_vocabulary(MeasureStatus, (MeasureStatus(m["status"]) for m in learning.measures)),
        "measures_list": [dict(m) for m in learning.measures],
    }


# --- counting, shared with the provider report -------------------------------------------


def received_in(facts: Iterable[CaseFacts], year: int, months: range = range(1, 13)) -> list[CaseFacts]:
    """The registrations received in `year` (and the given months), in a stable order."""
    chosen = [f for f in facts if f.received_on.year == year and f.received_on.month in months]
    return sorted(chosen, key=lambda f: (f.received_on, f.reference, f.id))


def count_vocabulary(vocabulary: type[E], values: Iterable[E | None]) -> dict[str, int]:
    """Counts per vocabulary value, every value present (0 where none), None not counted."""
    counts = {member.value: 0 for member in vocabulary}
    for value in values:
        if value is not None:
            counts[vocabulary(value).value] += 1
    return counts


def count_terms(facts: Iterable[CaseFacts]) -> TermCounts:
    counts: TermCounts = {"within": 0, "late": 0, "open": 0}
    for fact in facts:
        counts[term_status(fact)] += 1
    return counts


def count_contacts(facts: Iterable[CaseFacts], as_of: date) -> ContactCounts:
    counts: ContactCounts = {"within": 0, "late": 0}
    for fact in facts:
        status = contact_status(fact, as_of)
        if status is not None:
            counts[status] += 1
    return counts


def ordered_names(names: Iterable[str]) -> list[str]:
    """Names alphabetically (case-insensitive, then exact), `UNKNOWN` last."""
    unique = set(names)
    known = sorted(unique - {UNKNOWN}, key=lambda n: (n.casefold(), n))
    return known + ([UNKNOWN] if UNKNOWN in unique else [])


def _by_unit(facts: Sequence[CaseFacts]) -> dict[str, dict[str, int]]:
    units = ordered_names(f.unit or UNKNOWN for f in facts)
    return {
        unit: count_vocabulary(Category, (f.category for f in facts if (f.unit or UNKNOWN) == unit))
        for unit in units
    }


def _by_municipality(
    facts: Sequence[CaseFacts], year: int, municipality: str | None
) -> dict[str, dict[str, int]]:
    years = range(year - MUNICIPALITY_YEARS + 1, year + 1)
    in_range = [f for f in facts if f.received_on.year in years]
    names = (
        [municipality]
        if municipality is not None
        else ordered_names(f.municipality or UNKNOWN for f in in_range)
    )
    table: dict[str, dict[str, int]] = {name: {str(y): 0 for y in years} for name in names}
    for fact in in_range:
        table[fact.municipality or UNKNOWN][str(fact.received_on.year)] += 1
    return table


# --- Dutch text ---------------------------------------------------------------------------


def counted(n: int, singular: str, plural: str) -> str:
    """'1 klacht', '3 klachten'."""
    return f"{n} {singular if n == 1 else plural}"


def is_or_are(n: int) -> str:
    return "is" if n == 1 else "zijn"


def percentage(part: int, whole: int) -> int:
    """Whole percent, rounded half up (not Python's half-to-even), for printed reports."""
    return (200 * part + whole) // (2 * whole)


def topic(category: str) -> str:
    """A category as the object of 'gingen over ...'."""
    return "overige onderwerpen" if category == Category.other else dutch(category).lower()


def most_frequent_sentence(by_category: dict[str, int]) -> str | None:
    """'De meeste klachten gingen over bejegening (12).' Ties are named together."""
    top = max(by_category.values(), default=0)
    if top == 0:
        return None
    leaders = [topic(c) for c, n in by_category.items() if n == top]
    if len(leaders) == 1:
        return f"De meeste klachten gingen over {leaders[0]} ({top})."
    named = ", ".join(leaders[:-1]) + " en " + leaders[-1]
    return f"De meeste klachten gingen over {named} (elk {top})."


def term_sentences(terms: TermCounts) -> list[str]:
    sentences = []
    closed = terms["within"] + terms["late"]
    if closed:
        sentences.append(
            f"Van de afgehandelde klachten is {percentage(terms['within'], closed)}% binnen "
            f"de termijn afgehandeld ({terms['within']} van {closed})."
        )
    if terms["open"]:
        sentences.append(
            f"{counted(terms['open'], 'klacht', 'klachten')} {is_or_are(terms['open'])} nog in behandeling."
        )
    return sentences


def resolution_sentence(by_resolution: dict[str, int]) -> str | None:
    informal, formal = by_resolution[Resolution.informal], by_resolution[Resolution.formal]
    if informal + formal == 0:
        return None
    return (
        f"{counted(informal, 'klacht', 'klachten')} {is_or_are(informal)} informeel opgelost "
        f"en {formal} formeel behandeld."
    )


def summary_sentences(report: AnnualReport) -> list[str]:
    """Short Dutch sentences as municipalities publish them, from the report's own numbers."""
    year, total = report["year"], report["total"]
    previous = report["comparison"]
    complaints = report["by_kind"][Kind.complaint]
    only_complaints = complaints == total and previous["by_kind"][Kind.complaint] == previous["total"]
    noun = "klachten" if only_complaints else "meldingen"
    sentences: list[str] = []

    if total == 0:
        sentences.append(f"In {year} zijn geen klachten geregistreerd.")
    elif complaints == total:
        sentences.append(
            f"In {year} {is_or_are(total)} {counted(total, 'klacht', 'klachten')} geregistreerd."
        )
    else:
        sentences.append(
            f"In {year} {is_or_are(total)} {counted(total, 'melding', 'meldingen')} "
            f"geregistreerd, waarvan {counted(complaints, 'klacht', 'klachten')}; de andere "
            f"{total - complaints} waren een bezwaar of een vraag."
        )
    # Without registrations last year a rise "from 0" says nothing about the organisation.
    if previous["total"]:
        if total > previous["total"]:
            sentences.append(f"Het aantal {noun} steeg van {previous['total']} naar {total}.")
        elif total < previous["total"]:
            sentences.append(f"Het aantal {noun} daalde van {previous['total']} naar {total}.")
        else:
            sentences.append(f"Het aantal {noun} bleef gelijk: {total}.")

    sentences.extend(
        s
        for s in (
            most_frequent_sentence(report["by_category"]),
            resolution_sentence(report["by_resolution"]),
        )
        if s is not None
    )
    sentences.extend(term_sentences(report["within_term"]))
    contacts = report["acknowledged_within_5_working_days"]
    with_term = contacts["within"] + contacts["late"]
    if with_term:
        sentences.append(
            f"Bij {percentage(contacts['within'], with_term)}% van de klachten was er binnen "
            "5 werkdagen persoonlijk contact met de klager."
        )
    answered = report["satisfaction"]
    average, heard_share = answered["average_score"], answered["heard_share"]
    if answered["responses"] and average is not None and heard_share is not None:
        mark = f"{average:.1f}".replace(".", ",")
        who = counted(answered["responses"], "klager gaf", "klagers gaven")
        sentences.append(
            f"{who} een cijfer voor de behandeling: gemiddeld een {mark}; "
            f"{round(100 * heard_share)}% voelde zich gehoord."
        )
    ombudsman = report["ombudsman"]
    if total:
        sentences.append(
            f"Van de klachten uit {year} {'is' if ombudsman == 1 else 'zijn'} er "
            f"{ombudsman if ombudsman else 'geen'} voorgelegd aan de ombudsman."
        )
    return sentences
