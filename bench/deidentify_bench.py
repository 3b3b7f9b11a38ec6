"""Recall of the de-identification of published free text, on complaint-like Dutch sentences.

``data/deidentify_eval.jsonl``: 40 sentences written like complaints, each with the
identifiers planted in it (names, addresses, postcodes, BSNs, phone numbers, e-mail addresses,
dates). An identifier counts as found when no part of it that identifies (a word of a name
with a capital, a number) survives in the output. Measured for deduce alone and for what
reporting publishes (deduce plus its safety net for numbers).

Run: ``python bench/deidentify_bench.py`` (deduce loads its lookup tables, some seconds).
``run()`` returns rows ``{"name", "value", "unit", "aim", "direction"}`` for ``make bench``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from klachtstroom.reporting.publication.deidentify import deidentify, with_deduce

DATA = Path(__file__).resolve().parent / "data" / "deidentify_eval.jsonl"
AIM = 0.95


TAG = re.compile(r"\[[A-Z_-]+(?:-\d+)?\]")


def leaked_parts(identifier: str, output: str) -> list[str]:
    """What of an identifier is still readable in the output (the tags deduce puts in its place
    aside): the whole identifier, or a part that identifies on its own — a capitalised word, a
    number of 3 digits or more, an e-mail address."""
    text = TAG.sub(" ", output)
    leaks = [identifier] if identifier in text else []
    for part in (p for p in re.split(r"[\s,]+", identifier) if p):
        digits = sum(c.isdigit() for c in part)
        if (digits >= 3 or (part[:1].isupper() and len(part) > 1) or "@" in part) and part in text:
            leaks.append(part)
    numbers = re.sub(r"\D", "", identifier)
    if len(numbers) >= 6 and numbers in re.sub(r"\D", "", text):
        leaks.append(numbers)
    return leaks


def recall(method: Callable[[str], str], rows: list[dict[str, Any]]) -> tuple[float, list[str]]:
    found, total, missed = 0, 0, []
    for row in rows:
        output = method(row["text"])
        for identifier in row["identifiers"]:
            total += 1
            leaks = leaked_parts(identifier, output)
            if leaks:
                missed.append(f"{identifier!r} in {output!r}")
            else:
                found += 1
    return found / total, missed


def run() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    results = []
    for name, method in (("deduce", with_deduce), ("published", deidentify)):
        value, missed = recall(method, rows)
        for miss in missed:
            print(f"   {name}: missed {miss}")
        results.append(
            {"name": f"deidentify.{name}.recall", "value": round(value, 3), "unit": "share",
             "aim": AIM, "direction": "max"}
        )  # fmt: skip
    return results


if __name__ == "__main__":
    for result in run():
        print(f"{result['name']}: {result['value']} (aim {result['aim']})")
