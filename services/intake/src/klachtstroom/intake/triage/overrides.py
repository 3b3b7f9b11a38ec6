"""Corrections by people, remembered in a bounded and auditable way.

A coordinator who corrects the triage of a complaint teaches two things: right away, a text
that is nearly the same gets the same correction (nearest neighbour, with the share of words in
common in the reason); at the next retraining (``klachtstroom-intake retrain-triage``), the
correction joins the labelled sets with a bounded weight. Every correction keeps who made it
and when, and can be undone; an undone correction is forgotten by both. The memory holds at
most ``LIMIT`` corrections (the newest), and one per complaint (the latest).

Pure and in memory; the caller persists corrections (table ``triage_overrides``). The texts may
hold personal data: they stay in memory and in intake's database, never in logs.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from klachtstroom.contracts.vocabulary import Category, Kind, dutch
from klachtstroom.intake.triage.model import CHECK_BELOW, TriageResult
from klachtstroom.intake.triage.rules import MAX_CHARS, canonical, content_tokens, normalise

__all__ = ["Correction", "OverrideMemory"]


@dataclass(frozen=True)
class Correction:
    """Who taught what, when: one accepted correction of one complaint's triage."""

    id: int
    complaint_id: str
    text: str
    kind: Kind
    category: Category
    urgent: bool
    actor: str
    at: datetime


class OverrideMemory:
    LIMIT = 500  # corrections kept in memory and used in retraining: the newest
    NEAREST_MIN = 0.5  # share of meaningful words in common (Jaccard) to copy a correction
    NOT_URGENT_MIN = 0.8  # only a near-identical text may lift urgency: safety first

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._items: OrderedDict[int, tuple[Correction, frozenset[str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, correction: Correction) -> None:
        """Remember a correction; an earlier one of the same complaint is replaced."""
        for known in [i for i, (c, _) in self._items.items() if c.complaint_id == correction.complaint_id]:
            del self._items[known]
        words = content_tokens(
            [canonical(w) for w in normalise(correction.text[:MAX_CHARS]) if w[0].isalnum()]
        )
        self._items[correction.id] = (correction, words)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def undo(self, correction_id: int) -> bool:
        """Forget a correction; True when it was remembered."""
        return self._items.pop(correction_id, None) is not None

    def corrections(self) -> list[Correction]:
        """The remembered corrections, oldest first (what retraining learns from)."""
        return [c for c, _ in self._items.values()]

    def nearest(self, tokens: frozenset[str]) -> tuple[Correction, float] | None:
        best: tuple[Correction, float] | None = None
        for item, words in self._items.values():
            union = tokens | words
            similarity = len(tokens & words) / len(union) if union else 0.0
            if best is None or similarity >= best[1]:  # the newest correction wins a tie
                best = (item, similarity)
        return best

    def apply(self, text: str, result: TriageResult) -> TriageResult:
        if not self._items:
            return result
        tokens = content_tokens([canonical(w) for w in normalise(text[:MAX_CHARS]) if w[0].isalnum()])
        found = self.nearest(tokens)
        if found is None or found[1] < self.NEAREST_MIN:
            return result
        item, similarity = found
        share = f"{round(similarity * 100)}%"
        urgent, urgent_reasons = result.urgent, list(result.urgent_reasons)
        notes: list[str] = []
        if item.urgent and not urgent:
            urgent = True
            urgent_reasons.append(f"Urgent: een medewerker vond een vergelijkbare tekst ({share}) urgent.")
        elif not item.urgent and urgent and similarity >= self.NOT_URGENT_MIN:
            urgent = False
            notes.append(f"Niet urgent: een medewerker vond een bijna gelijke tekst ({share}) niet urgent.")
        reasons = [
            f"Lijkt op een tekst die een medewerker eerder heeft gecorrigeerd ({share} dezelfde "
            f"woorden): {dutch(item.kind.value)}, {dutch(item.category.value)}.",
            *(r for r in result.reasons if r not in result.urgent_reasons and not r.startswith("Controleer")),
            *notes,
            *(urgent_reasons if urgent else []),
        ]
        confidence = round(max(result.confidence, min(0.99, similarity)), 2)
        return replace(
            result,
            kind=item.kind,
            category=item.category if item.kind is Kind.complaint else Category.other,
            urgent=urgent,
            reasons=reasons,
            urgent_reasons=urgent_reasons if urgent else [],
            confidence=confidence,
            check=confidence < CHECK_BELOW,
        )
