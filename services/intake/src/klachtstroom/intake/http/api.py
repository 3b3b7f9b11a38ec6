"""Intake's JSON API: register a complaint, see its status, triage a text."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from klachtstroom.contracts.vocabulary import Channel
from klachtstroom.intake.http.status import public_status, staff_view
from klachtstroom.intake.registration import (
    ContactDetails,
    IdempotencyConflict,
    NewComplaint,
    Registrar,
)
from klachtstroom.intake.resident.links import status_url
from klachtstroom.intake.schemas import (
    Accepted,
    ComplaintIn,
    ComplaintStatus,
    StaffComplaint,
    TriageIn,
    TriageOut,
)
from klachtstroom.intake.scope import in_scope, municipality_for_new, scoped
from klachtstroom.intake.store import Complaint, ComplaintMessage, DesiredOutcome
from klachtstroom.platform.audit import audit_subject
from klachtstroom.platform.problems import Problem
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["complaints"])


class ComplaintList(BaseModel):
    items: list[ComplaintStatus]
    next: str | None = None


class MessageOut(BaseModel):
    """A later message about a complaint (an e-mail reply naming its reference)."""

    id: str
    channel: Channel
    subject: str | None
    body: str
    attachments: int
    received_at: datetime


class MessageList(BaseModel):
    items: list[MessageOut]
    next: str | None = None


def _registrar(request: Request) -> Registrar:
    registrar: Registrar = request.app.state.registrar
    return registrar


def new_complaint_from(body: ComplaintIn, now: datetime) -> NewComplaint:
    """The JSON shape (also used by the KCC screen) as the one shape registration takes;
    without a `received_at` it was received `now` (the service clock, which tests move)."""
    contact = body.complainant
    return NewComplaint(
        channel=body.channel,
        description=body.description,
        received_at=body.received_moment(now),
        contact=ContactDetails(contact.name, contact.email, contact.phone, contact.address, contact.bsn),
        municipality=body.municipality,
        unit=body.unit,
        provider=body.provider,
        about_employee=body.about_employee,
        category=body.category,
        kind=body.kind,
        urgent=body.urgent,
        formal=bool(body.formal),
        handover_note=body.handover_note,
        desired_outcome=body.desired_outcome or None,
        provider_may_contact=contact.provider_may_contact,
    )


@router.post("/complaints", status_code=202, response_model=Accepted)
async def submit_complaint(
    body: ComplaintIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Register a complaint from any channel; 202 means it is durably stored."""
    municipality, allowed = municipality_for_new(request, body.municipality)
    if not allowed:
        raise Problem.invalid("municipality", "U kunt alleen klachten registreren voor uw eigen gemeente(n).")
    now = _registrar(request).service.clock.now()
    new = replace(new_complaint_from(body, now), municipality=municipality)
    # Only a request with a key is compared with an earlier one (serialising the body costs).
    request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest() if idempotency_key else ""
    try:
        registered = await _registrar(request).register(
            new, idempotency_key=idempotency_key, request_hash=request_hash, public_base=str(request.base_url)
        )
    except IdempotencyConflict:
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "Deze Idempotency-Key is al gebruikt voor een ander verzoek.",
                    "type": "idempotency_key_reused",
                }
            ],
        ) from None
    audit_subject(request, registered.id)
    assert registered.status_code is not None
    accepted = Accepted(
        id=registered.id,
        reference=registered.reference,
        # The resident's own link (absolute): DESIGN.md's status_url.
        status_url=status_url(_registrar(request).public_base(str(request.base_url)), registered.status_code),
    )
    location = str(request.url_for("complaint_status", complaint_id=registered.id))
    return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": location})


@router.get("/complaints", response_model=ComplaintList)
async def list_complaints(
    request: Request,
    reference: Annotated[str | None, Query(max_length=32)] = None,
    channel: Channel | None = None,
    source_ref: Annotated[str | None, Query(max_length=300, description="an e-mail's Message-ID")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,  # bounded: SQLite integers are 64-bit
) -> ComplaintList:
    """Find complaints by the reference a resident reads out, by channel, or by their source."""
    query = select(Complaint).order_by(Complaint.created_at, Complaint.id).offset(offset).limit(limit)
    if reference:
        query = query.where(Complaint.reference == reference.strip().upper())
    if channel:
        query = query.where(Complaint.channel == channel.value)
    if source_ref:
        query = query.where(Complaint.source_ref == source_ref)
    query = scoped(request, query)
    service: Service = request.app.state.service
    async with service.db.reading() as session:
        rows = (await session.scalars(query)).all()
    following = None
    if len(rows) == limit:
        following = str(request.url.include_query_params(offset=offset + limit))
    return ComplaintList(items=[public_status(c) for c in rows], next=following)


@router.get("/complaints/{complaint_id}/messages", response_model=MessageList)
async def complaint_messages(complaint_id: str, request: Request) -> MessageList:
    """Replies kept with a complaint, oldest first."""
    service: Service = request.app.state.service
    async with service.db.reading() as session:
        in_scope(request, await session.get(Complaint, complaint_id))
        rows = (
            await session.scalars(
                select(ComplaintMessage)
                .where(ComplaintMessage.complaint_id == complaint_id)
                .order_by(ComplaintMessage.received_at, ComplaintMessage.id)
            )
        ).all()
    return MessageList(
        items=[
            MessageOut(
                id=m.id,
                channel=Channel(m.channel),
                subject=m.subject,
                body=m.body,
                attachments=m.attachments,
                received_at=m.received_at if m.received_at.tzinfo else m.received_at.replace(tzinfo=UTC),
            )
            for m in rows
        ]
    )


@router.get("/complaints/{complaint_id}", response_model=StaffComplaint, name="complaint_status")
async def complaint_status(complaint_id: str, request: Request) -> StaffComplaint:
    """The complaint as staff see it, texts included (other services ask here: claim check)."""
    service: Service = request.app.state.service
    async with service.db.reading() as session:
        complaint = await session.get(Complaint, complaint_id)
        desired = await session.get(DesiredOutcome, complaint_id)
    complaint = in_scope(request, complaint)
    return staff_view(complaint).model_copy(update={"desired_outcome": desired.text if desired else None})


@router.post("/triage", response_model=TriageOut)
async def triage_text(body: TriageIn, request: Request, response: Response) -> TriageOut:
    """Classify a text: kind, category, urgency, with reasons. Stores nothing."""
    result = _registrar(request).triage.triage(body.text)
    return TriageOut(
        kind=result.kind,
        category=result.category,
        urgent=result.urgent,
        confidence=result.confidence,
        reasons=list(result.reasons),
        check=result.check,
    )
