"""A person corrects triage: the correction is stored, announced, and learned from.

Signalen's lesson (STYLE.md): classification can be overridden by a person, and every automatic
decision records why. The corrections feed `OverrideMemory`, rebuilt from the table at start-up.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import select

from klachtstroom.contracts.intake_events import ComplaintTriaged
from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.registration import Registrar
from klachtstroom.intake.schemas import TriageOverrideIn
from klachtstroom.intake.store import Complaint, TriageOverride
from klachtstroom.intake.triage import OverrideMemory

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["triage"])

REASON = "Aangepast door een medewerker."


class TriageOverrideOut(BaseModel):
    id: str
    kind: Kind
    category: Category
    urgent: bool
    overridden_by: str


@router.post("/complaints/{complaint_id}/triage", response_model=TriageOverrideOut)
async def override_triage(complaint_id: str, body: TriageOverrideIn, request: Request) -> TriageOverrideOut:
    registrar: Registrar = request.app.state.registrar
    service = registrar.service
    at = service.clock.now()
    async with service.db.transaction() as session:
        complaint = await session.get(Complaint, complaint_id, with_for_update=True)
        if complaint is None:
            raise HTTPException(404, detail="Deze klacht kennen we niet.")
        session.add(
            TriageOverride(
                complaint_id=complaint_id,
                kind=body.kind.value,
                category=body.category.value,
                urgent=body.urgent,
                actor=body.actor,
                at=at,
            )
        )
        complaint.kind = body.kind.value
        complaint.category = body.category.value
        complaint.urgent = body.urgent
        description = complaint.description
        await service.outbox.add(
            session,
            ComplaintTriaged(
                complaint_id=complaint_id,
                kind=body.kind,
                category=body.category,
                urgent=body.urgent,
                confidence=1.0,
                reasons=[REASON],
                overridden_by=body.actor,
                at=at,
            ),
            subject=complaint_id,
        )
    service.outbox.notify()
    registrar.overrides.add(description, body.kind, body.category, body.urgent)
    return TriageOverrideOut(
        id=complaint_id, kind=body.kind, category=body.category, urgent=body.urgent, overridden_by=body.actor
    )


async def load_overrides(registrar: Registrar) -> int:
    """Teach the in-memory OverrideMemory every correction ever made (oldest first)."""
    async with registrar.service.db.reading() as session:
        rows = (
            await session.execute(
                select(
                    Complaint.description, TriageOverride.kind, TriageOverride.category, TriageOverride.urgent
                )
                .join(Complaint, Complaint.id == TriageOverride.complaint_id)
                .order_by(TriageOverride.id)
            )
        ).all()
    memory: OverrideMemory = registrar.overrides
    for description, kind, category, urgent in rows:
        memory.add(description, kind, category, urgent)
    log.info("triage: %d corrections loaded", len(rows))
    return len(rows)
