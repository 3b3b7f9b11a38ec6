"""`make bench`: run every benchmark, print a summary, write bench/results/latest.json.

Figures that compare (pipeline vs raw aiokafka) are measured side by side in one run, because
these machines are noisy; each row states its aim as a number.

Run a part alone with ``--only``: ``.venv/bin/python bench/run.py --only triage`` (names without
the ``_bench`` suffix; repeat or comma-separate for more). Then only that part's rows in
latest.json are replaced; the other benchmarks' rows from earlier runs are kept, each row
saying which benchmark wrote it (``bench``) and when (``measured``), and whether its aim is ``met``.
``--quick`` shortens the benchmarks under load (10 s of load, fewer rebuild events); see
bench/README.md for what every row means.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "deploy"))
sys.path.insert(0, str(HERE.parent / "deploy" / "kafka"))

BENCHMARKS = (
    "triage_bench",
    "deidentify_bench",
    "deadlines_bench",
    "calendar_bench",
    "pipeline_bench",
    "scaleout_bench",
    "intake_bench",
    "rebuild_bench",
    "reports_bench",
)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def met(row: dict[str, Any]) -> bool:
    if row["direction"] == "max":
        return bool(row["value"] >= row["aim"])
    return bool(row["value"] <= row["aim"])


def selected(argv: list[str]) -> list[str]:
    """The benchmarks named on the command line (``--only triage``, or bare names), else all."""
    names: set[str] = set()
    for arg in argv:
        if arg in ("--only", "--quick"):
            continue
        for part in arg.removeprefix("--only=").split(","):
            if part:
                name = part if part.endswith("_bench") else f"{part}_bench"
                if name not in BENCHMARKS:
                    raise SystemExit(f"unknown benchmark {part!r}; choose from {', '.join(BENCHMARKS)}")
                names.add(name)
    return [n for n in BENCHMARKS if not names or n in names]


# Rows about the run as a whole (its length); written only when every benchmark ran.
WHOLE_RUN = "run"
WHOLE_RUN_AIM_MINUTES = 15.0


def merge(
    previous: list[dict[str, Any]], fresh: list[dict[str, Any]], ran: list[str]
) -> list[dict[str, Any]]:
    """The fresh rows, plus the earlier rows of the benchmarks that did not run this time.

    A whole-run row is kept from an earlier full run until the next full run replaces it.
    """
    fresh_whole = any(r["bench"] == WHOLE_RUN for r in fresh)
    kept = [
        r
        for r in previous
        if (r.get("bench") in BENCHMARKS and r.get("bench") not in ran)
        or (r.get("bench") == WHOLE_RUN and not fresh_whole)
    ]
    order = (*BENCHMARKS, WHOLE_RUN)
    return sorted(kept + fresh, key=lambda r: order.index(r["bench"]))


def whole_run_rows(seconds_per_part: dict[str, float]) -> list[dict[str, Any]]:
    """The length of a full `make bench` (aim: under 15 minutes), with each part's share."""
    total = sum(seconds_per_part.values())
    parts = ", ".join(f"{name} {secs:.0f} s" for name, secs in seconds_per_part.items())
    return [
        {
            "name": "bench.whole_run_minutes",
            "value": round(total / 60, 2),
            "unit": "min",
            "aim": WHOLE_RUN_AIM_MINUTES,
            "direction": "min",
            "how": f"wall-clock time of every benchmark in one `make bench` run: {parts}",
        }
    ]


def main() -> int:
    if "--quick" in sys.argv[1:]:
        # Benchmarks under load run for seconds instead of a minute (while developing).
        os.environ["KLACHTSTROOM_BENCH_QUICK"] = "1"
    ran = selected(sys.argv[1:])
    results: list[dict[str, Any]] = []
    when = machine()["when"]
    seconds_per_part: dict[str, float] = {}
    for name in ran:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        rows = import_module(name).run()
        results.extend({**row, "met": met(row), "bench": name, "measured": when} for row in rows)
        seconds_per_part[name] = time.perf_counter() - started
        print(f"   ({seconds_per_part[name]:.1f}s)", flush=True)
    if len(ran) == len(BENCHMARKS):
        results.extend(
            {**row, "met": met(row), "bench": WHOLE_RUN, "measured": when}
            for row in whole_run_rows(seconds_per_part)
        )
    out = HERE / "results" / "latest.json"
    previous: list[dict[str, Any]] = []
    if len(ran) < len(BENCHMARKS) and out.exists():
        try:
            previous = json.loads(out.read_text()).get("results", [])
        except (ValueError, AttributeError):
            previous = []
    all_rows = merge(previous, results, ran)
    out.write_text(json.dumps({"machine": machine(), "results": all_rows}, indent=2) + "\n")
    print("\nname".ljust(52) + "value".rjust(14) + "  unit".ljust(10) + "aim".rjust(12) + "  met")
    for row in all_rows:
        print(
            f"{row['name']:<51}{row['value']:>14.4g}  {row['unit']:<8}{row['aim']:>12.4g}  "
            f"{'yes' if met(row) else 'NO'}"
        )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
