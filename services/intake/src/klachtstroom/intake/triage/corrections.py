"""A person corrects triage: the correction is stored, announced, learned from, and can be undone.

Signalen's lesson (STYLE.md): classification can be overridden by a person, and every automatic
decision records why. Each correction keeps who made it, when, and what triage had said; the
coordinator lists them (``GET /api/v1/triage/overrides``) and undoes one
(``POST /api/v1/triage/overrides/{id}/undo``): the triage forgets it at once, and the next
retraining leaves it out. Undoing does not change the complaint's classification itself (that
is a new correction); it only withdraws what was taught.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from klachtstroom.contracts.intake_events import ComplaintTriaged
from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.registration import Registrar
from klachtstroom.intake.schemas import TriageOverrideIn
from klachtstroom.intake.scope import in_scope, scoped, sees
from klachtstroom.intake.store import Complaint, TriageOverride
from klachtstroom.intake.triage.engine import Origin, TriageEngine
from klachtstroom.intake.triage.overrides import Correction, OverrideMemory
from klachtstroom.platform.ids import RowId
from klachtstroom.platform.service import Service

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["triage"])

REASON = "Aangepast door een medewerker."


class TriageOverrideOut(BaseModel):
    id: str
    kind: Kind
    category: Category
    urgent: bool
    overridden_by: str
    override_id: int | None = None


class TriageVerdictOut(BaseModel):
    kind: Kind | None = None
    category: Category | None = None
    urgent: bool | None = None
    confidence: float | None = None


class CorrectionOut(BaseModel):
    """One correction, as the audit shows it: no text, no personal data beyond the actor."""

    id: int
    complaint_id: str
    reference: str | None
    kind: Kind
    category: Category
    urgent: bool
    actor: str
    at: datetime
    previous: TriageVerdictOut | None
    undone_by: str | None
    undone_at: datetime | None
    learned: bool = Field(description="remembered by the triage now (not undone, within the bound)")
    in_model: bool = Field(description="part of the model in use (since the last retraining)")


class CorrectionList(BaseModel):
    items: list[CorrectionOut]
    next: str | None = None
    limit: int = Field(description="at most this many corrections are learned from: the newest")


class UndoIn(BaseModel):
    actor: str = Field(min_length=1, max_length=200)


class ModelOut(BaseModel):
    trained_at: str | None
    corrections: int
    correction_ids: list[int]
    fingerprint: str | None
    remembered: int
    origin: Origin | None = Field(
        default=None,
        description="where the model in use came from: retrained (with corrections), installed (trained"
        " at install) or trained_at_start (by this process: no install step ran for this code); null until"
        " it is loaded",
    )


@router.post("/complaints/{complaint_id}/triage", response_model=TriageOverrideOut)
async def override_triage(complaint_id: str, body: TriageOverrideIn, request: Request) -> TriageOverrideOut:
    registrar: Registrar = request.app.state.registrar
    service = registrar.service
    at = service.clock.now()
    async with service.db.transaction() as session:
        complaint = in_scope(request, await session.get(Complaint, complaint_id, with_for_update=True))
        row = TriageOverride(
            complaint_id=complaint_id,
            kind=body.kind.value,
            category=body.category.value,
            urgent=body.urgent,
            actor=body.actor,
            at=at,
            previous={k: complaint.triage.get(k) for k in ("kind", "category", "urgent", "confidence")}
            if isinstance(complaint.triage, dict)
            else None,
        )
        session.add(row)
        complaint.kind = body.kind.value
        complaint.category = body.category.value
        complaint.urgent = body.urgent
        description = complaint.description
        await session.flush()
        override_id = row.id
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
    registrar.overrides.add(
        Correction(
            override_id, complaint_id, description, body.kind, body.category, body.urgent, body.actor, at
        )
    )
    return TriageOverrideOut(
        id=complaint_id,
        kind=body.kind,
        category=body.category,
        urgent=body.urgent,
        overridden_by=body.actor,
        override_id=override_id,
    )


@router.get("/triage/overrides", response_model=CorrectionList)
async def list_overrides(request: Request, include_undone: bool = True) -> CorrectionList:
    """Who taught the triage what, and when; newest first."""
    registrar: Registrar = request.app.state.registrar
    async with registrar.service.db.reading() as session:
        query = (
            select(TriageOverride, Complaint.reference)
            .join(Complaint, Complaint.id == TriageOverride.complaint_id, isouter=True)
            .order_by(TriageOverride.id.desc())
        )
        if not include_undone:
            query = query.where(TriageOverride.undone_at.is_(None))
        query = scoped(request, query)
        rows = (await session.execute(query)).all()
    remembered = {c.id for c in registrar.overrides.corrections()}
    trained = registrar.triage.trained
    in_model = set(trained.correction_ids) if trained is not None else set()
    return CorrectionList(
        items=[_out(row, reference, row.id in remembered, row.id in in_model) for row, reference in rows],
        limit=registrar.overrides.limit,
    )


@router.post("/triage/overrides/{override_id}/undo", response_model=CorrectionOut)
async def undo_override(override_id: RowId, body: UndoIn, request: Request) -> CorrectionOut:
    """Withdraw what a correction taught: forgotten now, left out of the next retraining."""
    registrar: Registrar = request.app.state.registrar
    service = registrar.service
    async with service.db.transaction() as session:
        row = await session.get(TriageOverride, override_id, with_for_update=True)
        owner = await session.get(Complaint, row.complaint_id) if row is not None else None
        if row is None or (owner is not None and not sees(request, owner)):
            raise HTTPException(404, detail="Deze correctie kennen we niet.")
        if row.undone_at is not None:
            raise HTTPException(409, detail="Deze correctie is al ongedaan gemaakt.")
        row.undone_by = body.actor
        row.undone_at = service.clock.now()
        complaint = await session.get(Complaint, row.complaint_id)
        reference = complaint.reference if complaint is not None else None
    registrar.overrides.undo(override_id)
    # An earlier, still valid correction of the same complaint counts again.
    await load_overrides(registrar)
    trained = registrar.triage.trained
    return _out(row, reference, False, trained is not None and override_id in trained.correction_ids)


@router.get("/triage/model", response_model=ModelOut)
async def model_status(request: Request) -> ModelOut:
    """What the triage model in use learned from."""
    registrar: Registrar = request.app.state.registrar
    trained = registrar.triage.trained
    return ModelOut(
        trained_at=trained.trained_at if trained else None,
        corrections=trained.corrections if trained else 0,
        correction_ids=list(trained.correction_ids) if trained else [],
        fingerprint=trained.fingerprint if trained else None,
        remembered=len(registrar.overrides),
        origin=registrar.triage.origin,
    )


def _out(row: TriageOverride, reference: str | None, learned: bool, in_model: bool) -> CorrectionOut:
    previous: dict[str, Any] | None = row.previous
    return CorrectionOut(
        id=row.id,
        complaint_id=row.complaint_id,
        reference=reference,
        kind=Kind(row.kind),
        category=Category(row.category),
        urgent=row.urgent,
        actor=row.actor,
        at=row.at,
        previous=TriageVerdictOut(**previous) if previous else None,
        undone_by=row.undone_by,
        undone_at=row.undone_at,
        learned=learned,
        in_model=in_model,
    )


async def _accepted(service: Service) -> list[Correction]:
    """Every correction not undone, oldest first (the memory keeps the newest within its bound)."""
    async with service.db.reading() as session:
        rows = (
            await session.execute(
                select(TriageOverride, Complaint.description)
                .join(Complaint, Complaint.id == TriageOverride.complaint_id)
                .where(TriageOverride.undone_at.is_(None))
                .order_by(TriageOverride.id)
            )
        ).all()
    return [
        Correction(
            row.id,
            row.complaint_id,
            description,
            Kind(row.kind),
            Category(row.category),
            row.urgent,
            row.actor,
            row.at,
        )
        for row, description in rows
    ]


async def load_overrides(registrar: Registrar) -> int:
    """Teach the triage every accepted correction (oldest first, bounded).

    A correction made while the corrections are read (at start-up the read runs beside the
    first requests) is kept: it is newer than what the read saw, so it goes in last.
    """
    memory = registrar.overrides
    before = {c.id for c in memory.corrections()}
    fresh = OverrideMemory(memory.limit)
    for correction in await _accepted(registrar.service):
        fresh.add(correction)
    arrived = [c for c in memory.corrections() if c.id not in before]
    for known in [c.id for c in memory.corrections()]:
        memory.undo(known)
    for correction in [*fresh.corrections(), *arrived]:
        memory.add(correction)
    log.info("triage: %d corrections remembered", len(memory))
    return len(memory)


async def retrain(service: Service) -> str:
    """``klachtstroom-intake retrain-triage``: labelled sets plus accepted corrections -> model file."""
    memory = OverrideMemory()
    for correction in await _accepted(service):
        memory.add(correction)
    engine = TriageEngine(service.settings.service_dir("intake"), memory)
    trained = await asyncio.to_thread(engine.retrain)
    await service.db.dispose()
    return (
        f"Triage opnieuw getraind op {trained.trained_at}: de gelabelde sets plus {trained.corrections} "
        f"correcties; opgeslagen in {engine.path}. De draaiende dienst gebruikt het binnen een minuut."
    )
