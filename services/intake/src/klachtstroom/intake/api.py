"""Intake's JSON API: register a complaint, see its status, triage a text."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from klachtstroom.intake.registration import (
    ContactDetails,
    IdempotencyConflict,
    NewComplaint,
    Registrar,
)
from klachtstroom.intake.schemas import (
    Accepted,
    ComplaintIn,
    ComplaintStatus,
    TriageIn,
    TriageOut,
)
from klachtstroom.intake.status import public_status
from klachtstroom.intake.store import Complaint
from klachtstroom.intake.triage import triage
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["complaints"])


def _registrar(request: Request) -> Registrar:
    registrar: Registrar = request.app.state.registrar
    return registrar


@router.post("/complaints", status_code=202, response_model=Accepted)
async def submit_complaint(
    body: ComplaintIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Register a complaint from any channel; 202 means it is durably stored."""
    contact = body.complainant
    new = NewComplaint(
        channel=body.channel,
        description=body.description,
        received_at=body.received_moment(),
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
    )
    request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    try:
        registered = await _registrar(request).register(
            new, idempotency_key=idempotency_key, request_hash=request_hash
        )
    except IdempotencyConflict:
        raise HTTPException(
            422,
            detail=[{
                "loc": ["header", "Idempotency-Key"],
                "msg": "Deze Idempotency-Key is al gebruikt voor een ander verzoek.",
                "type": "idempotency_key_reused",
            }],
        ) from None
    accepted = Accepted(
        id=registered.id,
        reference=registered.reference,
        status_url=str(request.url_for("complaint_status", complaint_id=registered.id)),
    )
    return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": accepted.status_url})


@router.get("/complaints/{complaint_id}", response_model=ComplaintStatus, name="complaint_status")
async def complaint_status(complaint_id: str, request: Request) -> ComplaintStatus:
    service: Service = request.app.state.service
    async with service.db.reading() as session:
        complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise HTTPException(404, detail="Deze klacht kennen we niet.")
    return public_status(complaint)


@router.post("/triage", response_model=TriageOut)
async def triage_text(body: TriageIn, request: Request, response: Response) -> TriageOut:
    """Classify a text: kind, category, urgency, with reasons. Stores nothing."""
    result = triage(body.text, _registrar(request).overrides)
    return TriageOut(
        kind=result.kind,
        category=result.category,
        urgent=result.urgent,
        confidence=result.confidence,
        reasons=list(result.reasons),
    )
