"""Trend signals for the college: a clear rise in a category or unit, or a provider that keeps
missing its decision term (DOMAIN.md, step 9: trends matter more than counts).

Rise rule (category and unit). Complaints (kind `complaint` only: objections and questions say
nothing about our conduct) are counted in 30-day windows ending on `as_of`: window 0 is
`(as_of - 30 days, as_of]`, windows 1..6 the six before it (half a year of history). A key
signals when, in window 0, it has

1. at least `min_observed` complaints (default 3, `KLACHTSTROOM_REPORTING_TREND_MIN_COUNT`: one or
   two never make a trend), and
2. more than mean + 3 × standard deviation of its six earlier windows (its own history,
   so a large unit is not flagged for being large), and
3. more than 2 × mean + 2, a Poisson-style floor: with a flat history the standard deviation
   is 0 and rule 2 alone would flag 2 -> 3. For a Poisson count with mean 5, 13 or more has
   a chance of about 0.2%.

The catch-all category `other` (overig) is left out of the category rule by default
(`KLACHTSTROOM_REPORTING_TREND_IGNORED_CATEGORIES`): a rise in "everything else" says nothing the
college can act on, and a few misfiled complaints would make one.

Breach rule (providers). A decision term is breached on the day after its final due date when
the case was not decided by then. A provider that handled (`handler == provider`) cases with
at least 2 breaches falling in the 90 days ending on `as_of` signals.

Everything is computed with exact integer arithmetic and sorted output: the same facts and
`as_of` always give the same signals in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

from klachtstroom.contracts.vocabulary import Handler, Kind, dutch
from klachtstroom.reporting.reports.facts import CaseFacts

TrendKind = Literal["category_rise", "unit_rise", "provider_breaches"]

WINDOW_DAYS = 30
HISTORY_WINDOWS = 6
MIN_OBSERVED = 3
SIGMAS = 3
BREACH_DAYS = 90
MIN_BREACHES = 2


@dataclass(frozen=True, slots=True)
class TrendRules:
    """The settings of the rise rule."""

    min_observed: int = MIN_OBSERVED
    ignored_categories: frozenset[str] = frozenset({"other"})


@dataclass(frozen=True, slots=True)
class TrendSignal:
    kind: TrendKind
    key: str  # category value, unit name or provider name
    observed: int  # complaints in the last 30 days, or breaches in the last 90 days
    expected: float  # mean per 30 days over the history; 0.0 for breaches (none is normal)
    summary: str  # Dutch, for the college


def detect_trends(
    facts: Iterable[CaseFacts], as_of: date, rules: TrendRules | None = None
) -> list[TrendSignal]:
    """All signals as of `as_of`: category rises, unit rises, then provider breaches."""
    rules = rules or TrendRules()
    chosen = tuple(facts)
    complaints = [f for f in chosen if f.kind == Kind.complaint]

    def category(fact: CaseFacts) -> str | None:
        return None if fact.category.value in rules.ignored_categories else fact.category.value

    signals = _rises(complaints, as_of, "category_rise", category, rules.min_observed)
    signals += _rises(complaints, as_of, "unit_rise", lambda f: f.unit, rules.min_observed)
    signals += _provider_breaches(chosen, as_of)
    return signals


def window_index(received_on: date, as_of: date) -> int | None:
    """0 for the last 30 days up to and including `as_of`, 1..6 for the windows before."""
    age = (as_of - received_on).days
    if age < 0:
        return None  # received after as_of: not known yet at that date
    index = age // WINDOW_DAYS
    return index if index <= HISTORY_WINDOWS else None


def is_rise(observed: int, history: Sequence[int], min_observed: int = MIN_OBSERVED) -> bool:
    """The rise rule of the module docstring, in exact arithmetic."""
    n = len(history)
    mean = Fraction(sum(history), n)
    variance = sum((Fraction(h) - mean) ** 2 for h in history) / n
    excess = observed - mean
    above_spread = excess > 0 and excess * excess > SIGMAS * SIGMAS * variance
    return observed >= min_observed and above_spread and observed > 2 * mean + 2


def _rises(
    facts: Sequence[CaseFacts],
    as_of: date,
    kind: TrendKind,
    key_of: Callable[[CaseFacts], str | None],
    min_observed: int = MIN_OBSERVED,
) -> list[TrendSignal]:
    windows: dict[str, list[int]] = {}
    for fact in facts:
        key = key_of(fact)
        index = window_index(fact.received_on, as_of)
        if key is None or index is None:
            continue
        windows.setdefault(key, [0] * (HISTORY_WINDOWS + 1))[index] += 1
    signals = []
    for key in sorted(windows):
        observed, history = windows[key][0], windows[key][1:]
        if is_rise(observed, history, min_observed):
            mean = Fraction(sum(history), len(history))
            signals.append(
                TrendSignal(
                    kind, key, observed, round(float(mean), 2), _rise_summary(kind, key, observed, mean)
                )
            )
    return signals


def _rise_summary(kind: TrendKind, key: str, observed: int, mean: Fraction) -> str:
    subject = f"over {dutch(key).lower()}" if kind == "category_rise" else f"bij {key}"
    average = f"{float(mean):.1f}".replace(".", ",")
    return (
        f"Meer klachten {subject}: {observed} in de afgelopen {WINDOW_DAYS} dagen, tegen "
        f"gemiddeld {average} per {WINDOW_DAYS} dagen in het halfjaar daarvoor."
    )


def breach_day(fact: CaseFacts) -> date | None:
    """The day the decision term was breached, or None if it was not (or not yet known)."""
    if fact.decision_due is None:
        return None
    if fact.resolved_on is not None and fact.resolved_on <= fact.decision_due:
        return None
    if fact.resolved_on is None and fact.is_closed:
        return None  # closed without a decision date: no proof of a breach (see reports/facts.py)
    return fact.decision_due + timedelta(days=1)


def _provider_breaches(facts: Sequence[CaseFacts], as_of: date) -> list[TrendSignal]:
    first_day = as_of - timedelta(days=BREACH_DAYS - 1)
    breaches: dict[str, int] = {}
    for fact in facts:
        if fact.handler != Handler.provider or fact.provider is None:
            continue
        day = breach_day(fact)
        if day is not None and first_day <= day <= as_of:
            breaches[fact.provider] = breaches.get(fact.provider, 0) + 1
    return [
        TrendSignal(
            "provider_breaches",
            provider,
            count,
            0.0,
            f"{provider} heeft in de afgelopen {BREACH_DAYS} dagen {count} keer de "
            "beslistermijn voor een klacht overschreden.",
        )
        for provider, count in sorted(breaches.items())
        if count >= MIN_BREACHES
    ]
