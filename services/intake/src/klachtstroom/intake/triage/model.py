"""The learned triage: three heads (kind, category, urgent) over one set of features.

Each head is a logistic regression: its weights times the text's features say which words
weighed most (the reasons). Its scores are calibrated before they are shown as a confidence:
per class a Platt sigmoid fitted on out-of-fold scores (5-fold cross-validation over the
training texts; the blind set is never among them), so "80%" means right about four times in
five on texts the head had not seen. The category head learns from complaints only; for an
objection or a question the category is ``other``. The urgency head flags at a low threshold
(tuned on the development set for recall): a person looking at a false alarm costs minutes, a
missed urgent text can cost a great deal more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from klachtstroom.contracts.vocabulary import Category, Kind, dutch
from klachtstroom.intake.triage.features import Doc, Featuriser, parse
from klachtstroom.intake.triage.lexicon import STOPWORDS, TARGET_LABELS

__all__ = ["CHECK_BELOW", "URGENT_THRESHOLD", "Example", "TriageModel", "TriageResult"]

# Both thresholds are chosen on the development set's cross-validated, calibrated probabilities
# (5 folds, each fold's model calibrated by its own inner cross-validation), never on the blind
# set, by the rules in ``evaluation.py`` (``bench/triage_bench.py --cv --tune`` prints them):
# - urgent: the lowest threshold, never below 0.25, whose CV urgent recall is >= 0.95 and CV
#   precision >= 0.80 (dev round 5, 676 texts: 0.25 gives recall 0.966, precision 0.875). The
#   floor keeps an ordinary handling-time complaint ("wacht al weken op antwoord", urgent
#   probability about 0.1) from reaching the college; a threshold chosen for recall alone fell
#   to 0.09 on the harder dev set;
# - "controleer de indeling": the lowest confidence threshold that flags at least two thirds of
#   the CV misclassifications while flagging at most 35% of the texts (0.70: flags 28%, catches
#   69% of the wrong kind/category answers).
URGENT_THRESHOLD = 0.25
# Below this confidence a person checks the classification ("controleer de indeling").
CHECK_BELOW = 0.70
QUOTE_MIN_TEXTS = 5  # a word is quoted in a reason only when this many training texts have it
CHECK_TEXT = "Controleer de indeling: de automatische triage is hierover niet zeker."

_URGENT_GROUNDS = ("urgent:threat", "urgent:vulnerable", "urgent:impact", "urgent:livelihood")


@dataclass(frozen=True)
class Example:
    text: str
    kind: str
    category: str
    urgent: bool
    weight: float = 1.0


@dataclass(frozen=True)
class TriageResult:
    kind: Kind
    category: Category
    urgent: bool
    confidence: float  # 0..1: how sure the kind (and for a complaint the category) is
    reasons: list[str] = field(default_factory=list)  # all of them, the urgency reasons last
    urgent_reasons: list[str] = field(default_factory=list)  # the "Urgent: ..." ones, also in reasons
    check: bool = False  # below CHECK_BELOW: a person should check the classification
    urgent_probability: float = 0.0


CALIBRATION_FOLDS = 5


def _head(c: float, balanced: bool = True) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)


@dataclass(frozen=True)
class Calibration:
    """Platt scaling per class: p_k = sigmoid(a_k * score_k + b_k), then normalised over classes.

    Fitted on out-of-fold scores, so it corrects how over-sure a head is on texts it has not seen
    (a head fitted with a large C is very sure of its own training texts).
    """

    a: np.ndarray
    b: np.ndarray

    @staticmethod
    def identity(classes: int) -> Calibration:
        n = 1 if classes == 2 else classes
        return Calibration(np.ones(n), np.zeros(n))

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Scores (n, k) or (n,) for a binary head -> probabilities (n, classes)."""
        if scores.ndim == 1 or scores.shape[-1] == 1:
            p = _sigmoid(self.a[0] * scores.reshape(-1) + self.b[0])
            return np.column_stack([1.0 - p, p])
        p = _sigmoid(self.a * scores + self.b)
        total = p.sum(axis=1, keepdims=True)
        return np.asarray(np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1]))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -500, 500))))


def _calibrate(head: LogisticRegression, x: Any, y: list[Any], weights: np.ndarray) -> Calibration:
    """Cross-validated Platt scaling: out-of-fold decision scores -> one sigmoid per class."""
    counts = np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True)[1]
    folds = min(CALIBRATION_FOLDS, int(counts.min()))
    if folds < 2:  # a class with one example: nothing to calibrate on
        return Calibration.identity(len(head.classes_))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scores = cross_val_predict(
        _head(head.C), x, y, cv=splitter, method="decision_function", params={"sample_weight": weights}
    )
    scores = scores.reshape(len(y), -1)
    gold = np.asarray(y, dtype=object)
    targets = [head.classes_[1]] if scores.shape[1] == 1 else list(head.classes_)
    a, b = [], []
    for k, label in enumerate(targets):
        platt = LogisticRegression(C=1e4, max_iter=1000)
        platt.fit(scores[:, k : k + 1], (gold == label).astype(int), sample_weight=weights)
        a.append(float(platt.coef_[0, 0]))
        b.append(float(platt.intercept_[0]))
    return Calibration(np.array(a), np.array(b))


class TriageModel:
    def __init__(
        self,
        kind_c: float = 8.0,
        category_c: float = 16.0,
        urgent_c: float = 32.0,
        urgent_threshold: float = URGENT_THRESHOLD,
        kind_lexicon: float = 0.75,
        category_lexicon: float = 0.5,
        urgent_lexicon: float = 1.5,
    ) -> None:
        self.features = Featuriser()
        self.kind = _head(kind_c)
        self.category = _head(category_c)
        self.urgent = _head(urgent_c)
        self.urgent_threshold = urgent_threshold
        self.lexicon_weights = {"kind": kind_lexicon, "category": category_lexicon, "urgent": urgent_lexicon}
        self._scales: dict[str, sparse.csr_matrix] = {}
        self._scale_vectors: dict[str, np.ndarray] = {}
        self.calibration: dict[str, Calibration] = {}

    # ------------------------------------------------------------ learning

    def fit(self, examples: list[Example]) -> TriageModel:
        docs = [parse(e.text) for e in examples]
        with threadpool_limits(limits=1):  # a shared machine: threads only add contention here
            return self._fit(docs, examples)

    def _fit(self, docs: list[Doc], examples: list[Example]) -> TriageModel:
        self.features.fit(docs)
        lexicon = self.features.lexicon_columns()
        for head, weight in self.lexicon_weights.items():
            scale = np.ones(len(self.features.names))
            scale[lexicon] = weight
            self._scales[head] = sparse.diags(scale, format="csr")
            self._scale_vectors[head] = scale
        x = self.features.transform(docs)
        weights = np.array([e.weight for e in examples])
        complaints = [i for i, e in enumerate(examples) if e.kind == Kind.complaint.value]
        data: dict[str, tuple[Any, list[Any], np.ndarray]] = {
            "kind": (x @ self._scales["kind"], [e.kind for e in examples], weights),
            "category": (
                (x @ self._scales["category"])[complaints],
                [examples[i].category for i in complaints],
                weights[complaints],
            ),
            "urgent": (x @ self._scales["urgent"], [bool(e.urgent) for e in examples], weights),
        }
        for name, (xs, ys, ws) in data.items():
            head = self._heads()[name]
            head.fit(xs, ys, sample_weight=ws)
            self.calibration[name] = _calibrate(head, xs, ys, ws)
        return self

    def _heads(self) -> dict[str, LogisticRegression]:
        return {"kind": self.kind, "category": self.category, "urgent": self.urgent}

    def warm(self) -> TriageModel:
        """Run every code path once (lazy imports, caches), so the first real text is not slower."""
        for text in ("warm", "Mijn uitkering is niet betaald en ik heb geen eten. Wat nu?"):
            self.predict(text)
        return self

    # ------------------------------------------------------------ deciding

    def probabilities(self, texts: list[str]) -> list[dict[str, Any]]:
        """Per text: calibrated probability per kind, per category, and of urgency (for evaluation).

        ``raw`` holds the same before calibration (the heads' own ``predict_proba``), to show
        what calibration changes.
        """
        x = self.features.transform([parse(t) for t in texts])
        calibrated: dict[str, np.ndarray] = {}
        raw: dict[str, np.ndarray] = {}
        for name, head in self._heads().items():
            xs = x @ self._scales[name]
            calibrated[name] = self.calibration[name].apply(head.decision_function(xs))
            raw[name] = head.predict_proba(xs)
        yes = list(self.urgent.classes_).index(True)

        def one(p: dict[str, np.ndarray], i: int) -> dict[str, Any]:
            return {
                "kind": dict(zip(self.kind.classes_, map(float, p["kind"][i]), strict=True)),
                "category": dict(zip(self.category.classes_, map(float, p["category"][i]), strict=True)),
                "urgent": float(p["urgent"][i, yes]),
            }

        return [one(calibrated, i) | {"raw": one(raw, i)} for i in range(len(texts))]

    def predict(self, text: str) -> TriageResult:
        doc = parse(text)
        columns, values = self.features.row(doc)
        rows = {
            head: _Row(columns, values * self._scale_vectors[head][columns]) for head in self.lexicon_weights
        }
        kinds = _proba(self.kind, rows["kind"], self.calibration["kind"])
        k = int(np.argmax(kinds))
        kind = Kind(self.kind.classes_[k])
        kind_p = float(kinds[k])
        reasons: list[str] = []
        runner_up: Category | None = None
        second = 0.0
        if kind is Kind.complaint:
            cats = _proba(self.category, rows["category"], self.calibration["category"])
            order = np.argsort(-cats)
            c = int(order[0])
            category = Category(self.category.classes_[c])
            confidence = kind_p * float(cats[c])
            reasons.append(
                f"{dutch(kind.value)}, categorie {dutch(category.value).lower()} "
                f"(zekerheid {_pct(confidence)})."
            )
            reasons += self._why(
                self.category, c, rows["category"], doc, f"categorie {dutch(category.value).lower()}"
            )
            runner_up, second = Category(self.category.classes_[int(order[1])]), float(cats[order[1]])
        else:
            category = Category.other
            confidence = kind_p
            reasons.append(f"Geen klacht maar {dutch(kind.value).lower()} (zekerheid {_pct(confidence)}).")
            reasons += self._why(self.kind, k, rows["kind"], doc, dutch(kind.value).lower())
            reasons.append(f"Geen klacht maar {TARGET_LABELS[kind.value]}: doorsturen; categorie Overig.")
        confidence = round(min(0.99, max(0.01, confidence)), 2)
        check = confidence < CHECK_BELOW  # on the figure shown, so the two always agree
        if check:
            alternative = (
                f" Tweede keus: {dutch(runner_up.value).lower()} ({_pct(second)})." if runner_up else ""
            )
            if kind is not Kind.complaint or kind_p < 0.7:
                ranked = sorted(zip(self.kind.classes_, kinds, strict=True), key=lambda p: -p[1])
                alternative += (
                    f" Soort: {', '.join(f'{dutch(n).lower()} {_pct(float(p))}' for n, p in ranked)}."
                )
            reasons.append(CHECK_TEXT + alternative)
        urgent_p = float(
            _proba(self.urgent, rows["urgent"], self.calibration["urgent"])[
                list(self.urgent.classes_).index(True)
            ]
        )
        urgent = urgent_p >= self.urgent_threshold
        urgent_reasons = self._urgent_reasons(doc, rows["urgent"], urgent_p) if urgent else []
        for phrase, negator in doc.evidence.negated[:2]:
            reasons.append(f'"{phrase}" telt niet mee: ontkend door "{negator}".')
        return TriageResult(
            kind,
            category,
            urgent,
            confidence,
            list(dict.fromkeys(reasons + urgent_reasons)),
            urgent_reasons,
            check,
            round(urgent_p, 3),
        )

    # ------------------------------------------------------------ explaining

    def _contributions(self, head: LogisticRegression, index: int, row: _Row) -> list[tuple[float, int]]:
        coef = head.coef_[:, row.columns]
        if coef.shape[0] == 1:  # binary: one weight vector, for class 1
            weights = coef[0] * (1.0 if index == 1 else -1.0)
        else:  # what speaks for this class more than for the others
            weights = coef[index] - coef.mean(axis=0)
        contributions = weights * row.values
        order = np.argsort(-contributions)[:12]
        return [(float(contributions[i]), int(row.columns[i])) for i in order]

    def _quotes(self, head: LogisticRegression, index: int, x: _Row, doc: Doc) -> list[str]:
        """The key words that weighed most for a class, as they stood in the text."""
        quotes: list[str] = []
        for weight, column in self._contributions(head, index, x):
            if weight <= 0:
                break
            block, name = self.features.describe(column)
            tokens = name.split()
            if block == "word" and self._quotable(tokens, doc):
                quotes.append(" ".join(doc.surface.get(w, w) for w in tokens))
            elif block == "lexicon" and name in TARGET_LABELS:
                quotes += [p for p in doc.evidence.phrases(name, 2) if any(_meaningful(w) for w in p.split())]
        unique = [q for q in dict.fromkeys(quotes) if len(q) >= 3]
        # a bigram already says what its words say
        return [q for q in unique if not any(q != o and q in o.split() for o in unique)][:4]

    def _quotable(self, tokens: list[str], doc: Doc) -> bool:
        """Only common words: a word seen in few training texts may be a name or an address."""
        return (
            any(_meaningful(w) for w in tokens)
            and all(self.features.document_frequency.get(w, 0) >= QUOTE_MIN_TEXTS for w in tokens)
            and not any(ch.isdigit() for w in tokens for ch in w)
            and not any(doc.surface.get(w, w) in doc.capitalised for w in tokens)
        )

    def _why(self, head: LogisticRegression, index: int, x: _Row, doc: Doc, label: str) -> list[str]:
        quotes = self._quotes(head, index, x, doc)
        if not quotes:
            return [
                f"Geen duidelijke woorden gevonden; {label} is de beste schatting uit vergelijkbare teksten."
            ]
        words = ", ".join(f'"{q}"' for q in quotes)
        return [f"Woorden die het zwaarst wogen voor {label}: {words}."]

    def _urgent_reasons(self, doc: Doc, x: _Row, p: float) -> list[str]:
        reasons = [
            f'Urgent: "{phrase}" wijst op {TARGET_LABELS[ground]}.'
            for ground in _URGENT_GROUNDS
            for phrase in doc.evidence.phrases(ground, 2)
        ]
        if doc.evidence.scores.get("urgent:elderly", 0.0) > 0:
            reasons.append(
                "Urgent: een oudere zonder zorg of hulp, of gevallen: een kwetsbaar persoon in gevaar."
            )
        if not reasons:
            quotes = self._quotes(self.urgent, 1, x, doc)
            words = ", ".join(f'"{q}"' for q in quotes) or "de tekst als geheel"
            reasons.append(f"Urgent (kans {_pct(p)}): lijkt op eerdere urgente teksten door {words}.")
        else:
            reasons.append(f"Kans dat dit urgent is: {_pct(p)}; bij twijfel gemarkeerd als urgent.")
        return list(dict.fromkeys(reasons))


@dataclass(frozen=True)
class _Row:
    """One text's features as seen by one head: the non-zero columns and their values."""

    columns: np.ndarray
    values: np.ndarray


def _proba(head: LogisticRegression, row: _Row, calibration: Calibration) -> np.ndarray:
    """Calibrated probabilities for one row, without sklearn's per-call input checks."""
    scores = head.coef_[:, row.columns] @ row.values + head.intercept_
    return np.asarray(calibration.apply(scores.reshape(1, -1))[0])


def _meaningful(word: str) -> bool:
    return len(word) >= 3 and word not in STOPWORDS


def _pct(p: float) -> str:
    return f"{round(p * 100)}%"
