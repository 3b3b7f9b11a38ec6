"""The status of a complaint in words a resident understands (B1)."""

from __future__ import annotations

from datetime import UTC, datetime

from klachtstroom.contracts.vocabulary import Category, Channel, Kind
from klachtstroom.intake.schemas import ComplaintStatus, StaffComplaint
from klachtstroom.intake.store import Complaint

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

# Case states of routing, mapped onto what the complainant sees.
CASE_STATE_TO_STATUS = {
    "received": "received",
    "assigned": "in_handling",
    "referred": "in_handling",
    "acknowledged": "in_handling",
    "informal": "in_handling",
    "formal": "in_handling",
    "suspended": "waiting",
    "resolved": "resolved",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "ombudsman": "ombudsman",
    "forwarded": "forwarded",
    "merged": "merged",
}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def public_status(complaint: Complaint) -> ComplaintStatus:
    status = "merged" if complaint.merged_into else complaint.status
    return ComplaintStatus(
        id=complaint.id,
        reference=complaint.reference,
        status=status,
        status_text=STATUS_TEXT.get(status, STATUS_TEXT["in_handling"]),
        channel=Channel(complaint.channel),
        kind=Kind(complaint.kind),
        category=Category(complaint.category),
        received_at=_aware(complaint.received_at),
        updated_at=_aware(complaint.status_at),
        outcome=complaint.outcome,
    )


def staff_view(complaint: Complaint) -> StaffComplaint:
    """The complaint with its texts, for staff and for services that need the text (claim check)."""
    return StaffComplaint(
        **public_status(complaint).model_dump(),
        description=complaint.description,
        about_employee=complaint.about_employee,
        handover_note=complaint.handover_note,
        municipality=complaint.municipality,
        unit=complaint.unit,
        provider=complaint.provider,
        urgent=complaint.urgent,
        formal=complaint.formal,
    )
