"""The twice-yearly provider report and the overview of complaints mediated with partners.

Providers (zorgaanbieders) are the first line for complaints about their own work and report
them to the municipality twice a year: registration, handling, outcome and measures
(DOMAIN.md, step 8). The report covers one half year by received date: H1 is January to
June, H2 July to December.

A complaint belongs to a provider's report when it is *about* that provider (`provider`
field), whoever handled it: a complaint escalated to the municipality (second line) still
says something about the provider. `by_handler` shows who handled them. The counting rules are
the annual report's (`annual.py`), so the two reports never disagree about a case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypedDict

from klachtstroom.contracts.vocabulary import Category, Handler, Outcome, Resolution
from klachtstroom.reporting.learning.satisfaction import Answer, Satisfaction, satisfaction
from klachtstroom.reporting.reports.annual import (
    TermCounts,
    count_terms,
    count_vocabulary,
    counted,
    is_or_are,
    most_frequent_sentence,
    ordered_names,
    received_in,
    term_sentences,
)
from klachtstroom.reporting.reports.facts import UNKNOWN, CaseFacts, effective_outcome, effective_resolution

HALVES: dict[int, tuple[range, str]] = {
    1: (range(1, 7), "eerste"),
    2: (range(7, 13), "tweede"),
}


class ProviderReport(TypedDict):
    provider: str
    year: int
    half: int
    period: str  # "2026-H1", as in the URL of the Reporting API
    start: str
    end: str
    total: int
    by_category: dict[str, int]
    by_outcome: dict[str, int]
    by_resolution: dict[str, int]
    by_handler: dict[str, int]
    within_term: TermCounts
    open: int
    measures: list[str]
    summary_sentences: list[str]
    satisfaction: Satisfaction  # feedback on the complaints of the period
    measures_register: list[dict[str, Any]]  # the provider's own measures in the register


class MediatedOverview(TypedDict):
    year: int
    total: int
    by_provider: dict[str, int]
    by_category: dict[str, int]
    by_outcome: dict[str, int]
    within_term: TermCounts
    summary_sentences: list[str]


def provider_cases(facts: Iterable[CaseFacts], provider: str, year: int, half: int) -> list[CaseFacts]:
    """The complaints about `provider` received in half `half` (1 or 2) of `year`, in order."""
    if half not in HALVES:
        raise ValueError(f"half must be 1 or 2, not {half!r}")
    months, _ordinal = HALVES[half]
    return received_in((f for f in facts if f.provider == provider), year, months)


def provider_report(
    facts: Iterable[CaseFacts],
    provider: str,
    year: int,
    half: int,
    measures: Sequence[str] = (),
    *,
    answers: Mapping[str, Answer] | None = None,
    register: Sequence[Mapping[str, Any]] = (),
) -> ProviderReport:
    """The report on complaints about `provider` received in half `half` (1 or 2) of `year`;
    `measures` are the texts the provider reported on those cases (routing keeps them)."""
    chosen = provider_cases(facts, provider, year, half)
    months, ordinal = HALVES[half]
    terms = count_terms(chosen)
    report: ProviderReport = {
        "provider": provider,
        "year": year,
        "half": half,
        "period": f"{year}-H{half}",
        "start": date(year, months.start, 1).isoformat(),
        "end": (date(year, 6, 30) if half == 1 else date(year, 12, 31)).isoformat(),
        "total": len(chosen),
        "by_category": count_vocabulary(Category, (f.category for f in chosen)),
        "by_outcome": count_vocabulary(Outcome, (effective_outcome(f) for f in chosen)),
        "by_resolution": count_vocabulary(Resolution, (effective_resolution(f) for f in chosen)),
        "by_handler": count_vocabulary(Handler, (f.handler for f in chosen)),
        "within_term": terms,
        "open": terms["open"],
        "measures": list(measures),
        "summary_sentences": [],
        "satisfaction": satisfaction(chosen, answers or {}),
        "measures_register": [dict(m) for m in register if m.get("provider") == provider],
    }
    report["summary_sentences"] = _provider_sentences(report, ordinal)
    return report


def _provider_sentences(report: ProviderReport, ordinal: str) -> list[str]:
    total, name = report["total"], report["provider"]
    if total == 0:
        return [
            f"In het {ordinal} halfjaar van {report['year']} zijn geen klachten over {name} geregistreerd."
        ]
    sentences = [
        f"In het {ordinal} halfjaar van {report['year']} {is_or_are(total)} "
        f"{counted(total, 'klacht', 'klachten')} over {name} geregistreerd."
    ]
    if (leader := most_frequent_sentence(report["by_category"])) is not None:
        sentences.append(leader)
    judged = report["by_outcome"][Outcome.upheld] + report["by_outcome"][Outcome.partly_upheld]
    if judged:
        sentences.append(
            f"{counted(judged, 'klacht', 'klachten')} {is_or_are(judged)} (gedeeltelijk) gegrond verklaard."
        )
    sentences.extend(term_sentences(report["within_term"]))
    measures = len(report["measures"])
    sentences.append(
        f"De zorgaanbieder heeft {counted(measures, 'maatregel', 'maatregelen')} gemeld."
        if measures
        else "De zorgaanbieder heeft geen maatregelen gemeld."
    )
    return sentences


def mediated_overview(facts: Iterable[CaseFacts], year: int) -> MediatedOverview:
    """Complaints of `year` handled informally together with a partner (Awb 9:5 mediation)."""
    chosen = received_in((f for f in facts if f.mediated_with_partner), year)
    by_provider = {
        name: sum(1 for f in chosen if (f.provider or UNKNOWN) == name)
        for name in ordered_names(f.provider or UNKNOWN for f in chosen)
    }
    overview: MediatedOverview = {
        "year": year,
        "total": len(chosen),
        "by_provider": by_provider,
        "by_category": count_vocabulary(Category, (f.category for f in chosen)),
        "by_outcome": count_vocabulary(Outcome, (effective_outcome(f) for f in chosen)),
        "within_term": count_terms(chosen),
        "summary_sentences": [],
    }
    total = overview["total"]
    if total == 0:
        overview["summary_sentences"] = [
            f"In {year} zijn geen klachten samen met een zorgaanbieder opgepakt."
        ]
    else:
        partners = len(by_provider)
        overview["summary_sentences"] = [
            f"In {year} {is_or_are(total)} {counted(total, 'klacht', 'klachten')} samen met "
            f"{counted(partners, 'zorgaanbieder', 'zorgaanbieders')} informeel opgepakt.",
            *term_sentences(overview["within_term"]),
        ]
    return overview
