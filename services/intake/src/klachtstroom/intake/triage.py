"""Triage of a complaint text: kind, category and urgency, with Dutch reasons for each.

Pure and explainable: weighted phrase rules from ``triage_lexicon`` over normalised Dutch
tokens (accents stripped, light suffix stripping, typos of edit distance 1 for words of six
letters or more), negation ("niet onbeschoft" does not count), and corrections that a person
made earlier (``OverrideMemory``). Triage only proposes; a person may always override it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache

from klachtstroom.contracts.vocabulary import Category, Kind, dutch
from klachtstroom.intake import triage_lexicon as lex

__all__ = ["OverrideMemory", "TriageResult", "normalise", "triage"]

MAX_CHARS = 20_000  # longer texts: the opening says what the complaint is about
BOUNDARY = "."
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.,;:!?()\n]")
_CATEGORIES = [c.value for c in Category]


@dataclass(frozen=True)
class TriageResult:
    kind: Kind
    category: Category
    urgent: bool
    confidence: float  # 0..1
    reasons: list[str] = field(default_factory=list)
    urgent_reasons: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- normalising and stemming


def _fold(text: str) -> str:
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
    return [t if t[0].isalnum() else BOUNDARY for t in _TOKEN_RE.findall(_fold(text))]


# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True)
class _Alt:
    mode: str  # exact (stem) | raw | prefix | suffix | contains
    value: str


@dataclass(frozen=True)
class _Rule:
    target: str
    weight: float
    pattern: str
    anchored: bool
    elements: tuple[tuple[_Alt, ...] | int, ...]  # int = gap of up to N words
    negatable: bool


def _alt(raw: str) -> _Alt:
    value = _fold(raw)
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
        if word == BOUNDARY:
            return False
        if alt.mode == "exact":
            return self.canon[i] == alt.value
        if alt.mode == "raw":
            return word == alt.value
        if alt.mode == "prefix":
            return word.startswith(alt.value)
        if alt.mode == "suffix":
            return word.endswith(alt.value)
        return alt.value in word

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
            for rule in _FIRST_EXACT.get(self.canon[i], []) + _FIRST_AFFIX:
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

    def span(self, hit: _Hit) -> str:
        return " ".join(w for w in self.words[hit.start : hit.end] if w != BOUNDARY)


# ---------------------------------------------------------------- deciding


def _quote(text: _Text, hit: _Hit) -> str:
    phrase = text.span(hit)
    kind = "Woorden" if " " in phrase else "Woord"
    verb = "wijzen" if " " in phrase else "wijst"
    typo = [
        w
        for w, c in zip(text.words[hit.start : hit.end], text.canon[hit.start : hit.end], strict=True)
        if w != BOUNDARY and c != stem(w)
    ]
    note = f' (gelezen als typefout van "{", ".join(typo)}")' if typo else ""
    return f'{kind} "{phrase}"{note} {verb} op {lex.TARGET_LABELS[hit.rule.target]}'


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


def triage(text: str, overrides: OverrideMemory | None = None) -> TriageResult:
    """Propose kind, category and urgency for a complaint text; never raises."""
    try:
        return _triage(text if isinstance(text, str) else str(text or ""), overrides)
    except Exception:
        return TriageResult(
            Kind.complaint,
            Category.other,
            False,
            0.05,
            ["Automatische beoordeling mislukt: een medewerker beoordeelt deze tekst."],
            [],
        )


def _triage(raw: str, overrides: OverrideMemory | None) -> TriageResult:
    reasons: list[str] = []
    if len(raw) > MAX_CHARS:
        reasons.append(f"Alleen de eerste {MAX_CHARS} tekens zijn automatisch beoordeeld.")
    text = _Text(normalise(raw[:MAX_CHARS]))
    if not any(w != BOUNDARY for w in text.words):
        return TriageResult(
            Kind.complaint,
            Category.other,
            False,
            0.05,
            [*reasons, "Geen tekst om te beoordelen: beschouwd als klacht, categorie Overig."],
            [],
        )
    hits = text.hits()
    live = [h for h in hits if not h.negated_by]
    for h in hits:
        if h.negated_by and h.rule.weight > 0:
            reasons.append(f'"{text.span(h)}" telt niet mee: ontkend door "{h.negated_by}"')
    score: dict[str, float] = {}
    best_hits: dict[str, list[_Hit]] = {}
    for h in live:
        score[h.rule.target] = score.get(h.rule.target, 0.0) + h.rule.weight
        best_hits.setdefault(h.rule.target, []).append(h)

    learned: dict[str, float] = {}
    if overrides is not None and len(overrides):
        learned = overrides.category_weights(content_tokens(text.canon))
        for cat, w in learned.items():
            score[cat] = score.get(cat, 0.0) + w

    # Kind: a complaint unless objection or question evidence clearly outweighs complaint evidence.
    cat_total = sum(score.get(c, 0.0) for c in _CATEGORIES if c != "other")
    complaint_score = score.get("complaint", 0.0) + 0.3 * cat_total
    objection = score.get("objection", 0.0)
    question = score.get("question", 0.0) + (1.0 if raw.rstrip().endswith("?") else 0.0)
    proactive = score.get("proactive", 0.0)
    kind = Kind.complaint
    if proactive < 3.0:
        if objection >= 2.5 and objection > complaint_score and objection >= question:
            kind = Kind.objection
        elif question >= 2.5 and question > complaint_score:
            kind = Kind.question
    kind_margin = {
        Kind.objection: objection - complaint_score,
        Kind.question: question - complaint_score,
        Kind.complaint: complaint_score + 1.0 - max(objection, question),
    }[kind]

    if kind is Kind.complaint:
        eligible = {c: score.get(c, 0.0) for c in _CATEGORIES}
        if eligible["proactive"] < 3.0:  # proactive is rare: only on clear staff wording
            eligible["proactive"] = 0.0
        # Clear staff wording decides: a proactive report always describes some failure
        # (a lost callback, a late letter), so the failure's own category must not outvote it.
        top = max(
            _CATEGORIES,
            key=lambda c: (c == "proactive" and eligible[c] > 0, eligible[c], -_CATEGORIES.index(c)),
        )
        category = Category(top) if eligible[top] >= 1.0 else Category.other
        cat_score = eligible[category.value]
        rest = sum(v for c, v in eligible.items() if c != category.value and v > 0)
        cat_conf = cat_score / (cat_score + rest + 1.0) if cat_score > 0 else 0.3
    else:
        category = Category.other
        cat_conf = 0.8

    # Urgency: any ground with net evidence; safety first, so one clear phrase is enough.
    urgent_reasons: list[str] = []
    for target in ("urgent:threat", "urgent:vulnerable", "urgent:impact", "urgent:livelihood"):
        if score.get(target, 0.0) >= 1.0:
            urgent_reasons += [f"Urgent: {_quote(text, h)}" for h in best_hits[target] if h.rule.weight > 0]
    if _elderly_without_care(text.words):
        urgent_reasons.append(
            "Urgent: een oudere zonder zorg of hulp, of gevallen: een kwetsbaar persoon in gevaar"
        )

    for target in ([kind.value] if kind is not Kind.complaint else []) + [category.value]:
        reasons += [
            _quote(text, h)
            for h in sorted(best_hits.get(target, []), key=lambda h: -h.rule.weight)[:4]
            if h.rule.weight > 0
        ]
        if target in learned:
            reasons.append(f"Eerdere correcties door medewerkers wijzen op {dutch(target).lower()}.")
    if kind is not Kind.complaint:
        reasons.append(f"Geen klacht maar {lex.TARGET_LABELS[kind.value]}: verwijzen; categorie Overig.")
    elif category is Category.other and not best_hits.get("other"):
        reasons.append("Geen woorden gevonden die op een vaste categorie wijzen: categorie Overig.")

    confidence = 0.5 * cat_conf + 0.5 * min(1.0, 0.5 + 0.15 * max(kind_margin, 0.0))
    if not live and not learned:
        confidence = 0.2  # nothing recognised: a person should look
    urgent = bool(urgent_reasons)
    result = TriageResult(
        kind,
        category,
        urgent,
        round(max(0.05, min(0.99, confidence)), 2),
        list(dict.fromkeys(reasons)),
        list(dict.fromkeys(urgent_reasons)),
    )
    return overrides.apply(text.canon, result) if overrides is not None and len(overrides) else result


# ---------------------------------------------------------------- learning from people


def content_tokens(canon: list[str]) -> frozenset[str]:
    """The words that carry meaning, in canonical form, for comparing texts."""
    return frozenset(
        w for w in canon if w != BOUNDARY and len(w) >= 3 and not w.isdigit() and w not in lex.STOPWORDS
    )


@dataclass(frozen=True)
class Override:
    text: str
    kind: Kind
    category: Category
    urgent: bool


class OverrideMemory:
    """Corrections made by people, consulted by ``triage``: nearest neighbour plus learned words.

    Pure and in memory; the caller persists it with ``to_json``/``from_json``. The texts may
    hold personal data, so store the JSON where complaint texts are stored, never in logs.
    """

    NEAREST_MIN = 0.5  # share of meaningful words in common (Jaccard) to copy a correction
    NOT_URGENT_MIN = 0.8  # only a near-identical text may lift urgency: safety first
    WORD_WEIGHT, WORD_CAP = 0.5, 2.0

    def __init__(self) -> None:
        self._items: list[tuple[Override, frozenset[str]]] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, text: str, kind: Kind | str, category: Category | str, urgent: bool) -> None:
        item = Override(str(text), Kind(kind), Category(category), bool(urgent))
        self._items.append((item, content_tokens([canonical(w) for w in normalise(item.text[:MAX_CHARS])])))

    def category_weights(self, tokens: frozenset[str]) -> dict[str, float]:
        weights: dict[str, float] = {}
        for item, words in self._items:
            if item.kind is Kind.complaint and item.category is not Category.other:
                shared = sum(1 for w in tokens & words if len(w) >= 5)
                key = item.category.value
                weights[key] = min(self.WORD_CAP, weights.get(key, 0.0) + self.WORD_WEIGHT * shared)
        return {k: v for k, v in weights.items() if v > 0}

    def nearest(self, tokens: frozenset[str]) -> tuple[Override, float] | None:
        best: tuple[Override, float] | None = None
        for item, words in self._items:
            union = tokens | words
            similarity = len(tokens & words) / len(union) if union else 0.0
            if best is None or similarity >= best[1]:  # newest correction wins a tie
                best = (item, similarity)
        return best

    def apply(self, canon: list[str], result: TriageResult) -> TriageResult:
        found = self.nearest(content_tokens(canon))
        if found is None or found[1] < self.NEAREST_MIN:
            return result
        item, similarity = found
        share = f"{round(similarity * 100)}%"
        reasons = [
            f"Lijkt op een tekst die een medewerker eerder heeft gecorrigeerd ({share} dezelfde "
            f"woorden): {dutch(item.kind.value)}, {dutch(item.category.value)}.",
            *result.reasons,
        ]
        urgent, urgent_reasons = result.urgent, list(result.urgent_reasons)
        if item.urgent and not urgent:
            urgent = True
            urgent_reasons.append(f"Urgent: een medewerker vond een vergelijkbare tekst ({share}) urgent.")
        elif not item.urgent and urgent and similarity >= self.NOT_URGENT_MIN:
            urgent = False
            reasons.append(f"Niet urgent: een medewerker vond een bijna gelijke tekst ({share}) niet urgent.")
        return replace(
            result,
            kind=item.kind,
            category=item.category,
            urgent=urgent,
            reasons=reasons,
            urgent_reasons=urgent_reasons if urgent else [],
            confidence=round(max(result.confidence, min(0.99, similarity)), 2),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "overrides": [
                    {"text": i.text, "kind": i.kind.value, "category": i.category.value, "urgent": i.urgent}
                    for i, _ in self._items
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> OverrideMemory:
        """Rebuild from ``to_json`` output; raises ValueError on anything else."""
        try:
            doc = json.loads(data)
            memory = cls()
            for row in doc["overrides"]:
                if not isinstance(row["text"], str) or not isinstance(row["urgent"], bool):
                    raise ValueError("text must be a string and urgent a boolean")
                memory.add(row["text"], row["kind"], row["category"], row["urgent"])
            return memory
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an override memory: {exc}") from exc
