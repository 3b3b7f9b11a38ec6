"""From a text to the numbers the model reads: word and character n-grams plus the lexicon.

Three blocks side by side in one sparse row:

- word uni- and bigrams over the lexicon's canonical words (accents folded, lightly stemmed,
  a typo of a known word read as that word), TF-IDF;
- character 3-5-grams within words (catch misspellings, compounds such as
  "thuiszorgorganisatie", and inflections the stemmer misses), TF-IDF;
- the lexicon's score per target (``rules.TARGETS``), capped and scaled, plus a few signs of form
  (a question mark at the end, the length) and of time: something happens soon ("morgen",
  "maandag", "over zes dagen", "volgende week") or lies in the past or is settled ("vorig jaar",
  "geleden", "opgelost", "inmiddels"). Urgency is often a matter of when, not of which words.

Every column has a name a coordinator can read back (``describe``), so a reason can quote the
words that weighed most — never more than the matched key words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from klachtstroom.intake.triage.rules import MAX_CHARS, TARGETS, Evidence, evidence, fold

__all__ = ["Doc", "Featuriser", "parse"]

LEXICON_CAP = 6.0  # a score above this adds nothing: one strong phrase is as good as many
EXTRA = (
    "form:question_mark",
    "form:length",
    "time:soon",
    "time:past",
    "time:urgent_settled",
    "time:reassured",
)
_SOON = re.compile(
    r"\b(vandaag|vanavond|vannacht|morgen|overmorgen|straks|nu meteen|deze week|volgende week|"
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|"
    r"over (een|1|2|3|4|5|6|7|twee|drie|vier|vijf|zes|zeven|paar) (dag|dagen|week|weken)|"
    r"binnen (een|1|2|3|twee|drie|paar) (dag|dagen|week))\b"
)
_PAST = re.compile(
    r"\b(vorig jaar|vorige winter|vorige zomer|jaar geleden|jaren geleden|maanden geleden|destijds|"
    r"toen|opgelost|afgehandeld|inmiddels|was al|gelukkig|achter de rug|voorkomen|bleek)\b"
)
_INNER_CAPITAL = re.compile(r"(?<=[\w,;:] )([A-Z][\w-]+)")
# The writer says the person is all right now: "het gaat verder prima", "ze wordt goed verzorgd",
# "ik kom er wel mee uit", "niet dringend". Urgent words beside such a phrase are context.
_REASSURED = (
    r"gaat (het |verder |nu |weer )*(prima|goed)|(wordt|worden|is|zijn) (hier |daar |nu )?goed verzorgd|"
    r"goed (wordt |worden )?verzorgd|redt (zich|zichzelf)|red(den)? (me|mij|ons) wel|"
    r"kom(en|t)? er (wel|nog) (mee )?uit|"
    r"(niet|geen) (dringend|acuut|spoed|haast)|op tijd (geregeld|opgelost)|"
    r"(is|zijn) (al |inmiddels )?geregeld|"
    r"geen gevaar|verder (gaat alles|is alles) goed|het is (nu )?veilig"
)
_REASSURED_RE = re.compile(r"(?<!niet )(?<!nooit )\b(" + _REASSURED + r")\b")
# Stronger than ``_PAST``: the sentence says the urgent thing is over ("dat is opgelost").
_SETTLED = re.compile(
    r"(?<!niet )(?<!nooit )\b(vorig jaar|vorige (maand|winter|zomer)|(jaar|jaren|maanden) geleden|"
    r"destijds|opgelost|"
    r"afgehandeld|voorkomen|achter de rug|verleden tijd|inmiddels|achter me gelaten|gaat (het )?weer goed|"
    r"vroeger|(al|is|was) (af)?betaald|afgelost|" + _REASSURED + r")\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
URGENT_TARGETS = tuple(t for t in TARGETS if t.startswith("urgent:"))


@dataclass(frozen=True)
class Doc:
    """A text read once: what all blocks need."""

    folded: str
    words: list[str]  # canonical words, in order
    surface: dict[str, str]  # canonical word -> a form as it stood in the text (for quoting)
    evidence: Evidence
    question_mark: bool
    capitalised: frozenset[str]  # words written with a capital inside a sentence: maybe a name
    urgent_settled: float = 0.0  # share of the urgency lexicon's weight in sentences that say it is over
    reassured: bool = False  # the text says the person is all right now


def parse(text: str) -> Doc:
    raw = text[:MAX_CHARS]
    found = evidence(raw)
    folded = fold(raw)
    plain = [w for w in _plain_words(folded)]
    surface: dict[str, str] = {}
    for word, canon in zip(plain, found.canon, strict=False):
        surface.setdefault(canon, word)
    capitalised = frozenset(fold(m.group(1)) for m in _INNER_CAPITAL.finditer(raw))
    settled = _urgency_settled(raw, folded, found)
    reassured = bool(_REASSURED_RE.search(folded))
    return Doc(
        folded, found.canon, surface, found, raw.rstrip().endswith("?"), capitalised, settled, reassured
    )


def _urgent_score(found: Evidence) -> float:
    return sum(max(found.scores[t], 0.0) for t in URGENT_TARGETS)


def _urgency_settled(raw: str, folded: str, found: Evidence) -> float:
    """The share (0..1) of the urgency lexicon's weight that stands in sentences saying it is over.

    "Vorig jaar stond ik bijna op straat, dat is opgelost. Nu wacht ik op ..." has an urgent
    phrase in a sentence about the past; the whole-text time features cannot tell which sentence
    the past belongs to. Only texts with both an urgent phrase and such a marker are split by
    sentence (most texts have neither), so this costs little.
    """
    total = _urgent_score(found)
    if total <= 0.0 or not _SETTLED.search(folded):
        return 0.0
    settled = sum(
        _urgent_score(evidence(sentence))
        for sentence in _SENTENCE_END.split(raw)
        if sentence.strip() and _SETTLED.search(fold(sentence))
    )
    return min(settled / total, 1.0)


def _plain_words(folded: str) -> list[str]:
    from klachtstroom.intake.triage.rules import normalise

    return [w for w in normalise(folded) if w[0].isalnum()]


def _word_grams(doc: Doc) -> list[str]:
    words = doc.words
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def _identity(doc: Doc) -> Doc:
    return doc


class Featuriser:
    """Fitted on the training texts; turns a parsed text into one sparse row."""

    def __init__(self, char_weight: float = 1.0) -> None:
        self.char_weight = char_weight
        self.words = TfidfVectorizer(analyzer=_word_grams, min_df=2, sublinear_tf=True, dtype=np.float64)
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            min_df=2,
            sublinear_tf=True,
            max_features=40_000,
            preprocessor=_folded,
            dtype=np.float64,
        )
        self.names: list[str] = []
        self.word_columns = 0
        self.char_columns = 0

    def fit(self, docs: list[Doc]) -> Featuriser:
        self.words.fit(docs)
        self.chars.fit(docs)
        self.word_columns = len(self.words.vocabulary_)
        self.char_columns = len(self.chars.vocabulary_)
        words = sorted(self.words.vocabulary_, key=self.words.vocabulary_.__getitem__)
        chars = sorted(self.chars.vocabulary_, key=self.chars.vocabulary_.__getitem__)
        self._word_index = dict(self.words.vocabulary_)
        self._char_index = dict(self.chars.vocabulary_)
        self._word_idf = self.words.idf_.copy()
        self._char_idf = self.chars.idf_.copy()
        self._char_grams = self.chars.build_analyzer()
        self.document_frequency = {w: _df(self.words.idf_[i], len(docs)) for w, i in self._word_index.items()}
        self.names = (
            [f"word:{w}" for w in words]
            + [f"char:{c}" for c in chars]
            + [f"lexicon:{t}" for t in TARGETS]
            + list(EXTRA)
        )
        return self

    def transform(self, docs: list[Doc]) -> sparse.csr_matrix:
        words = self.words.transform(docs)
        chars = self.chars.transform(docs) * self.char_weight
        dense = np.array([self._dense(d) for d in docs], dtype=np.float64).reshape(len(docs), -1)
        return sparse.hstack([words, chars, sparse.csr_matrix(dense)], format="csr")

    def row(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """One text as (columns, values): the same numbers as ``transform``, without its overhead.

        Triage of a single text must take milliseconds; sklearn's input checks cost more than
        the arithmetic. A unit test holds this equal to ``transform``.
        """
        parts = [
            _tfidf(self._word_index, self._word_idf, _word_grams(doc), 0),
            _tfidf(
                self._char_index, self._char_idf, self._char_grams(doc), self.word_columns, self.char_weight
            ),
        ]
        start = self.word_columns + self.char_columns
        dense = self._dense(doc)
        cols = [start + i for i, v in enumerate(dense) if v != 0.0]
        parts.append((np.array(cols, dtype=np.int64), np.array([v for v in dense if v != 0.0])))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _dense(self, doc: Doc) -> list[float]:
        scores = doc.evidence.scores
        lexicon = [min(max(scores[t], -LEXICON_CAP), LEXICON_CAP) / LEXICON_CAP for t in TARGETS]
        length = min(math.log1p(len(doc.words)) / math.log1p(300), 1.0)
        soon = min(len(_SOON.findall(doc.folded)), 2) / 2
        past = min(len(_PAST.findall(doc.folded)), 2) / 2
        reassured = 1.0 if doc.reassured else 0.0
        return [
            *lexicon,
            1.0 if doc.question_mark else 0.0,
            length,
            soon,
            past,
            doc.urgent_settled,
            reassured,
        ]

    def lexicon_columns(self) -> list[int]:
        """The columns of the lexicon block (each head weighs it differently)."""
        start = self.word_columns + self.char_columns
        return list(range(start, start + len(TARGETS)))

    def describe(self, column: int) -> tuple[str, str]:
        """(block, name) of a column: ("word", "al maanden"), ("lexicon", "urgent:threat"), ..."""
        block, _, name = self.names[column].partition(":")
        return block, name


def _folded(doc: Doc) -> str:
    return doc.folded


def _df(idf: float, n: int) -> int:
    """Back from smoothed idf = ln((1 + n) / (1 + df)) + 1 to the document frequency."""
    return round((1 + n) / math.exp(idf - 1) - 1)


def _tfidf(
    index: dict[str, int], idf: np.ndarray, grams: list[str], offset: int, weight: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    counts: dict[int, int] = {}
    for gram in grams:
        column = index.get(gram)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[columns]
    values /= np.sqrt(values @ values)
    return columns + offset, values * weight
