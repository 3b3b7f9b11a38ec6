"""Staff API of the resident's messages: the municipality's own wording (admin), the print queue
of letters for residents without e-mail, and what was sent about a complaint (no texts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident.messages import PRINT
from klachtstroom.intake.resident.wording import DEFAULTS, KINDS, VARIABLES, Wording, WordingRefused, check
from klachtstroom.intake.store import Complaint, MessageTemplate, ResidentMessage
from klachtstroom.platform.ids import RowId
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["resident messages"])


class TemplateOut(BaseModel):
    kind: str
    subject: str
    body: str
    variables: list[str]
    edited: bool


class TemplateIn(BaseModel):
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class TemplateList(BaseModel):
    items: list[TemplateOut]
    next: str | None = None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _out(kind: str, row: MessageTemplate | None) -> TemplateOut:
    wording = Wording(row.subject, row.body) if row else DEFAULTS[kind]
    return TemplateOut(
        kind=kind, subject=wording.subject, body=wording.body,
        variables=["organisation", "reference", *VARIABLES[kind]], edited=row is not None,
    )  # fmt: skip


@router.get("/message-templates", response_model=TemplateList)
async def list_templates(request: Request) -> TemplateList:
    async with _service(request).db.reading() as session:
        rows = {r.kind: r for r in (await session.scalars(select(MessageTemplate))).all()}
    return TemplateList(items=[_out(kind, rows.get(kind)) for kind in KINDS])


@router.put("/message-templates/{kind}", response_model=TemplateOut)
async def put_template(kind: str, body: TemplateIn, request: Request) -> TemplateOut:
    """Store a municipality's own wording; refused (422) when it would not render."""
    if kind not in DEFAULTS:
        raise HTTPException(404, detail="Dit soort bericht kennen we niet.")
    wording = Wording(body.subject, body.body)
    try:
        check(kind, wording)
    except WordingRefused as refused:
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body", "body"], "msg": f"Deze tekst werkt niet: {refused}", "type": "template"}
            ],
        ) from None
    async with _service(request).db.transaction() as session:
        row = await session.get(MessageTemplate, kind)
        if row is None:
            row = MessageTemplate(kind=kind)
            session.add(row)
        row.subject, row.body = wording.subject, wording.body
        row.updated_by = "medewerker"
        row.updated_at = datetime.now(UTC)
    return _out(kind, row)


@router.delete("/message-templates/{kind}", status_code=204)
async def reset_template(kind: str, request: Request) -> None:
    """Back to the wording that ships with klachtstroom."""
    if kind not in DEFAULTS:
        raise HTTPException(404, detail="Dit soort bericht kennen we niet.")
    async with _service(request).db.transaction() as session:
        row = await session.get(MessageTemplate, kind)
        if row is not None:
            await session.delete(row)


class MessageOut(BaseModel):
    id: int
    complaint_id: str
    kind: str
    channel: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class MessageList(BaseModel):
    items: list[MessageOut]
    next: str | None = None


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@router.get("/resident-messages", response_model=MessageList)
async def list_messages(
    request: Request,
    complaint_id: Annotated[str | None, Query(max_length=36)] = None,
    state: Annotated[str | None, Query(max_length=10)] = None,
) -> MessageList:
    """What was (or will be) sent to residents; without addresses or texts."""
    query = select(ResidentMessage).order_by(ResidentMessage.id).limit(500)
    if complaint_id:
        query = query.where(ResidentMessage.complaint_id == complaint_id)
    if state:
        query = query.where(ResidentMessage.state == state)
    async with _service(request).db.reading() as session:
        rows = (await session.scalars(query)).all()
    return MessageList(items=[
        MessageOut(id=r.id, complaint_id=r.complaint_id, kind=r.kind, channel=r.channel, state=r.state,
                   attempts=r.attempts, created_at=_aware(r.created_at) or datetime.now(UTC),
                   sent_at=_aware(r.sent_at))
        for r in rows
    ])  # fmt: skip


class LetterOut(BaseModel):
    id: int
    complaint_id: str
    reference: str
    kind: str
    address: str
    subject: str
    body: str
    created_at: datetime


class LetterList(BaseModel):
    items: list[LetterOut]
    next: str | None = None


@router.get("/print-queue", response_model=LetterList)
async def print_queue(request: Request) -> LetterList:
    """Letters for residents without e-mail, written out and waiting to be printed and posted."""
    vault: Vault = request.app.state.registrar.vault
    async with _service(request).db.reading() as session:
        rows = (
            await session.execute(
                select(ResidentMessage, Complaint.reference)
                .join(Complaint, Complaint.id == ResidentMessage.complaint_id)
                .where(ResidentMessage.state == PRINT)
                .order_by(ResidentMessage.id)
                .limit(500)
            )
        ).all()
    return LetterList(items=[
        LetterOut(id=m.id, complaint_id=m.complaint_id, reference=reference, kind=m.kind,
                  address=vault.decrypt(m.recipient_enc) or "", subject=m.subject,
                  body=vault.decrypt(m.body_enc) or "", created_at=_aware(m.created_at) or datetime.now(UTC))
        for m, reference in rows
    ])  # fmt: skip


@router.post("/print-queue/{message_id}/printed", status_code=204)
async def mark_printed(message_id: RowId, request: Request) -> None:
    """The letter was printed and posted: its text (which holds a link) is wiped."""
    async with _service(request).db.transaction() as session:
        row = await session.get(ResidentMessage, message_id)
        if row is None or row.state != PRINT:
            raise HTTPException(404, detail="Deze brief staat niet in de printwachtrij.")
        row.state, row.body_enc, row.sent_at = "printed", None, datetime.now(UTC)
