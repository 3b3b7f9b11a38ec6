"""Duplicate detection: the same resident about the same matter, through another channel.

Only ever a suggestion (`duplicate_suspected`); merging is a person's decision.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(days=30)
THRESHOLD = 0.5

_STOPWORDS = frozenset(
    (  # noqa: SIM905 - a word list reads best as text
        "de het een en van in op te dat die is ik niet met voor aan er maar om zijn was ook als bij "
        "mijn me mij heb heeft hebben wordt werd nog al dan of wat naar uit over zo u jullie we wij "
        "ze zij hij haar hun je jij nu geen meer kan kunnen moet wil zou zal omdat want door tot "
        "dit deze"
    ).split()
)


@dataclass(frozen=True)
class Candidate:
    complaint_id: str
    received_at: datetime
    text: str
    same_person: list[str]  # which identifiers matched: "bsn", "email", "phone", "name"
    unit: str | None
    category: str


@dataclass(frozen=True)
class Suspicion:
    duplicate_of: str
    score: float
    reasons: list[str]


def tokens(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return {w[:7] for w in re.findall(r"[a-z]{3,}", plain) if w not in _STOPWORDS}


def similarity(a: str, b: str) -> float:
    return _overlap(tokens(a), tokens(b))


def _overlap(ta: set[str], tb: set[str]) -> float:
    if not ta or not tb:
        return 0.0
    # Overlap coefficient: a short phone note inside a long form text still matches.
    return len(ta & tb) / min(len(ta), len(tb))


def _score(text_score: float, same_person: float, same_unit: bool, same_category: bool) -> float:
    score = 0.6 * text_score + same_person
    if same_unit:
        score += 0.1
    if same_category:
        score += 0.05
    return score


def suspect_duplicate(
    text: str, received_at: datetime, unit: str | None, category: str, candidates: list[Candidate]
) -> Suspicion | None:
    """The best earlier complaint of the same person about the same matter, if any."""
    best: Suspicion | None = None
    words: set[str] | None = None  # the new text's, once for all candidates
    for c in candidates:
        if not c.same_person or abs(received_at - c.received_at) > WINDOW:
            continue
        same_person = 0.25 * min(1.0, len(c.same_person) / 2)
        same_unit = bool(unit and c.unit and unit.lower() == c.unit.lower())
        same_category = category == c.category
        if best is not None and _score(1.0, same_person, same_unit, same_category) <= best.score:
            continue  # not even the same text would beat the best: no need to compare the texts
        if words is None:
            words = tokens(text)
        text_score = _overlap(words, tokens(c.text))
        score = _score(text_score, same_person, same_unit, same_category)
        reasons = [f"Zelfde indiener ({', '.join(sorted(c.same_person))})"]
        if same_unit:
            reasons.append(f"zelfde afdeling ({unit})")
        if same_category:
            reasons.append("zelfde categorie")
        reasons.append(f"{round(text_score * 100)}% overeenkomst in de tekst")
        days = abs((received_at - c.received_at).days)
        reasons.append(f"{days} dag(en) na elkaar binnengekomen")
        if score >= THRESHOLD and (best is None or score > best.score):
            best = Suspicion(c.complaint_id, round(min(score, 1.0), 3), reasons)
    return best
