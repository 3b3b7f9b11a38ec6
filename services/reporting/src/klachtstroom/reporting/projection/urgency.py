"""Why a complaint is urgent, in Dutch words fit for the college: no personal data.

Triage reasons may quote the resident's own words (`Woord "..." wijst op ...`). A quote can
hold a name or an address, so only the ground it points to is kept; anything else with a
quotation mark in it is dropped rather than risked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GIVEN_AT_INTAKE = "Bij de registratie als urgent aangemerkt."
TRIAGE = "De automatische beoordeling (triage) wijst op urgentie."
OVERRIDDEN = "Een medewerker heeft de klacht als urgent aangemerkt."
OPENED = "De zaak is als urgent geopend."

_POINTS_TO = re.compile(r"\b(?:wijst|wijzen) op (?P<ground>[^\"“”]+?)\.?$")
_QUOTES = ('"', "“", "”", "'")
MAX_REASON = 160


def safe_reason(reason: str) -> str | None:
    """A triage reason without quoted text: 'Aanwijzing voor <ground>.', or None if unsafe."""
    text = " ".join(reason.split())
    if text.lower().startswith("urgent:"):
        text = text[len("urgent:") :].strip()
    match = _POINTS_TO.search(text)
    if match:
        return f"Aanwijzing voor {match.group('ground').strip()}."
    if any(q in text for q in _QUOTES) or any(ch.isdigit() for ch in text) or len(text) > MAX_REASON:
        return None  # could quote the complaint (names, addresses, numbers): leave it out
    return text if text.endswith(".") else text + "."


def urgent_triage_reasons(reasons: Iterable[str]) -> list[str]:
    """The safe form of the reasons that triage gave for urgency (those starting 'Urgent')."""
    safe = (safe_reason(r) for r in reasons if r.strip().lower().startswith("urgent"))
    return [r for r in safe if r is not None]
