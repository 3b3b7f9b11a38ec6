"""Trend signals: clear rises per category and unit, repeated breaches per provider."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import pytest

from klachtstroom.contracts.vocabulary import Category, Handler, Kind
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals.trends import (
    TrendRules,
    TrendSignal,
    detect_trends,
    is_rise,
    window_index,
)

MakeFact = Callable[..., CaseFacts]
AS_OF = date(2026, 9, 30)


def history(fact: MakeFact, per_window: Sequence[int], **fields: object) -> list[CaseFacts]:
    """Complaints with `per_window[i]` in window i (0 = the last 30 days up to AS_OF)."""
    facts = []
    for index, n in enumerate(per_window):
        for k in range(n):
            facts.append(fact(AS_OF - timedelta(days=30 * index + k % 30), **fields))
    return facts


def test_windows() -> None:
    assert window_index(AS_OF, AS_OF) == 0
    assert window_index(AS_OF - timedelta(days=29), AS_OF) == 0
    assert window_index(AS_OF - timedelta(days=30), AS_OF) == 1
    assert window_index(AS_OF - timedelta(days=209), AS_OF) == 6
    assert window_index(AS_OF - timedelta(days=210), AS_OF) is None
    assert window_index(AS_OF + timedelta(days=1), AS_OF) is None


@pytest.mark.parametrize(
    ("observed", "past", "expected"),
    [
        (7, [2] * 6, True),  # flat history 2: floor 2*2+2 = 6
        (6, [2] * 6, False),
        (3, [0] * 6, True),  # something new: three complaints
        (2, [0] * 6, False),  # one or two never make a trend
        (10, [1, 5, 1, 5, 1, 5], True),  # mean 3, sd 2: 3 + 3*2 = 9
        (9, [1, 5, 1, 5, 1, 5], False),
        (20, [10, 11, 9, 10, 10, 10], False),  # floor 2*10+2 = 22
        (23, [10, 11, 9, 10, 10, 10], True),
    ],
)
def test_rise_rule(observed: int, past: list[int], expected: bool) -> None:
    assert is_rise(observed, past) is expected


def test_category_rise(fact: MakeFact) -> None:
    facts = history(fact, [7, 2, 2, 2, 2, 2, 2], category=Category.conduct, unit=None)
    facts += history(fact, [6, 2, 2, 2, 2, 2, 2], category=Category.policy, unit=None)
    # Objections are not complaints and do not make a trend.
    facts += history(fact, [9], kind=Kind.objection, category=Category.information, unit=None)
    assert detect_trends(facts, AS_OF) == [
        TrendSignal(
            "category_rise", "conduct", 7, 2.0,
            "Meer klachten over bejegening: 7 in de afgelopen 30 dagen, tegen gemiddeld 2,0 per "
            "30 dagen in het halfjaar daarvoor.",
        )
    ]  # fmt: skip


def test_the_catch_all_category_never_signals_a_rise_by_default(fact: MakeFact) -> None:
    facts = history(fact, [3, 0, 0, 0, 0, 0, 0], category=Category.other, unit=None)
    assert detect_trends(facts, AS_OF) == []  # 3 against 0 in "overig": nothing to act on
    counted = detect_trends(facts, AS_OF, TrendRules(ignored_categories=frozenset()))
    assert [(s.kind, s.key, s.observed) for s in counted] == [("category_rise", "other", 3)]


def test_the_minimum_count_is_a_setting(fact: MakeFact, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = history(fact, [4, 0, 0, 0, 0, 0, 0], category=Category.conduct, unit=None)
    assert [s.observed for s in detect_trends(facts, AS_OF)] == [4]
    monkeypatch.setenv("KLACHTSTROOM_REPORTING_TREND_MIN_COUNT", "5")
    monkeypatch.setenv("KLACHTSTROOM_REPORTING_TREND_IGNORED_CATEGORIES", "other, policy")
    rules = ReportingSettings().trend_rules
    assert rules == TrendRules(min_observed=5, ignored_categories=frozenset({"other", "policy"}))
    assert detect_trends(facts, AS_OF, rules) == []
    assert is_rise(5, [0] * 6, min_observed=5) and not is_rise(4, [0] * 6, min_observed=5)


def test_unit_rise(fact: MakeFact) -> None:
    categories = list(Category)
    facts = [
        fact(AS_OF - timedelta(days=i), unit="Schuldhulpverlening", category=categories[i % 7])
        for i in range(4)
    ]
    signals = detect_trends(facts, AS_OF)
    assert [(s.kind, s.key, s.observed, s.expected) for s in signals] == [
        ("unit_rise", "Schuldhulpverlening", 4, 0.0)
    ]
    assert signals[0].summary.startswith("Meer klachten bij Schuldhulpverlening: 4 in de afgelopen 30 dagen")


def test_provider_breaches(fact: MakeFact) -> None:
    def provider_case(due: date, resolved_on: date | None, **fields: object) -> CaseFacts:
        values: dict[str, object] = {
            "unit": None, "provider": "Zorg Plus", "handler": Handler.provider,
            "decision_due": due, "resolved_on": resolved_on,
            "state": "resolved" if resolved_on else "formal",
        }  # fmt: skip
        values.update(fields)
        return fact(due - timedelta(weeks=6), **values)

    facts = [
        provider_case(date(2026, 9, 1), date(2026, 9, 10)),  # breached 2 Sep
        provider_case(date(2026, 9, 20), None),  # still open, breached 21 Sep
        provider_case(date(2026, 9, 25), date(2026, 9, 25)),  # decided on the due date
        provider_case(date(2026, 7, 1), None),  # breached 2 Jul: 91 days before AS_OF
        provider_case(date(2026, 9, 30), None),  # breached only tomorrow
        # Handled by the municipality: its own breach, not the provider's.
        provider_case(date(2026, 9, 5), None, handler=Handler.municipality, provider="Ander Zorg"),
        provider_case(date(2026, 9, 6), None, handler=Handler.municipality, provider="Ander Zorg"),
        provider_case(date(2026, 9, 6), None, provider="Eenmaal Zorg"),  # only one breach
    ]
    signals = [s for s in detect_trends(facts, AS_OF) if s.kind == "provider_breaches"]
    assert signals == [
        TrendSignal(
            "provider_breaches", "Zorg Plus", 2, 0.0,
            "Zorg Plus heeft in de afgelopen 90 dagen 2 keer de beslistermijn voor een klacht overschreden.",
        )
    ]  # fmt: skip
    # 2 July falls in the 90 days ending 29 September.
    assert detect_trends(facts, AS_OF - timedelta(days=1))[-1].observed == 3


def test_deterministic_in_any_order(register: list[CaseFacts], fact: MakeFact) -> None:
    facts = register + history(fact, [8, 1, 1, 1, 1, 1, 1], category=Category.referral, unit="Werk")
    expected = detect_trends(facts, AS_OF)
    assert [s.kind for s in expected] == ["category_rise", "unit_rise"]
    shuffled = list(facts)
    random.Random(7).shuffle(shuffled)
    assert detect_trends(shuffled, AS_OF) == expected


def test_cases_received_after_as_of_are_unknown(fact: MakeFact) -> None:
    facts = history(fact, [0] * 7) + [fact(AS_OF + timedelta(days=1)) for _ in range(5)]
    assert detect_trends(facts, AS_OF) == []
