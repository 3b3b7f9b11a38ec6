"""Flags: what the complaints coordinator must look at on a case, each with a Dutch text.

Derived from the case and its history (never stored apart), so a flag disappears as soon as
what caused it is dealt with: a missing hearing report is added, a person routes the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from klachtstroom.routing.case.domain import Case

UNREGISTERED_PROVIDER = (
    "Zorgaanbieder '{provider}' staat niet in het register. Registreer de zorgaanbieder "
    "(met contactgegevens) voordat de klacht kan worden overgedragen."
)
# Awb 9:10 lid 3: a report is made of the hearing.
REPORT_MISSING = "Hoorzitting gehouden, verslag ontbreekt (Awb 9:10 lid 3). Voeg het verslag toe."
CHECK_TRIAGE = (
    "Controleer de indeling: de automatische triage was niet zeker (zekerheid {pct}%). "
    "De klacht is met de beste schatting gerouteerd; pas soort of categorie aan als die niet klopt."
)


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str
    at: datetime | None

    def resource(self) -> dict[str, str | None]:
        return {"kind": self.kind, "text": self.text, "at": self.at.isoformat() if self.at else None}


@dataclass(frozen=True)
class Opened:
    """What the opening of the case recorded (its first history entry)."""

    at: datetime
    unknown_fields: Sequence[str]
    explanation: str
    triage_confidence: float | None = None  # set when triage was unsure ("controleer de indeling")


def case_flags(
    case: Case, *, routed_by_person: bool, opened: Opened | None, provider_registered: bool = True
) -> list[Flag]:
    flags: list[Flag] = []
    if case.provider and not provider_registered and not case.is_closed:
        # DESIGN: still handler kind `provider` in reports; no hand-over until it is registered.
        text = UNREGISTERED_PROVIDER.format(provider=case.provider)
        flags.append(Flag("unregistered_provider", text, opened.at if opened else None))
    if opened is not None and opened.unknown_fields and not routed_by_person:
        flags.append(Flag("unknown_routing_value", opened.explanation, opened.at))
    if opened is not None and opened.triage_confidence is not None and not routed_by_person:
        pct = round(opened.triage_confidence * 100)
        flags.append(Flag("check_triage", CHECK_TRIAGE.format(pct=pct), opened.at))
    if case.hearing_report_missing:
        flags.append(Flag("hearing_report_missing", REPORT_MISSING, case.heard_at))
    return flags
