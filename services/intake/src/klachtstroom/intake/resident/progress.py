"""Where a complaint stands, in words a resident understands (B1): the page and its JSON.

Pure: everything here is computed from what intake stored (the complaint, its progress row,
the timeline, whether feedback was given). Only fixed sentences, dates, the unit or provider
and what the handler wrote to the resident on purpose (the reason of an extension, what is
awaited during a suspension) are shown; never a note, another person's data or a name unless
the municipality allows names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from klachtstroom.contracts import timekeeping

STATUS_TEXT = {
    "received": "We hebben uw klacht ontvangen.",
    "in_handling": "Uw klacht is in behandeling.",
    "waiting": "We wachten op informatie. Daarna gaan we verder met uw klacht.",
    "resolved": "Uw klacht is afgehandeld.",
    "declined": "We nemen uw klacht niet in behandeling. U krijgt hierover een brief met de reden.",
    "withdrawn": "U heeft uw klacht ingetrokken.",
    "ombudsman": "Uw klacht is doorgestuurd naar de ombudsman.",
    "merged": "Uw klacht is samengevoegd met een andere klacht van u over hetzelfde onderwerp.",
    "forwarded": "Uw bericht is geen klacht. We hebben het doorgestuurd naar de juiste plek.",
}

# The judgement in plain words, as part of a sentence ("Ons oordeel: uw klacht is gegrond.").
OUTCOME_TEXT = {
    "upheld": "uw klacht is gegrond. U heeft gelijk",
    "partly_upheld": "uw klacht is voor een deel gegrond. U heeft voor een deel gelijk",
    "not_upheld": "uw klacht is ongegrond. Wij vinden dat we het goed hebben gedaan",
    "mutual_agreement": "we hebben samen een oplossing gevonden",
    "withdrawn": "u heeft uw klacht ingetrokken",
    "inadmissible": "we nemen uw klacht niet in behandeling",
    "no_judgement": "we geven geen oordeel over uw klacht",
}

CLOSED = frozenset({"resolved", "declined", "withdrawn", "ombudsman", "forwarded"})
OMBUDSMAN = "de Nationale ombudsman (www.nationaleombudsman.nl, telefoon 0800 335 55 55)"


def dutch_date(day: date | datetime | None) -> str:
    """'6 december 2026' (timekeeping.dutch_date, in Dutch time); nothing for no date."""
    return "" if day is None else timekeeping.dutch_date(day)


def handler_role(
    kind: str | None, unit: str | None, provider: str | None, name: str | None, *, show_name: bool
) -> str:
    """Who handles the complaint: a role, and a name only when the municipality allows it."""
    if kind == "provider" and provider:
        role = f"een klachtbehandelaar van zorgaanbieder {provider}"
    elif unit:
        role = f"een klachtbehandelaar van de afdeling {unit}"
    else:
        role = "de klachtcoördinator van de gemeente"
    if show_name and name and name.strip().lower() not in {"klachtcoördinator", "klachtcoordinator"}:
        return f"{name.strip()}, {role}"
    return role


@dataclass(frozen=True)
class Update:
    at: datetime
    text: str


@dataclass(frozen=True)
class Standing:
    """Everything the page and the JSON show."""

    reference: str
    status: str
    received_at: datetime
    decision_due: date | None = None
    handler: str = "de klachtcoördinator van de gemeente"
    extended_weeks: int = 0
    extension_reason: str | None = None
    suspended_reason: str | None = None
    outcome: str | None = None
    resolution: str | None = None
    updates: tuple[Update, ...] = ()
    feedback_given: bool = False
    desired_outcome: str | None = None
    steps: tuple[str, ...] = field(default=())

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, STATUS_TEXT["in_handling"])

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    @property
    def feedback_requested(self) -> bool:
        return self.closed and not self.feedback_given

    @property
    def outcome_text(self) -> str | None:
        if self.outcome is None:
            return None
        words = OUTCOME_TEXT.get(self.outcome, self.outcome)
        return words[0].upper() + words[1:] + "."

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "status": self.status,
            "status_text": self.status_text,
            "received_at": self.received_at.isoformat(),
            "decision_due": self.decision_due.isoformat() if self.decision_due else None,
            "updates": [{"at": u.at.isoformat(), "text": u.text} for u in self.updates],
            "outcome": self.outcome,
            "feedback_requested": self.feedback_requested,
            "handler": self.handler,
            "extension": (
                {"weeks": self.extended_weeks, "reason": self.extension_reason,
                 "decision_due": self.decision_due.isoformat() if self.decision_due else None}
                if self.extended_weeks else None
            ),
            "waiting_for": self.suspended_reason if self.status == "waiting" else None,
            "next_steps": list(next_steps(self)),
        }  # fmt: skip


def next_steps(standing: Standing) -> tuple[str, ...]:
    """What the resident can do now; after a formal outcome that is the Nationale ombudsman (Awb 9:12)."""
    status = standing.status
    if status == "waiting":
        awaited = standing.suspended_reason or "de informatie die we u hebben gevraagd"
        return (
            f"Stuur ons zo snel mogelijk: {awaited}.",
            "Zolang we wachten, staat de termijn stil. Daarna gaan we verder met uw klacht.",
        )
    if status in {"received", "in_handling"}:
        steps = []
        if standing.decision_due:
            steps.append(f"U krijgt ons oordeel uiterlijk op {dutch_date(standing.decision_due)}.")
        steps.append(f"Heeft u een vraag? Bel ons en noem uw klachtnummer {standing.reference}.")
        return tuple(steps)
    if status == "resolved" and standing.resolution == "informal":
        return (
            "Bent u toch niet tevreden? Dan kunt u ons vragen uw klacht formeel te behandelen.",
            f"Bent u het daarna nog steeds niet met ons eens? Dan kunt u naar {OMBUDSMAN}.",
        )
    if status in {"resolved", "declined"}:
        return (f"Bent u het niet eens met ons oordeel? Dan kunt u binnen een jaar naar {OMBUDSMAN}.",)
    if status == "ombudsman":
        return ("De ombudsman neemt zelf contact met u op.",)
    if status == "merged":
        return ("U vindt de voortgang bij uw andere klacht. Heeft u een vraag? Bel ons.",)
    return ()


# --- the timeline: one fixed sentence per step of routing's case ---------------------------------

UPDATE_TEXT = {
    "acknowledged": "We hebben bevestigd dat we uw klacht hebben ontvangen.",
    "hearing_held": "We hebben met u gesproken over uw klacht.",
    "suspended": "We wachten op informatie van u. Zolang we wachten, staat de termijn stil.",
    "resumed": "We gaan weer verder met uw klacht.",
    "escalated_formal": (
        "We behandelen uw klacht nu formeel. Iemand die niet bij de zaak betrokken was, behandelt uw klacht."
    ),
    "mediation_started": "We zoeken samen met u naar een oplossing.",
    "withdrawn": "U heeft uw klacht ingetrokken.",
    "declined": "We nemen uw klacht niet in behandeling. U krijgt een brief met de reden.",
    "reopened": "We behandelen uw klacht opnieuw.",
    "ombudsman_referred": "Uw klacht ligt nu bij de Nationale ombudsman.",
}


def handler_update(role: str) -> str:
    return f"Uw klacht wordt nu behandeld door {role}."


def extension_update(weeks: int) -> str:
    unit = "week" if weeks == 1 else "weken"
    return f"We hebben meer tijd nodig om uw klacht goed te behandelen: {weeks} {unit} extra."


def outcome_update(outcome: str) -> str:
    words = OUTCOME_TEXT.get(outcome, outcome)
    return f"Uw klacht is afgehandeld. Ons oordeel: {words}."
