"""How good the triage is: the figures, confusion matrices, and cross-validation on the dev set.

Used by ``bench/triage_bench.py`` (the blind set) and the unit tests (a small held-out slice).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage.model import Example, TriageModel, TriageResult

__all__ = [
    "Calibration",
    "Figures",
    "Thresholds",
    "calibration_figures",
    "cross_validate",
    "evaluate",
    "macro_f1",
    "predict_all",
    "tune_thresholds",
]

KINDS = [k.value for k in Kind]
CATEGORIES = [c.value for c in Category]


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in the gold standard."""
    scores = []
    for label in labels:
        if label not in gold:
            continue
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


@dataclass(frozen=True)
class Prediction:
    kind: str
    category: str
    urgent: bool
    confidence: float
    check: bool


@dataclass
class Figures:
    n: int
    kind_accuracy: float
    kind_macro_f1: float
    category_macro_f1: float  # over the texts that are complaints (gold), as triage answers them
    category_macro_f1_head: float  # the same, had the kind been right (the category head alone)
    urgent_recall: float
    urgent_precision: float
    checked_share: float  # share of texts flagged "controleer de indeling"
    errors_caught: float  # share of wrong answers that were flagged
    kind_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    category_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    urgent_confusion: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    errors: list[tuple[dict[str, Any], Prediction]] = field(default_factory=list)

    def rows(self) -> dict[str, float]:
        return {
            "kind_accuracy": self.kind_accuracy,
            "kind_macro_f1": self.kind_macro_f1,
            "category_macro_f1": self.category_macro_f1,
            "urgent_recall": self.urgent_recall,
            "urgent_precision": self.urgent_precision,
        }


def predict_all(model: TriageModel, texts: Sequence[str]) -> list[Prediction]:
    return [_prediction(model.predict(t)) for t in texts]


def _prediction(r: TriageResult) -> Prediction:
    return Prediction(r.kind.value, r.category.value, r.urgent, r.confidence, r.check)


def evaluate(
    rows: Sequence[dict[str, Any]], preds: Sequence[Prediction], heads: Sequence[str] = ()
) -> Figures:
    """Figures for labelled rows and their predictions. ``heads``: the category head's own guess."""
    gold_k = [r["kind"] for r in rows]
    pred_k = [p.kind for p in preds]
    complaints = [i for i, r in enumerate(rows) if r["kind"] == Kind.complaint.value]
    gold_c = [rows[i]["category"] for i in complaints]
    pred_c = [preds[i].category for i in complaints]
    head_c = [heads[i] for i in complaints] if heads else pred_c
    gold_u = [bool(r["urgent"]) for r in rows]
    pred_u = [p.urgent for p in preds]
    tp = sum(1 for g, p in zip(gold_u, pred_u, strict=True) if g and p)
    wrong = [
        (r, p)
        for r, p in zip(rows, preds, strict=True)
        if (r["kind"], r["category"], bool(r["urgent"])) != (p.kind, p.category, p.urgent)
    ]
    misclassified = [
        p for r, p in zip(rows, preds, strict=True) if (r["kind"], r["category"]) != (p.kind, p.category)
    ]
    return Figures(
        n=len(rows),
        kind_accuracy=sum(1 for g, p in zip(gold_k, pred_k, strict=True) if g == p) / len(rows),
        kind_macro_f1=macro_f1(gold_k, pred_k, KINDS),
        category_macro_f1=macro_f1(gold_c, pred_c, CATEGORIES),
        category_macro_f1_head=macro_f1(gold_c, head_c, CATEGORIES),
        urgent_recall=tp / sum(gold_u) if any(gold_u) else 1.0,
        urgent_precision=tp / sum(pred_u) if any(pred_u) else 1.0,
        checked_share=sum(1 for p in preds if p.check) / len(preds),
        errors_caught=sum(1 for p in misclassified if p.check) / len(misclassified) if misclassified else 1.0,
        kind_confusion=Counter(zip(gold_k, pred_k, strict=True)),
        category_confusion=Counter(zip(gold_c, pred_c, strict=True)),
        urgent_confusion=Counter(zip(gold_u, pred_u, strict=True)),
        errors=wrong,
    )


def cross_validate(
    dev: Sequence[dict[str, Any]],
    extra: Sequence[Example],
    folds: int = 5,
    seed: int = 1,
    **params: float,
) -> tuple[Figures, list[dict[str, Any]]]:
    """k-fold cross-validation on the dev set; every fold also trains on ``extra`` (older sets).

    Folds are drawn per stratum (kind, category, urgent) with a seeded shuffle. Returns the
    pooled figures and, per text, the probabilities (for tuning thresholds). ``params`` go to
    ``TriageModel`` (to compare settings).
    """
    strata: dict[str, list[int]] = {}
    for i, r in enumerate(dev):
        strata.setdefault(f"{r['kind']}/{r['category']}/{r['urgent']}", []).append(i)
    fold_of = [0] * len(dev)
    rng = random.Random(seed)
    offset = 0
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        for n, i in enumerate(members):
            fold_of[i] = (n + offset) % folds
        offset += len(members)
    preds: list[Prediction | None] = [None] * len(dev)
    heads: list[str] = [""] * len(dev)
    probabilities: list[dict[str, Any]] = [{} for _ in dev]
    for fold in range(folds):
        train = [_example(r) for i, r in enumerate(dev) if fold_of[i] != fold]
        test = [i for i in range(len(dev)) if fold_of[i] == fold]
        model = TriageModel(**params).fit(train + list(extra))
        for i, p in zip(test, model.probabilities([dev[i]["text"] for i in test]), strict=True):
            preds[i] = _prediction(model.predict(dev[i]["text"]))
            heads[i] = max(p["category"], key=p["category"].get)
            probabilities[i] = p
    done = [p for p in preds if p is not None]
    return evaluate(dev, done, heads), probabilities


def _example(row: dict[str, Any]) -> Example:
    return Example(row["text"], row["kind"], row["category"], bool(row["urgent"]))


# ---------------------------------------------------------------- calibration and thresholds

# The rules by which the two thresholds in ``model.py`` are chosen, on the development set's
# cross-validated probabilities only (``bench/triage_bench.py --tune``):
# urgency: the lowest threshold, never below URGENT_MIN_THRESHOLD, whose CV urgent recall is
# >= URGENT_RECALL_TARGET and CV precision >= URGENT_PRECISION_FLOOR; when none has both, the
# minimum itself (urgency errs on the side of flagging, down to the floor). The floor keeps an
# ordinary complaint with a little urgent-sounding wording ("wacht al weken op antwoord": an urgent
# probability near 0.1) from being flagged: a threshold chosen for recall alone went down to 0.09
# and every such complaint reached the college.
URGENT_RECALL_TARGET = 0.95
URGENT_PRECISION_FLOOR = 0.80
URGENT_MIN_THRESHOLD = 0.25
ERRORS_CAUGHT_TARGET = 2 / 3  # check: the lowest threshold that flags >= this share of CV errors
CHECKED_SHARE_CAP = 0.35  # ... unless that flags more texts than this; then the highest within it


def answer(p: dict[str, Any]) -> tuple[str, str, float]:
    """(kind, category, confidence) as ``TriageModel.predict`` derives them from probabilities."""
    kind = max(p["kind"], key=p["kind"].get)
    if kind != Kind.complaint.value:
        return kind, Category.other.value, round(min(0.99, max(0.01, p["kind"][kind])), 2)
    category = max(p["category"], key=p["category"].get)
    confidence = p["kind"][kind] * p["category"][category]
    return kind, category, round(min(0.99, max(0.01, confidence)), 2)


@dataclass(frozen=True)
class Thresholds:
    urgent: float
    urgent_recall: float
    urgent_precision: float
    check_below: float
    checked_share: float
    errors_caught: float


def tune_thresholds(rows: Sequence[dict[str, Any]], probabilities: Sequence[dict[str, Any]]) -> Thresholds:
    """The urgency and "controleer de indeling" thresholds by the rules above, from CV probabilities."""
    gold_u = [bool(r["urgent"]) for r in rows]
    p_u = [float(p["urgent"]) for p in probabilities]

    def urgent_at(t: float) -> tuple[float, float]:
        flagged = [p >= t for p in p_u]
        tp = sum(1 for g, f in zip(gold_u, flagged, strict=True) if g and f)
        return tp / max(1, sum(gold_u)), tp / max(1, sum(flagged))

    steps = [x / 100 for x in range(round(URGENT_MIN_THRESHOLD * 100), 100)]
    both = [
        t
        for t in steps
        if urgent_at(t)[0] >= URGENT_RECALL_TARGET and urgent_at(t)[1] >= URGENT_PRECISION_FLOOR
    ]
    urgent = min(both, default=URGENT_MIN_THRESHOLD)
    urgent_recall, urgent_precision = urgent_at(urgent)
    answers = [answer(p) for p in probabilities]
    wrong = [(r["kind"], r["category"]) != a[:2] for r, a in zip(rows, answers, strict=True)]
    confidences = [a[2] for a in answers]

    def at(t: float) -> tuple[float, float]:
        checked = [c < t for c in confidences]
        caught = sum(1 for w, c in zip(wrong, checked, strict=True) if w and c)
        return sum(checked) / len(rows), caught / max(1, sum(wrong))

    candidates = [x / 100 for x in range(5, 96)]
    within = [t for t in candidates if at(t)[0] <= CHECKED_SHARE_CAP]
    enough = [t for t in within if at(t)[1] >= ERRORS_CAUGHT_TARGET]
    check = min(enough) if enough else max(within, default=0.5)
    share, caught_share = at(check)
    return Thresholds(urgent, urgent_recall, urgent_precision, check, share, caught_share)


@dataclass(frozen=True)
class Calibration:
    """How well the probabilities match what happens (lower Brier and ECE are better)."""

    brier_urgent: float
    brier_kind: float  # multi-class Brier: sum over the classes, mean over the texts
    brier_category: float  # the category head on the complaints
    ece: float  # expected calibration error of the answer's confidence (10 bins)
    reliability: list[tuple[float, float, int, float]]  # (bin from, bin to, texts, accuracy)
    mean_confidence: float
    accuracy: float


def calibration_figures(
    rows: Sequence[dict[str, Any]], probabilities: Sequence[dict[str, Any]], bins: int = 10
) -> Calibration:
    def brier(p: dict[str, float], gold: str) -> float:
        return sum((v - (1.0 if k == gold else 0.0)) ** 2 for k, v in p.items())

    complaints = [i for i, r in enumerate(rows) if r["kind"] == Kind.complaint.value]
    answers = [answer(p) for p in probabilities]
    right = [(r["kind"], r["category"]) == a[:2] for r, a in zip(rows, answers, strict=True)]
    conf = [a[2] for a in answers]
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(conf) if lo <= c < hi or (b == bins - 1 and c == hi)]
        if not members:
            continue
        acc = sum(right[i] for i in members) / len(members)
        mean = sum(conf[i] for i in members) / len(members)
        ece += len(members) / len(rows) * abs(acc - mean)
        table.append((lo, hi, len(members), acc))
    return Calibration(
        brier_urgent=sum(
            (p["urgent"] - float(bool(r["urgent"]))) ** 2 for r, p in zip(rows, probabilities, strict=True)
        )
        / len(rows),
        brier_kind=sum(brier(p["kind"], r["kind"]) for r, p in zip(rows, probabilities, strict=True))
        / len(rows),
        brier_category=sum(brier(probabilities[i]["category"], rows[i]["category"]) for i in complaints)
        / max(1, len(complaints)),
        ece=ece,
        reliability=table,
        mean_confidence=sum(conf) / len(conf),
        accuracy=sum(right) / len(right),
    )
