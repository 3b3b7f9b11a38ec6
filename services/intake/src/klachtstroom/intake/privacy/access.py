"""A request for access (AVG art. 15): everything every service holds about one person.

Intake's own part (contact details, complaints, messages, attachments, what the resident was
told) is read here; the cases with their history and letters come from routing, the terms from
deadlines, each over its authenticated API through `service.peers` (never its database).
Reporting keeps only anonymous counts; the answer says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.privacy.people import Request, complainants_of, complaints_of
from klachtstroom.intake.store import (
    Attachment,
    Complainant,
    Complaint,
    ComplaintMessage,
    DesiredOutcome,
    Feedback,
    RawMail,
    ResidentUpdate,
)
from klachtstroom.platform.service import Service

REPORTING_NOTE = (
    "De rapportages bevatten alleen anonieme aantallen (kanaal, onderwerp, afdeling, uitkomst, "
    "termijn), geen naam, adres of tekst van de klacht."
)


class PeerUnavailable(Exception):
    """Another service did not answer: an incomplete answer to a request for access is refused."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def contact_details(vault: Vault, person: Complainant) -> dict[str, Any]:
    return {
        "name": vault.decrypt(person.name_enc),
        "email": vault.decrypt(person.email_enc),
        "phone": vault.decrypt(person.phone_enc),
        "address": vault.decrypt(person.address_enc),
        "bsn": vault.decrypt(person.bsn_enc),
        "registered_at": _moment(person.created_at),
    }


async def complaint_record(session: AsyncSession, complaint: Complaint) -> dict[str, Any]:
    messages = (
        await session.scalars(
            select(ComplaintMessage)
            .where(ComplaintMessage.complaint_id == complaint.id)
            .order_by(ComplaintMessage.received_at)
        )
    ).all()
    attachments = (
        await session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id))
    ).all()
    raw_mails = (
        await session.scalars(
            select(RawMail).where(RawMail.complaint_id == complaint.id).order_by(RawMail.created_at)
        )
    ).all()
    updates = (
        await session.scalars(
            select(ResidentUpdate)
            .where(ResidentUpdate.complaint_id == complaint.id)
            .order_by(ResidentUpdate.at)
        )
    ).all()
    desired = await session.get(DesiredOutcome, complaint.id)
    feedback = (await session.scalars(select(Feedback).where(Feedback.complaint_id == complaint.id))).all()
    return {
        "id": complaint.id,
        "reference": complaint.reference,
        "channel": complaint.channel,
        "received_at": _moment(complaint.received_at),
        "description": complaint.description,
        "desired_outcome": desired.text if desired else None,
        "municipality": complaint.municipality,
        "unit": complaint.unit,
        "provider": complaint.provider,
        "about_employee": complaint.about_employee,
        "kind": complaint.kind,
        "category": complaint.category,
        "urgent": complaint.urgent,
        "formal": complaint.formal,
        "provider_may_contact": complaint.provider_may_contact,  # consent given (AVG art. 15)
        "status": complaint.status,
        "outcome": complaint.outcome,
        "handover_note": complaint.handover_note,
        "merged_into": complaint.merged_into,
        "destroyed_at": _moment(complaint.destroyed_at),
        "messages": [
            {
                "channel": m.channel,
                "subject": m.subject,
                "body": m.body,
                "received_at": _moment(m.received_at),
            }
            for m in messages
        ],
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in attachments
        ],
        # The e-mails as they arrived are kept with the file; the person can ask for a copy.
        "original_emails": [{"received_at": _moment(r.created_at), "size": r.size} for r in raw_mails],
        "updates": [{"at": _moment(u.at), "text": u.text} for u in updates],
        "feedback": [{"score": f.score, "heard": f.heard, "comment": f.comment} for f in feedback],
    }


async def _ask(service: Service, peer: str, path: str, params: dict[str, list[str]]) -> Any:
    try:
        response = await service.peers.client(peer).get(path, params=params)
    except Exception:  # httpx errors: the peer is down or unreachable
        raise PeerUnavailable(peer) from None
    if response.status_code != 200:
        raise PeerUnavailable(peer)
    return response.json()


async def dossier(
    service: Service, vault: Vault, request: Request, visible: Callable[[Complaint], bool] | None = None
) -> dict[str, Any] | None:
    """Everything held about the person, or None when nobody matches. `visible` limits it to
    the complaints in the asking staff member's scope (its municipalities); none of them: None."""
    async with service.db.reading() as session:
        people = await complainants_of(session, vault, request)
        if not people:
            return None
        complaints = await complaints_of(session, people)
        if visible is not None:
            complaints = [c for c in complaints if visible(c)]
            if not complaints:
                return None
        records = [await complaint_record(session, c) for c in complaints]
        contacts = [contact_details(vault, p) for p in people]
    ids = [c.id for c in complaints]
    cases: list[Any] = []
    terms: list[Any] = []
    if ids:
        found = await _ask(service, "routing", "/api/v1/privacy/cases", {"complaint_id": ids})
        cases = found["items"]
        for case_id in ids:
            terms += (await _ask(service, "deadlines", "/api/v1/deadlines", {"case_id": [case_id]}))["items"]
    return {
        "generated_at": _moment(service.clock.now()),
        "contact_details": contacts,
        "complaints": records,
        "cases": cases,
        "deadlines": terms,
        "reporting": REPORTING_NOTE,
    }
