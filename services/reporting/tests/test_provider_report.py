"""The twice-yearly provider report and the overview of complaints mediated with partners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from klachtstroom.contracts.vocabulary import Category, Handler, Outcome, Resolution
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.reports.provider import mediated_overview, provider_report

MakeFact = Callable[..., CaseFacts]


def about(fact: MakeFact, day: date, provider: str = "Zorg Plus", **fields: object) -> CaseFacts:
    values: dict[str, object] = {"unit": None, "provider": provider, "handler": Handler.provider}
    values.update(fields)
    return fact(day, **values)


def test_first_half_of_the_register(register: list[CaseFacts]) -> None:
    report = provider_report(register, "Zorg Plus", 2026, 1, measures=["Extra training bejegening"])
    assert report["period"] == "2026-H1"
    assert (report["start"], report["end"]) == ("2026-01-01", "2026-06-30")
    assert report["total"] == 6
    assert report["by_category"]["conduct"] == 6
    assert sum(report["by_category"].values()) == 6
    assert report["by_outcome"]["upheld"] == 6
    assert report["by_resolution"] == {"informal": 6, "formal": 0}
    assert report["by_handler"] == {"municipality": 0, "provider": 6}
    assert report["within_term"] == {"within": 6, "late": 0, "open": 0}
    assert report["open"] == 0
    assert report["measures"] == ["Extra training bejegening"]
    assert report["summary_sentences"] == [
        "In het eerste halfjaar van 2026 zijn 6 klachten over Zorg Plus geregistreerd.",
        "De meeste klachten gingen over bejegening (6).",
        "6 klachten zijn (gedeeltelijk) gegrond verklaard.",
        "Van de afgehandelde klachten is 100% binnen de termijn afgehandeld (6 van 6).",
        "De zorgaanbieder heeft 1 maatregel gemeld.",
    ]


def test_half_year_boundaries_and_other_providers(fact: MakeFact) -> None:
    facts = [
        about(fact, date(2026, 6, 30)),  # last day of H1
        about(fact, date(2026, 7, 1), term="open"),  # first day of H2
        about(fact, date(2026, 12, 31), term="late", outcome=Outcome.partly_upheld,
              resolution=Resolution.formal),
        about(fact, date(2026, 12, 31)),
        about(fact, date(2027, 1, 1)),  # next year
        about(fact, date(2026, 8, 1), provider="Ander Zorg"),
        # Escalated to the municipality (second line): still about Zorg Plus.
        about(fact, date(2026, 9, 1), handler=Handler.municipality, unit="Werk", category=Category.policy),
    ]  # fmt: skip
    first = provider_report(facts, "Zorg Plus", 2026, 1)
    second = provider_report(facts, "Zorg Plus", 2026, 2, measures=["Werkinstructie aangepast"])
    assert first["total"] == 1
    assert second["total"] == 4
    assert second["by_handler"] == {"municipality": 1, "provider": 3}
    assert second["within_term"] == {"within": 2, "late": 1, "open": 1}
    assert second["open"] == 1
    assert second["measures"] == ["Werkinstructie aangepast"]
    assert "1 klacht is nog in behandeling." in second["summary_sentences"]
    assert "1 klacht is (gedeeltelijk) gegrond verklaard." in second["summary_sentences"]


def test_empty_half_and_bad_half(fact: MakeFact) -> None:
    report = provider_report([], "Zorg Plus", 2026, 2)
    assert report["total"] == 0
    assert report["measures"] == []
    assert report["summary_sentences"] == [
        "In het tweede halfjaar van 2026 zijn geen klachten over Zorg Plus geregistreerd."
    ]
    with pytest.raises(ValueError, match="half must be 1 or 2"):
        provider_report([], "Zorg Plus", 2026, 3)


def test_mediated_overview(register: list[CaseFacts], fact: MakeFact) -> None:
    extra = [
        about(fact, date(2026, 10, 1), provider="Ander Zorg", mediated_with_partner=True, term="open"),
        about(fact, date(2025, 10, 1), mediated_with_partner=True),  # other year
    ]
    overview = mediated_overview(register + extra, 2026)
    assert overview["total"] == 7
    assert overview["by_provider"] == {"Ander Zorg": 1, "Zorg Plus": 6}
    assert overview["by_outcome"]["upheld"] == 6
    assert overview["within_term"] == {"within": 6, "late": 0, "open": 1}
    assert overview["summary_sentences"][0] == (
        "In 2026 zijn 7 klachten samen met 2 zorgaanbieders informeel opgepakt."
    )
    assert mediated_overview([], 2026)["summary_sentences"] == [
        "In 2026 zijn geen klachten samen met een zorgaanbieder opgepakt."
    ]
