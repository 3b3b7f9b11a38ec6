"""`make bench`: run every benchmark, print a summary, write bench/results/latest.json.

Figures that compare (pipeline vs raw aiokafka) are measured side by side in one run, because
these machines are noisy; each row states its aim as a number.
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

BENCHMARKS = ("triage_bench", "deidentify_bench", "deadlines_bench", "pipeline_bench")


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


def main() -> int:
    only = set(sys.argv[1:])
    results: list[dict[str, Any]] = []
    for name in BENCHMARKS:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        rows = import_module(name).run()
        results.extend(rows)
        print(f"   ({time.perf_counter() - started:.1f}s)", flush=True)
    out = HERE / "results" / "latest.json"
    out.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    print("\nname".ljust(52) + "value".rjust(14) + "  unit".ljust(10) + "aim".rjust(12) + "  met")
    for row in results:
        print(
            f"{row['name']:<51}{row['value']:>14.4g}  {row['unit']:<8}{row['aim']:>12.4g}  "
            f"{'yes' if met(row) else 'NO'}"
        )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
