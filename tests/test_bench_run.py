"""bench/run.py: which rows a partial run keeps, and the whole-run length row."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH_RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH_RUN)
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run


def test_the_whole_run_row_sums_every_part_against_fifteen_minutes() -> None:
    run = load_run()
    rows = run.whole_run_rows({"triage_bench": 90.0, "reports_bench": 570.0, "intake_bench": 300.0})
    (row,) = rows
    assert row["name"] == "bench.whole_run_minutes"
    assert row["value"] == 16.0
    assert row["aim"] == 15.0 and row["direction"] == "min"
    assert not run.met(row)
    assert "reports_bench 570 s" in row["how"]


def test_a_partial_run_keeps_the_last_whole_run_row_and_a_full_run_replaces_it() -> None:
    run = load_run()
    whole = {"name": "bench.whole_run_minutes", "bench": run.WHOLE_RUN, "value": 16.0}
    old = [whole, {"name": "triage.x", "bench": "triage_bench", "value": 1}]
    partial = run.merge(old, [{"name": "triage.x", "bench": "triage_bench", "value": 2}], ["triage_bench"])
    assert [(r["name"], r["value"]) for r in partial] == [
        ("triage.x", 2),
        ("bench.whole_run_minutes", 16.0),
    ]
    fresh_whole = {"name": "bench.whole_run_minutes", "bench": run.WHOLE_RUN, "value": 14.0}
    full = run.merge(old, [fresh_whole], list(run.BENCHMARKS))
    assert [(r["name"], r["value"]) for r in full] == [("bench.whole_run_minutes", 14.0)]
