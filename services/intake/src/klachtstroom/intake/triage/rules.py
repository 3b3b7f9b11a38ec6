"""The lexicon's rules, matched on a text: the evidence the learned triage starts from.

Weighted Dutch phrase rules from ``lexicon`` over normalised tokens (accents stripped, light
suffix stripping, typos of edit distance 1 for words of six letters or more), with negation
("niet onbeschoft" does not count). ``evidence`` gives a score per target (a feature of the
model) and the matched phrases (the words a reason may quote).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from klachtstroom.intake.triage import lexicon as lex

__all__ = ["MAX_CHARS", "TARGETS", "Evidence", "canonical", "content_tokens", "evidence", "fold", "normalise"]

MAX_CHARS = 20_000  # longer texts: the opening says what the complaint is about
BOUNDARY = "."
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.,;:!?()\n]")
TARGETS: tuple[str, ...] = (*lex.RULES, "urgent:elderly")


# ---------------------------------------------------------------- normalising and stemming


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A light Dutch stemmer: the same word in plural, inflected or misspelt-final form meets."""
    w = word
    for suffix, repl in (("heden", "heid"), ("ingen", "ing"), ("tjes", ""), ("tje", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    else:
        plural_s = w.endswith("s") and len(w) >= 6 and w[-2] not in "aeiousj"  # regels, not niets/huis
        if w.endswith("ies") and len(w) >= 6:
            w = w[:-1]  # fracties -> fractie
        elif w.endswith("en") and len(w) >= 5:
            w = w[:-2]
        elif plural_s or (w.endswith("e") and len(w) >= 4 and w[-2] not in "aeiou"):
            w = w[:-1]
    if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # klachtenn/bewijsstukk -> undouble
    if len(w) >= 4 and w[-1] not in "aeiou" and w[-2] == w[-3] and w[-2] in "aeou":
        w = w[:-2] + w[-1]  # respectloos/respectloz -> respectlos
    return w[:-1] + {"d": "t", "v": "f", "z": "s"}.get(w[-1], w[-1]) if w else w


def normalise(text: str) -> list[str]:
    """Lowercase, accent-free words, with sentence and clause marks kept as boundaries."""
    return [t if t[0].isalnum() else BOUNDARY for t in _TOKEN_RE.findall(fold(text))]


# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True)
class _Alt:
    mode: str  # exact (stem) | raw | prefix | suffix | contains
    value: str


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: rules are made once
class _Rule:
    target: str
    weight: float
    pattern: str
    anchored: bool
    elements: tuple[tuple[_Alt, ...] | int, ...]  # int = gap of up to N words
    negatable: bool


def _alt(raw: str) -> _Alt:
    value = fold(raw)
    if value.startswith("="):
        return _Alt("raw", value[1:])
    if value.startswith("*") and value.endswith("*") and len(value) > 2:
        return _Alt("contains", value[1:-1])
    if value.endswith("*"):
        return _Alt("prefix", value[:-1])
    if value.startswith("*"):
        return _Alt("suffix", value[1:])
    return _Alt("exact", stem(value))


def _compile(target: str, pattern: str, weight: float) -> list[_Rule]:
    parts = pattern.split()
    anchored = bool(parts) and parts[0] == "^"
    parts = parts[1:] if anchored else parts
    elements: list[tuple[_Alt, ...] | int] = []
    words: list[str] = []
    for part in parts:
        if part.startswith("~"):
            elements.append(int(part[1:]))
            continue
        options = part.split("|")
        words.extend(options)
        elements.append(tuple(_alt(o) for o in options))
    negatable = target in lex.NEGATABLE_TARGETS and not any(w in lex.NEGATORS for w in words)
    return [_Rule(target, weight, pattern, anchored, tuple(elements), negatable)]


RULES: list[_Rule] = [
    r for target, rules in lex.RULES.items() for pattern, w in rules for r in _compile(target, pattern, w)
]
_FIRST_EXACT: dict[str, list[_Rule]] = {}
_FIRST_AFFIX: list[_Rule] = []
for _r in RULES:
    _first = _r.elements[0]
    assert not isinstance(_first, int), _r.pattern
    if all(a.mode == "exact" for a in _first):
        for _a in _first:
            _FIRST_EXACT.setdefault(_a.value, []).append(_r)
    else:
        _FIRST_AFFIX.append(_r)
VOCABULARY: frozenset[str] = frozenset(
    a.value for r in RULES for e in r.elements if not isinstance(e, int) for a in e if a.mode == "exact"
)
_DELETES: dict[str, set[str]] = {}
for _word in VOCABULARY:
    if len(_word) >= 6:
        for _variant in {_word} | {_word[:i] + _word[i + 1 :] for i in range(len(_word))}:
            _DELETES.setdefault(_variant, set()).add(_word)


def _osa_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return (
        a[i + 1 :] == b[i + 1 :]  # substitution
        or a[i + 1 :] == b[i:]  # deletion
        or a[i:] == b[i + 1 :]  # insertion
        or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])  # transposition
    )


@lru_cache(maxsize=50_000)
def canonical(word: str) -> str:
    """The rule word a text word stands for: its stem, or a rule word one typo away."""
    s = stem(word)
    if s in VOCABULARY or len(s) < 6 or s in lex.FUZZY_BLOCKLIST or word in lex.FUZZY_BLOCKLIST:
        return s
    found: set[str] = set()
    for variant in {s} | {s[:i] + s[i + 1 :] for i in range(len(s))}:
        found |= {w for w in _DELETES.get(variant, ()) if _osa_distance_at_most_one(s, w)}
    return min(found, key=lambda w: (abs(len(w) - len(s)), w)) if found else s


# ---------------------------------------------------------------- matching


def _alt_matches(alt: _Alt, word: str, canon: str) -> bool:
    if alt.mode == "exact":
        return canon == alt.value
    if alt.mode == "raw":
        return word == alt.value
    if alt.mode == "prefix":
        return word.startswith(alt.value)
    if alt.mode == "suffix":
        return word.endswith(alt.value)
    return alt.value in word


@lru_cache(maxsize=50_000)
def _candidates(word: str, canon: str) -> tuple[_Rule, ...]:
    """The rules whose first element matches this word: the only ones worth trying here."""
    affix = [r for r in _FIRST_AFFIX if any(_alt_matches(a, word, canon) for a in r.elements[0])]  # type: ignore[union-attr]
    return (*_FIRST_EXACT.get(canon, ()), *affix)


@dataclass(frozen=True)
class _Hit:
    rule: _Rule
    start: int
    end: int
    negated_by: str = ""


class _Text:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.canon = [w if w == BOUNDARY else canonical(w) for w in words]

    def alt_matches(self, alt: _Alt, i: int) -> bool:
        word = self.words[i]
        return word != BOUNDARY and _alt_matches(alt, word, self.canon[i])

    def match_end(self, rule: _Rule, ei: int, ti: int) -> int:
        """End index (exclusive) of the shortest match of elements[ei:] at word ti, or -1."""
        if ei == len(rule.elements):
            return ti
        element = rule.elements[ei]
        if isinstance(element, int):
            for skip in range(element + 1):
                end = self.match_end(rule, ei + 1, ti + skip)
                if end >= 0:
                    return end
            return -1
        if ti < len(self.words) and any(self.alt_matches(a, ti) for a in element):
            return self.match_end(rule, ei + 1, ti + 1)
        return -1

    def negator_before(self, start: int) -> str:
        for i in range(start - 1, max(start - 4, -1), -1):
            word = self.words[i]
            if word == BOUNDARY or word in lex.NEGATION_STOPS:
                return ""
            if word in lex.NEGATORS and self.words[i + 1] != "zo":  # "nooit zo onbeschoft" intensifies
                return word
        return ""

    def hits(self) -> list[_Hit]:
        """Each rule counts once: its first occurrence that is not negated (else a negated one)."""
        found: dict[_Rule, _Hit] = {}
        for i, word in enumerate(self.words):
            if word == BOUNDARY:
                continue
            for rule in _candidates(word, self.canon[i]):
                known = found.get(rule)
                if known is not None and not known.negated_by:
                    continue
                if rule.anchored and i > 0 and self.words[i - 1] != BOUNDARY:
                    continue
                end = self.match_end(rule, 0, i)
                if end < 0:
                    continue
                negator = self.negator_before(i) if rule.negatable else ""
                if known is None or not negator:
                    found[rule] = _Hit(rule, i, end, negator)
        return list(found.values())

    def keyed(self, rule: _Rule, ei: int, ti: int) -> list[int] | None:
        """Positions of the words that matched the rule's own words (not the gaps), or None."""
        if ei == len(rule.elements):
            return []
        element = rule.elements[ei]
        if isinstance(element, int):
            for skip in range(element + 1):
                rest = self.keyed(rule, ei + 1, ti + skip)
                if rest is not None:
                    return rest
            return None
        if ti < len(self.words) and any(self.alt_matches(a, ti) for a in element):
            rest = self.keyed(rule, ei + 1, ti + 1)
            return None if rest is None else [ti, *rest]
        return None

    def span(self, hit: _Hit) -> str:
        """The key words of a match: words in a gap (which may be a name) are left out."""
        positions = self.keyed(hit.rule, 0, hit.start) or []
        parts: list[str] = []
        for n, i in enumerate(positions):
            if n and i != positions[n - 1] + 1:
                parts.append("…")
            parts.append(self.words[i])
        return " ".join(parts)


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Match:
    target: str
    weight: float
    phrase: str  # the matched words, as written (folded): what a reason may quote


@dataclass(frozen=True)
class Evidence:
    scores: dict[str, float]  # net weight per target (see TARGETS)
    matches: list[Match] = field(default_factory=list)  # positive, not negated
    negated: list[tuple[str, str]] = field(default_factory=list)  # (phrase, negator)
    canon: list[str] = field(default_factory=list)  # canonical words, for overrides

    def phrases(self, target: str, limit: int = 3) -> list[str]:
        ranked = sorted((m for m in self.matches if m.target == target), key=lambda m: -m.weight)
        return list(dict.fromkeys(m.phrase for m in ranked))[:limit]


def _elderly_without_care(words: list[str]) -> bool:
    """An age of 75+ ("mw 82 jr", "vader van 90") together with missing care or a fall."""
    plain = ["", *(w for w in words if w != BOUNDARY), ""]  # "moeder (79)" reads as "moeder 79"
    aged = any(
        w.isdigit()
        and len(w) <= 3
        and 75 <= int(w) <= 110
        and (plain[i - 1] in lex.AGE_BEFORE or plain[i + 1] in lex.AGE_AFTER)
        for i, w in enumerate(plain)
    )
    return aged and bool(lex.CARE_WORDS & set(words)) and bool(lex.CARE_LOST & set(words))


def evidence(raw: str) -> Evidence:
    """The lexicon's evidence in a text: scores per target and the phrases that matched."""
    text = _Text(normalise(raw[:MAX_CHARS]))
    scores = dict.fromkeys(TARGETS, 0.0)
    matches: list[Match] = []
    negated: list[tuple[str, str]] = []
    for hit in text.hits():
        if hit.negated_by:
            if hit.rule.weight > 0:
                negated.append((text.span(hit), hit.negated_by))
            continue
        scores[hit.rule.target] += hit.rule.weight
        if hit.rule.weight > 0:
            matches.append(Match(hit.rule.target, hit.rule.weight, text.span(hit)))
    if _elderly_without_care(text.words):
        scores["urgent:elderly"] = 1.0
    return Evidence(scores, matches, negated, [w for w in text.canon if w != BOUNDARY])


def content_tokens(canon: list[str]) -> frozenset[str]:
    """The words that carry meaning, in canonical form, for comparing texts."""
    return frozenset(w for w in canon if len(w) >= 3 and not w.isdigit() and w not in lex.STOPWORDS)
