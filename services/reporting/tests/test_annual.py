"""The annual report: every table of the hand-counted register of conftest.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.reporting.reports.annual import annual_report
from klachtstroom.reporting.reports.facts import CaseFacts

MakeFact = Callable[..., CaseFacts]

DESIGN_KEYS = {
    "year", "total", "by_channel", "by_kind", "by_category", "by_unit", "by_municipality",
    "by_outcome", "by_resolution", "by_handler", "within_term", "ombudsman",
    "acknowledged_within_5_working_days", "satisfaction", "measures",
}  # fmt: skip
ZERO_CATEGORIES = dict.fromkeys([c.value for c in Category], 0)


def test_has_every_design_key_and_is_json(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026)
    assert set(report) >= DESIGN_KEYS
    assert set(report) - DESIGN_KEYS == {
        "municipality", "as_of", "comparison", "summary_sentences", "satisfaction_by", "upheld_by_norm",
        "measures_list",
    }  # fmt: skip
    assert set(report["satisfaction"]) == {"responses", "average_score", "heard_share"}
    assert report["measures"] == {"planned": 0, "in_progress": 0, "done": 0}
    assert set(report["by_resolution"]) == {"informal", "formal"}
    assert set(report["by_handler"]) == {"municipality", "provider"}
    assert set(report["within_term"]) == {"within", "late", "open"}
    assert set(report["acknowledged_within_5_working_days"]) == {"within", "late"}
    assert json.loads(json.dumps(report)) == report


def test_counts_by_received_year(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026)
    assert report["total"] == 47
    assert report["by_channel"] == {"web_form": 11, "email": 10, "phone": 19, "letter": 5, "in_person": 2}
    assert report["by_kind"] == {"complaint": 45, "objection": 1, "question": 1}
    assert report["by_category"] == {
        "conduct": 18, "information": 8, "handling_time": 7, "policy": 4,
        "referral": 5, "proactive": 1, "other": 4,
    }  # fmt: skip
    assert report["by_handler"] == {"municipality": 41, "provider": 6}


def test_by_unit_lists_every_category_and_unknown_last(register: list[CaseFacts]) -> None:
    by_unit = annual_report(register, 2026)["by_unit"]
    assert list(by_unit) == ["Inkomen", "Schuldhulpverlening", "Werk", "unknown"]
    assert by_unit["Inkomen"] == {**ZERO_CATEGORIES, "conduct": 12, "policy": 4, "other": 2}
    assert by_unit["Werk"] == {**ZERO_CATEGORIES, "information": 8, "other": 2, "referral": 5, "proactive": 1}
    assert by_unit["Schuldhulpverlening"] == {**ZERO_CATEGORIES, "handling_time": 7}
    assert by_unit["unknown"] == {**ZERO_CATEGORIES, "conduct": 6}
    assert sum(sum(row.values()) for row in by_unit.values()) == 47


def test_by_municipality_four_years_with_zeros(register: list[CaseFacts]) -> None:
    by_municipality = annual_report(register, 2026)["by_municipality"]
    # 2022 ("Verleden") is outside the four years and does not appear.
    assert by_municipality == {
        "Buurdorp": {"2023": 0, "2024": 0, "2025": 10, "2026": 9},
        "Oudgemeente": {"2023": 2, "2024": 0, "2025": 0, "2026": 0},
        "Voorbeeldstad": {"2023": 0, "2024": 3, "2025": 30, "2026": 38},
    }


def test_outcome_resolution_terms_ombudsman_contact(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026)
    assert report["by_outcome"] == {
        "upheld": 12, "partly_upheld": 2, "not_upheld": 7, "mutual_agreement": 12,
        "withdrawn": 2, "inadmissible": 4, "no_judgement": 1,
    }  # fmt: skip
    assert report["by_resolution"] == {"informal": 19, "formal": 15}
    assert report["within_term"] == {"within": 38, "late": 2, "open": 7}
    assert report["ombudsman"] == 3
    # 39 in time (6 of them withdrawn-by-decision), 4 late (2 late, 1 never, 1 on 1 Jan),
    # 2 still pending on 31 December, 2 without a contact term.
    assert report["acknowledged_within_5_working_days"] == {"within": 39, "late": 4}


def test_comparison_with_previous_year(register: list[CaseFacts]) -> None:
    comparison = annual_report(register, 2026)["comparison"]
    assert comparison["year"] == 2025
    assert comparison["total"] == 40
    assert comparison["by_category"] == {
        **ZERO_CATEGORIES, "conduct": 15, "information": 10, "handling_time": 10, "policy": 5,
    }  # fmt: skip
    assert comparison["by_channel"] == {"web_form": 10, "email": 10, "phone": 15, "letter": 5, "in_person": 0}


def test_summary_sentences(register: list[CaseFacts]) -> None:
    assert annual_report(register, 2026)["summary_sentences"] == [
        "In 2026 zijn 47 meldingen geregistreerd, waarvan 45 klachten; de andere 2 waren een "
        "bezwaar of een vraag.",
        "Het aantal meldingen steeg van 40 naar 47.",
        "De meeste klachten gingen over bejegening (18).",
        "19 klachten zijn informeel opgelost en 15 formeel behandeld.",
        "Van de afgehandelde klachten is 95% binnen de termijn afgehandeld (38 van 40).",
        "7 klachten zijn nog in behandeling.",
        "Bij 91% van de klachten was er binnen 5 werkdagen persoonlijk contact met de klager.",
        "Van de klachten uit 2026 zijn er 3 voorgelegd aan de ombudsman.",
    ]


def test_previous_year_report_and_year_boundaries(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2025)
    assert report["total"] == 40  # includes 31 Dec 2025, excludes 1 Jan 2026
    assert report["by_municipality"]["Voorbeeldstad"] == {"2022": 0, "2023": 0, "2024": 3, "2025": 30}
    assert report["by_municipality"]["Verleden"] == {"2022": 5, "2023": 0, "2024": 0, "2025": 0}
    assert report["summary_sentences"][:2] == [
        "In 2025 zijn 40 klachten geregistreerd.",
        "Het aantal klachten steeg van 3 naar 40.",
    ]


def test_municipality_filter(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026, municipality="Buurdorp")
    assert report["total"] == 9
    assert report["municipality"] == "Buurdorp"
    assert report["by_municipality"] == {"Buurdorp": {"2023": 0, "2024": 0, "2025": 10, "2026": 9}}
    assert report["by_category"]["handling_time"] == 7
    assert report["by_outcome"]["withdrawn"] == 2
    assert report["ombudsman"] == 3
    assert report["comparison"]["total"] == 10


def test_filter_on_municipality_without_registrations_still_lists_it(register: list[CaseFacts]) -> None:
    report = annual_report(register, 2026, municipality="Nergenshuizen")
    assert report["total"] == 0
    assert report["by_municipality"] == {"Nergenshuizen": {"2023": 0, "2024": 0, "2025": 0, "2026": 0}}


def test_empty_year_gives_zeros() -> None:
    report = annual_report([], 2030)
    assert report["total"] == 0
    assert set(report["by_channel"].values()) == {0}
    assert report["by_channel"].keys() == {c.value for c in Channel}
    assert report["by_kind"].keys() == {k.value for k in Kind}
    assert report["by_outcome"].keys() == {o.value for o in Outcome}
    assert report["by_resolution"] == {"informal": 0, "formal": 0}
    assert report["by_handler"] == {"municipality": 0, "provider": 0}
    assert report["by_unit"] == {}
    assert report["by_municipality"] == {}
    assert report["within_term"] == {"within": 0, "late": 0, "open": 0}
    assert report["acknowledged_within_5_working_days"] == {"within": 0, "late": 0}
    assert report["ombudsman"] == 0
    assert report["summary_sentences"] == ["In 2030 zijn geen klachten geregistreerd."]


def test_extended_term_is_judged_against_the_final_due_date(fact: MakeFact) -> None:
    received = date(2026, 3, 3)
    original_due = date(2026, 4, 14)  # 6 weeks (DOMAIN example)
    extended_due = original_due + timedelta(weeks=4)  # Awb 9:11 lid 2
    facts = [
        fact(received, resolved_on=original_due + timedelta(days=10), decision_due=extended_due),
        fact(received, resolved_on=extended_due, decision_due=extended_due),  # on the day: in time
        fact(received, resolved_on=extended_due + timedelta(days=1), decision_due=extended_due),
    ]
    assert annual_report(facts, 2026)["within_term"] == {"within": 2, "late": 1, "open": 0}


def test_open_case_past_its_due_date_is_open_not_late(fact: MakeFact) -> None:
    facts = [fact(date(2026, 1, 5), term="open", state=s) for s in ("suspended", "informal", "assigned")]
    assert annual_report(facts, 2026)["within_term"] == {"within": 0, "late": 0, "open": 3}


def test_reopened_case_has_no_outcome_yet(fact: MakeFact) -> None:
    reopened = fact(date(2026, 2, 2), state="formal", resolution=Resolution.informal, outcome=Outcome.upheld)
    report = annual_report([reopened], 2026)
    assert sum(report["by_outcome"].values()) == 0
    assert report["by_resolution"] == {"informal": 0, "formal": 0}
    assert report["within_term"]["open"] == 1


def test_closed_case_without_due_date_counts_as_within(fact: MakeFact) -> None:
    report = annual_report([fact(date(2026, 5, 5), decision_due=None)], 2026)
    assert report["within_term"] == {"within": 1, "late": 0, "open": 0}


def test_as_of_decides_when_a_missing_acknowledgement_is_late(fact: MakeFact) -> None:
    facts = [fact(date(2026, 12, 20), term="open", ack="none")]  # contact due 27 December
    assert annual_report(facts, 2026)["acknowledged_within_5_working_days"] == {"within": 0, "late": 1}
    pending = annual_report(facts, 2026, as_of=date(2026, 12, 27))
    assert pending["acknowledged_within_5_working_days"] == {"within": 0, "late": 0}
    assert pending["as_of"] == "2026-12-27"


def test_singular_sentences(fact: MakeFact) -> None:
    facts = [
        fact(date(2026, 4, 1), state="ombudsman", ombudsman=True, resolution=Resolution.formal,
             outcome=Outcome.not_upheld, handler=Handler.municipality),
    ]  # fmt: skip
    assert annual_report(facts, 2026)["summary_sentences"] == [
        "In 2026 is 1 klacht geregistreerd.",
        "De meeste klachten gingen over bejegening (1).",
        "0 klachten zijn informeel opgelost en 1 formeel behandeld.",
        "Van de afgehandelde klachten is 100% binnen de termijn afgehandeld (1 van 1).",
        "Bij 100% van de klachten was er binnen 5 werkdagen persoonlijk contact met de klager.",
        "Van de klachten uit 2026 is er 1 voorgelegd aan de ombudsman.",
    ]


def test_tied_categories_are_named_together(fact: MakeFact) -> None:
    facts = [fact(date(2026, 4, 1), category=c) for c in (Category.policy, Category.other)]
    sentences = annual_report(facts, 2026)["summary_sentences"]
    assert "De meeste klachten gingen over beleid en overige onderwerpen (elk 1)." in sentences


def test_falling_count_sentence(register: list[CaseFacts]) -> None:
    only_2025 = [f for f in register if f.received_on.year != 2026]
    report = annual_report(only_2025 + register[:10], 2026)
    assert "Het aantal klachten daalde van 40 naar 10." in report["summary_sentences"]


def test_same_input_in_any_order_gives_the_same_report(register: list[CaseFacts]) -> None:
    assert annual_report(list(reversed(register)), 2026) == annual_report(register, 2026)
    assert annual_report(iter(register), 2026) == annual_report(register, 2026)


def test_a_complaint_naming_a_provider_counts_as_provider_registered_or_not(fact: MakeFact) -> None:
    """DESIGN `by_handler`: what the complaint is about; an unregistered provider still counts."""
    received = date(2026, 3, 3)
    facts = [
        fact(received, provider="Zorg Plus", handler=Handler.provider),
        fact(received, provider="Onbekend Zorghuis", handler=Handler.municipality),  # not registered
        fact(received),
    ]
    report = annual_report(facts, 2026)
    assert report["by_handler"] == {"municipality": 1, "provider": 2}
