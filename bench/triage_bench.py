"""Triage quality on the blind test set, cross-validation on the dev set, and its speed.

- ``data/triage_blind.jsonl``: the blind test set (see ``data/README.md``), frozen before any
  tuning and never trained or tuned on; its SHA-256 is checked here. Its figures are the aims.
- the development set (``klachtstroom/intake/triage/data/dev.jsonl``) is cross-validated
  (5 folds; each fold also trains on the two older, relabelled sets). Tuning uses these figures.

Run alone: ``.venv/bin/python bench/triage_bench.py`` (blind set and latency, ~10 s);
``--cv`` adds cross-validation (~1 min), ``--errors`` lists the blind set's wrong answers,
``--json out.json`` writes the rows. ``make bench`` calls ``run()``, which includes the CV rows.
Rows are named ``triage.<set>.<metric>``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage import default_model
from klachtstroom.intake.triage.evaluation import Figures, cross_validate, evaluate, predict_all
from klachtstroom.intake.triage.model import Example
from klachtstroom.intake.triage.train import load_set, train

BLIND = Path(__file__).resolve().parent / "data" / "triage_blind.jsonl"
BLIND_SHA256 = "a7e1cacd923ec4c3c35de25bab28f7928c43710bc93f299260c6fbba99453b13"
AIMS = {  # blind set
    "kind_accuracy": 0.90,
    "category_macro_f1": 0.85,  # over the complaints
    "urgent_recall": 0.95,
    "urgent_precision": 0.70,
}
LATENCY_AIM_MS = 10.0  # p99 per text
TRAIN_AIM_S = 30.0  # training from the labelled sets, CPU seconds


def load_blind() -> list[dict[str, Any]]:
    data = BLIND.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != BLIND_SHA256:
        raise SystemExit(f"{BLIND.name} changed since it was frozen (sha256 {digest}); restore it")
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _row(name: str, value: float, unit: str, aim: float, direction: str) -> dict[str, Any]:
    return {"name": name, "value": round(value, 4), "unit": unit, "aim": aim, "direction": direction}


def print_figures(name: str, f: Figures) -> None:
    print(
        f"[{name}] n={f.n}  kind accuracy {f.kind_accuracy:.3f} (macro-F1 {f.kind_macro_f1:.3f})  "
        f"category macro-F1 over complaints {f.category_macro_f1:.3f} "
        f"(category head alone {f.category_macro_f1_head:.3f})  "
        f"urgent recall {f.urgent_recall:.3f} precision {f.urgent_precision:.3f}  "
        f"'controleer de indeling' on {f.checked_share:.0%}, "
        f"catching {f.errors_caught:.0%} of wrong classifications"
    )
    kinds = [k.value for k in Kind]
    print("  kind: gold \\ predicted " + "".join(f"{k[:10]:>11}" for k in kinds))
    for g in kinds:
        print(f"    {g:<20}" + "".join(f"{f.kind_confusion.get((g, p), 0):>11}" for p in kinds))
    cats = [c.value for c in Category]
    print("  category (gold complaints): gold \\ predicted " + "".join(f"{c[:8]:>9}" for c in cats))
    for g in cats:
        if any(k[0] == g for k in f.category_confusion):
            print(f"    {g:<43}" + "".join(f"{f.category_confusion.get((g, p), 0):>9}" for p in cats))
    u = f.urgent_confusion
    print(
        f"  urgent: true positives {u.get((True, True), 0)}, missed {u.get((True, False), 0)}, "
        f"false alarms {u.get((False, True), 0)}, true negatives {u.get((False, False), 0)}"
    )


def latency(texts: list[str]) -> tuple[float, float, float]:
    """p50 and p99 CPU milliseconds per text, and the p99 wall-clock milliseconds."""
    model = default_model()
    model.predict("warm")
    cpu, wall = [], []
    gc.collect()
    for text in texts:
        w, c = time.perf_counter(), time.thread_time()
        model.predict(text)
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    q_cpu = statistics.quantiles(cpu, n=100)
    q_wall = statistics.quantiles(wall, n=100)
    return q_cpu[49], q_cpu[98], q_wall[98]


def run(verbose: bool = True, cv: bool = True, errors: bool = False) -> list[dict[str, Any]]:
    blind = load_blind()
    started = time.process_time()
    train()  # timed once on its own (the default model below is cached per process)
    train_seconds = time.process_time() - started
    model = default_model()
    preds = predict_all(model, [r["text"] for r in blind])
    heads = [
        max(p["category"], key=p["category"].get) for p in model.probabilities([r["text"] for r in blind])
    ]
    figures = evaluate(blind, preds, heads)
    results = [
        _row(f"triage.blind.{m}", v, "ratio", AIMS[m], "max") for m, v in figures.rows().items() if m in AIMS
    ]
    results.append(_row("triage.blind.checked_share", figures.checked_share, "ratio", 0.35, "min"))
    if verbose:
        print_figures("blind", figures)
        if errors:
            for r, p in figures.errors:
                print(
                    f"  [{r.get('form', '')}] gold {r['kind']}/{r['category']}/{r['urgent']}  got "
                    f"{p.kind}/{p.category}/{p.urgent} ({p.confidence:.2f}{', check' if p.check else ''})  "
                    f"{r['text'][:120]}"
                )
    if cv:
        dev = load_set("dev")
        extra = [
            Example(r["text"], r["kind"], r["category"], bool(r["urgent"]))
            for n in ("eval", "fresh")
            for r in load_set(n)
        ]
        cv_figures, _ = cross_validate(dev, extra)
        results += [
            _row(f"triage.dev_cv.{m}", v, "ratio", AIMS[m], "max")
            for m, v in cv_figures.rows().items()
            if m in AIMS
        ]
        if verbose:
            print_figures("dev, 5-fold cross-validation", cv_figures)
    p50, p99, wall99 = latency([r["text"] for r in blind])
    results += [
        _row("triage.latency_p99_cpu", p99, "ms", LATENCY_AIM_MS, "min"),
        _row("triage.latency_p99_wall", wall99, "ms", LATENCY_AIM_MS, "min"),
        _row("triage.train_cpu", train_seconds, "s", TRAIN_AIM_S, "min"),
    ]
    if verbose:
        print(
            f"latency per text: p50 {p50:.2f} ms, p99 {p99:.2f} ms CPU; p99 {wall99:.2f} ms wall clock "
            f"(on a shared machine the wall clock includes waiting for a core); "
            f"training {train_seconds:.1f} s CPU"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cv", action="store_true", help="also cross-validate on the development set")
    parser.add_argument("--errors", action="store_true", help="list the blind set's wrong answers")
    parser.add_argument("--json", type=Path, help="write the result rows to this file")
    args = parser.parse_args(argv)
    results = run(verbose=True, cv=args.cv, errors=args.errors)
    missed = [r for r in results if (r["value"] < r["aim"]) == (r["direction"] == "max")]
    print("aims met" if not missed else "below aim: " + ", ".join(r["name"] for r in missed))
    if args.json:
        args.json.write_text(json.dumps({"results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
