"""Duplicates workflow: see what registration suspected, and let a person merge (never automatic)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from klachtstroom.contracts.intake_events import ComplaintsMerged
from klachtstroom.contracts.vocabulary import Channel
from klachtstroom.intake.scope import in_scope, sees
from klachtstroom.intake.store import Complaint, DuplicateSuspicion
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["duplicates"])


class DuplicateOut(BaseModel):
    id: str
    reference: str
    channel: Channel
    received_at: datetime
    status: str
    merged_into: str | None
    relation: str = Field(description="'earlier': this one may repeat it; 'later': it may repeat this one")
    score: float
    reasons: list[str]


class DuplicateList(BaseModel):
    items: list[DuplicateOut]
    next: str | None = None


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    into: str = Field(min_length=1, max_length=36, description="the complaint that is kept")
    actor: str = Field(
        default="klachtcoördinator", min_length=1, max_length=200, description="who decided to merge"
    )


class MergeOut(BaseModel):
    id: str
    merged_into: str
    actor: str
    at: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/complaints/{complaint_id}/duplicates", response_model=DuplicateList)
async def list_duplicates(complaint_id: str, request: Request) -> DuplicateList:
    """Complaints that registration suspected to be about the same matter, in both directions."""
    async with _service(request).db.reading() as session:
        in_scope(request, await session.get(Complaint, complaint_id))
        suspicions = (
            await session.scalars(
                select(DuplicateSuspicion)
                .where(
                    or_(
                        DuplicateSuspicion.complaint_id == complaint_id,
                        DuplicateSuspicion.duplicate_of == complaint_id,
                    )
                )
                .order_by(DuplicateSuspicion.id)
            )
        ).all()
        items: list[DuplicateOut] = []
        for suspicion in suspicions:
            earlier = suspicion.complaint_id == complaint_id
            other_id = suspicion.duplicate_of if earlier else suspicion.complaint_id
            other = await session.get(Complaint, other_id)
            if other is None or not sees(request, other):
                continue  # a complaint of another municipality is not revealed
            items.append(
                DuplicateOut(
                    id=other.id,
                    reference=other.reference,
                    channel=Channel(other.channel),
                    received_at=_aware(other.received_at),
                    status="merged" if other.merged_into else other.status,
                    merged_into=other.merged_into,
                    relation="earlier" if earlier else "later",
                    score=suspicion.score,
                    reasons=list(suspicion.reasons),
                )
            )
    return DuplicateList(items=items)


@router.post("/complaints/{complaint_id}/merge", response_model=MergeOut)
async def merge_complaint(complaint_id: str, body: MergeIn, request: Request) -> MergeOut:
    """Merge this complaint into `into` (kept). A person decides; 409 when either is merged already."""
    service = _service(request)
    if body.into == complaint_id:
        raise HTTPException(422, detail="Een klacht kan niet met zichzelf worden samengevoegd.")
    at = service.clock.now()
    async with service.db.transaction() as session:
        merged = await session.get(Complaint, complaint_id, with_for_update=True)
        kept = await session.get(Complaint, body.into, with_for_update=True)
        merged = in_scope(request, merged)
        if kept is None or not sees(request, kept):
            raise HTTPException(422, detail="De klacht waarmee u wilt samenvoegen, kennen we niet.")
        if merged.merged_into is not None:
            raise HTTPException(
                409, detail=f"Klacht {merged.reference} is al samengevoegd met een andere klacht."
            )
        if kept.merged_into is not None:
            raise HTTPException(
                409,
                detail=f"Klacht {kept.reference} is zelf al samengevoegd. Kies de klacht die bewaard is.",
            )
        merged.merged_into = kept.id
        merged.status_at = at
        await service.outbox.add(
            session,
            ComplaintsMerged(complaint_id=kept.id, merged_id=merged.id, actor=body.actor, at=at),
            subject=kept.id,
        )
    service.outbox.notify()
    return MergeOut(id=complaint_id, merged_into=body.into, actor=body.actor, at=at)
