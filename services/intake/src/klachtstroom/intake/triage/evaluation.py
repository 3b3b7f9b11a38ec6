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

__all__ = ["Figures", "cross_validate", "evaluate", "macro_f1", "predict_all"]

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
    dev: Sequence[dict[str, Any]], extra: Sequence[Example], folds: int = 5, seed: int = 1
) -> tuple[Figures, list[dict[str, Any]]]:
    """k-fold cross-validation on the dev set; every fold also trains on ``extra`` (older sets).

    Folds are drawn per stratum (kind, category, urgent) with a seeded shuffle. Returns the
    pooled figures and, per text, the probabilities (for tuning thresholds).
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
        model = TriageModel().fit(train + list(extra))
        for i, p in zip(test, model.probabilities([dev[i]["text"] for i in test]), strict=True):
            preds[i] = _prediction(model.predict(dev[i]["text"]))
            heads[i] = max(p["category"], key=p["category"].get)
            probabilities[i] = p
    done = [p for p in preds if p is not None]
    return evaluate(dev, done, heads), probabilities


def _example(row: dict[str, Any]) -> Example:
    return Example(row["text"], row["kind"], row["category"], bool(row["urgent"]))
