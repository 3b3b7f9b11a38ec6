"""De-identification of free text before it is published, with `deduce` (Dutch de-identification).

deduce finds names, addresses, places, dates, ages, phone numbers, BSNs, e-mail addresses and
URLs in Dutch text and replaces them with tags ("[PERSOON-1]"). A few regular expressions
behind it catch what a resident writes that deduce can miss (a BSN with spaces, a phone number
in groups, a postcode), because a missed BSN cannot be taken back once published.

deduce builds its lookup tables on first use (about 75 s): `deploy/install.sh` builds them
when installing, so a request only loads them (a few seconds, once per process).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

_LOCK = threading.Lock()

_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
# After deduce: what a resident may still have written that identifies someone (deduce leaves
# a date without a year, "5 februari", and a month with a year, "oktober 2025").
_SAFETY_NET = (
    (re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})\b(?:\s+\d{{4}})?", re.IGNORECASE), "[DATUM]"),
    (re.compile(rf"\b(?:{_MONTHS})\s+\d{{4}}\b", re.IGNORECASE), "[DATUM]"),
    (re.compile(r"\b\d{3}[ .-]?\d{3}[ .-]?\d{3}\b"), "[BSN]"),  # BSN, also 123 456 782
    (re.compile(r"(?:\+31|0031|\b0)[\s-]?(?:\d[\s-]?){9}\b"), "[TELEFOONNUMMER]"),
    (re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b"), "[POSTCODE]"),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "[E-MAILADRES]"),
)


@lru_cache(maxsize=1)
def _deduce() -> Any:
    from deduce import Deduce  # loaded on first use: its lookup tables take seconds to read

    with _LOCK:
        return Deduce()


def with_deduce(text: str) -> str:
    """deduce alone (measured separately in bench/deidentify_bench.py)."""
    return str(_deduce().deidentify(text).deidentified_text)


def with_safety_net(text: str) -> str:
    for pattern, tag in _SAFETY_NET:
        text = pattern.sub(tag, text)
    return text


def deidentify(text: str) -> str:
    """The text with names, addresses, dates, phone numbers, BSNs and e-mail addresses replaced."""
    if not text.strip():
        return text
    return with_safety_net(with_deduce(text))


def warm_up() -> None:
    """Load (or, on a fresh install, build) deduce's lookup tables: `deploy/install.sh` calls it."""
    _deduce()


if __name__ == "__main__":
    warm_up()
