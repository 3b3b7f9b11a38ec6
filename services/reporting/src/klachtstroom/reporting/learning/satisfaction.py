"""Satisfaction with the handling and upheld complaints per behoorlijkheidsnorm. Pure.

`satisfaction` counts the feedback given on the complaints in the population (DESIGN.md: the
complaints received in the report's year): how many answered, the average mark (1-10) and the
share who felt heard. Per unit, category and provider as well, names as in the other tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from klachtstroom.contracts.vocabulary import Norm, Outcome
from klachtstroom.reporting.reports.facts import UNKNOWN, CaseFacts, effective_outcome

UPHELD = frozenset({Outcome.upheld, Outcome.partly_upheld})


@dataclass(frozen=True, slots=True)
class Answer:
    score: int
    heard: bool


class Satisfaction(TypedDict):
    responses: int
    average_score: float | None
    heard_share: float | None


class SatisfactionBy(TypedDict):
    by_unit: dict[str, Satisfaction]
    by_category: dict[str, Satisfaction]
    by_provider: dict[str, Satisfaction]


def summarise(answers: Sequence[Answer]) -> Satisfaction:
    if not answers:
        return {"responses": 0, "average_score": None, "heard_share": None}
    return {
        "responses": len(answers),
        "average_score": sum(a.score for a in answers) / len(answers),
        "heard_share": sum(1 for a in answers if a.heard) / len(answers),
    }


def satisfaction(facts: Iterable[CaseFacts], answers: Mapping[str, Answer]) -> Satisfaction:
    return summarise([answers[f.id] for f in facts if f.id in answers])


def satisfaction_by(facts: Sequence[CaseFacts], answers: Mapping[str, Answer]) -> SatisfactionBy:
    def grouped(key: str) -> dict[str, Satisfaction]:
        groups: dict[str, list[Answer]] = {}
        for fact in facts:
            if fact.id in answers:
                name = getattr(fact, key) or UNKNOWN
                groups.setdefault(str(name), []).append(answers[fact.id])
        names = sorted(set(groups) - {UNKNOWN}, key=str.casefold) + ([UNKNOWN] if UNKNOWN in groups else [])
        return {name: summarise(groups[name]) for name in names}

    return {
        "by_unit": grouped("unit"),
        "by_category": grouped("category"),
        "by_provider": grouped("provider"),
    }


def upheld_by_norm(facts: Iterable[CaseFacts], norms: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Upheld (or partly upheld) complaints per behoorlijkheidsnorm the judgement named; every
    norm listed, 0 where none. A complaint naming two norms counts under both."""
    counts = {norm.value: 0 for norm in Norm}
    for fact in facts:
        if effective_outcome(fact) in UPHELD:
            for norm in norms.get(fact.id, ()):
                if norm in counts:
                    counts[norm] += 1
    return counts
