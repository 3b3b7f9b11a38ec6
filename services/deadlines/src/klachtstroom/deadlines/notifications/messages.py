"""The Dutch e-mails of the term watch. Pure: no I/O.

They name the complaint by its reference and case id, the term and its due date, and never
anything about the complainant (no name, address, BSN or description): whoever reads it looks
the complaint up in the case system.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from klachtstroom.contracts.vocabulary import (
    DEADLINE_KIND_LABELS,
    ESCALATION_LEVEL_LABELS,
    DeadlineKind,
    EscalationLevel,
)
from klachtstroom.deadlines.terms.calendar import dutch_date

_ADVICE = {
    DeadlineKind.contact: "Neem persoonlijk contact op met de klager en leg dat vast in de zaak.",
    DeadlineKind.decision: (
        "Handel de klacht af, of verleng de termijn één keer met ten hoogste 4 weken en laat dat "
        "de klager en de betrokken medewerker vóór de einddatum schriftelijk weten (Awb 9:11 lid 2)."
    ),
    DeadlineKind.decline: (
        "Laat de klager schriftelijk en met redenen weten dat de klacht niet wordt behandeld (Awb 9:8)."
    ),
    DeadlineKind.provider_response: "Vraag de zorgaanbieder om een reactie, of neem de klacht terug.",
}
_FOOTER = (
    "Dit bericht is automatisch verstuurd door klachtstroom (termijnbewaking). Het bevat bewust "
    "geen gegevens van de klager: zoek de klacht op met het kenmerk of het zaaknummer."
)


@dataclass(frozen=True)
class TermNotice:
    """What a message is about."""

    step: str  # warning, breach, or a ladder level
    kind: DeadlineKind
    case_id: str
    reference: str | None
    due: dt.date
    working_days: int  # left before the due date (warning) or past it (escalation)
    explanation: Sequence[str] = ()
    organisation: str | None = None  # municipality / unit or provider: never a person


def _level_name(step: str) -> str:
    """The Dutch name of a ladder level (the vocabulary's), or the step itself."""
    levels = {level.value: level for level in EscalationLevel}
    return ESCALATION_LEVEL_LABELS[levels[step]] if step in levels else step


def _days(n: int) -> str:
    return f"{n} werkdag" if n == 1 else f"{n} werkdagen"


def compose(notice: TermNotice) -> tuple[str, str]:
    """(subject, plain-text body) in Dutch."""
    term = DEADLINE_KIND_LABELS[notice.kind]
    ref = notice.reference or notice.case_id
    due = dutch_date(notice.due)
    if notice.step == "warning":
        subject = f"Termijn verloopt bijna: {term} van klacht {ref} eindigt op {due}"
        left = "vandaag" if notice.working_days == 0 else f"over {_days(notice.working_days)}"
        opening = f"De {term} van klacht {ref} eindigt {left}, op {due}."
    elif notice.step == "breach":
        subject = f"Termijn overschreden: {term} van klacht {ref} is verstreken"
        opening = f"De {term} van klacht {ref} is verstreken: de einddatum was {due}."
    else:
        level = _level_name(notice.step)
        subject = f"Escalatie ({level}): {term} van klacht {ref} is overschreden"
        late = (
            f" De termijn is nu {_days(notice.working_days)} overschreden." if notice.working_days > 0 else ""
        )
        opening = (
            f"De {term} van klacht {ref} is verstreken op {due} en de klacht is nog niet afgehandeld.{late} "
            f"U ontvangt dit bericht als {level} in de escalatieladder van de termijnbewaking."
        )
    lines = [opening, "", "Wat nu?", _ADVICE[notice.kind], ""]
    if notice.explanation:
        lines += ["Zo is de einddatum berekend:", *(f"- {line}" for line in notice.explanation), ""]
    lines.append(f"Kenmerk: {ref}")
    lines.append(f"Zaaknummer: {notice.case_id}")
    if notice.organisation:
        lines.append(f"Organisatie: {notice.organisation}")
    lines += ["", _FOOTER]
    return subject, "\n".join(lines)


def _line(notice: TermNotice) -> str:
    term = DEADLINE_KIND_LABELS[notice.kind]
    ref = notice.reference or notice.case_id
    due = dutch_date(notice.due)
    if notice.step == "warning":
        what = f"{term} eindigt op {due}"
    elif notice.step == "breach":
        what = f"{term} is verstreken (einddatum {due})"
    else:
        level = _level_name(notice.step)
        what = f"{term} is verstreken op {due}; escalatie naar u als {level}"
    where = f" ({notice.organisation})" if notice.organisation else ""
    return f"- Klacht {ref}{where}: {what}. Zaaknummer: {notice.case_id}"


def compose_digest(notices: Sequence[TermNotice]) -> tuple[str, str]:
    """One message for everything that needs the same person in one round: (subject, body)."""
    cases = {n.case_id for n in notices}
    count = f"{len(cases)} klacht" if len(cases) == 1 else f"{len(cases)} klachten"
    subject = f"Termijnbewaking: {count} vragen uw aandacht"
    ordered = sorted(notices, key=lambda n: (n.due, n.reference or n.case_id, n.kind.value))
    lines = [
        f"Deze termijnen vragen vandaag uw aandacht ({count}):",
        "",
        *(_line(n) for n in ordered),
        "",
        "Wat nu?",
    ]
    for kind in dict.fromkeys(n.kind for n in ordered):
        lines.append(
            f"- {DEADLINE_KIND_LABELS[kind][:1].upper()}{DEADLINE_KIND_LABELS[kind][1:]}: {_ADVICE[kind]}"
        )
    lines += ["", _FOOTER]
    return subject, "\n".join(lines)
