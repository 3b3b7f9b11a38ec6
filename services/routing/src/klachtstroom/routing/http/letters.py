"""Letters of a case: `GET /api/v1/cases/{id}/letters/{kind}.pdf` (or `.html`), the list of a
case's letters, marking one sent (then it is frozen), and the municipality's own wording.

Kinds: ontvangstbevestiging (acknowledgement, Awb 9:6), verdaging (extension, 9:11 lid 2),
niet-in-behandeling (decline, 9:8), uitkomst (outcome, 9:12); English names work too.
Addressed to the complainant (name and address from intake) when the caller may see them.
A letter marked sent is shown as it was sent, never composed again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.auth import access_of, optional_access
from klachtstroom.routing.casework.case_rows import CaseNotFound, deadlines_of, history_of, load_row
from klachtstroom.routing.casework.contact import fetch_contact, may_reach
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.http.cases import casework, ensure_in_scope, in_scope, not_found
from klachtstroom.routing.letters.compose import (
    ALIASES,
    KINDS,
    TEMPLATE_VARIABLES,
    Letter,
    LetterKind,
    LetterNotApplicable,
    LetterTemplateRefused,
    about_of,
    check_template,
    compose,
    environment,
    letter_kind,
    shipped_template,
)
from klachtstroom.routing.letters.render import to_html, to_pdf
from klachtstroom.routing.tables import LetterTemplateRow, SentLetterRow, utc

router = APIRouter(prefix="/api/v1", tags=["letters"])


def _kind(name: str) -> LetterKind:
    try:
        return letter_kind(name)
    except KeyError:
        choices = ", ".join([*KINDS, *ALIASES])
        raise HTTPException(404, detail=f"Onbekende brief '{name}'. Mogelijk: {choices}.") from None


async def own_templates(work: CaseWork) -> dict[str, str]:
    """The municipality's stored wording, per letter kind."""
    async with work.service.db.reading() as session:
        return {row.kind: row.body for row in (await session.scalars(select(LetterTemplateRow))).all()}


def _frozen(kind: LetterKind, reference: str, row: SentLetterRow) -> Letter:
    return Letter(kind, reference, row.letter_date, row.organisation, row.text, tuple(row.addressee or ()))


async def composed(request: Request, case_id: str, name: str) -> tuple[Letter, SentLetterRow | None, str]:
    """The letter as sent when it was, else as it reads now; with its sent row and what it answers."""
    work = casework(request)
    kind = _kind(name)
    env = environment(work.service.settings.service_dir("routing"), await own_templates(work))
    try:
        async with work.service.db.reading() as session:
            row = await load_row(session, case_id)
            history = await history_of(session, case_id)
            deadlines = await deadlines_of(session, case_id)
            if not in_scope(request, row.municipality, row.provider):
                raise CaseNotFound(case_id)
            about = about_of(kind, history)
            sent = await session.scalar(
                select(SentLetterRow).where(
                    SentLetterRow.case_id == case_id,
                    SentLetterRow.kind == kind.name,
                    SentLetterRow.about == about,
                )
            )
        if sent is not None:
            return _frozen(kind, row.reference, sent), sent, about
        # Addressed now, for the person producing it (routing keeps no name or address until sent).
        access = optional_access(request)
        recipient = await fetch_contact(work.service.peers, case_id, access) if may_reach(access) else None
        today = local_date(work.now())
        return compose(env, work.settings, kind, row, history, deadlines, today, recipient), None, about
    except CaseNotFound:
        raise not_found() from None
    except LetterNotApplicable as error:
        raise HTTPException(409, detail=str(error)) from None


@router.get("/cases/{case_id}/letters/{filename}", response_model=None)
async def letter(case_id: str, filename: str, request: Request) -> Response:
    name, _, extension = filename.rpartition(".")
    if extension not in {"pdf", "html"} or not name:
        raise HTTPException(404, detail="Vraag de brief op als .pdf of .html.")
    found, sent, _about = await composed(request, case_id, name)
    # Whether this is the letter as it was sent (frozen) or as it reads today (a draft).
    state = {"Letter-State": "sent" if sent is not None else "draft"}
    if extension == "html":
        return HTMLResponse(to_html(found), headers=state)
    headers = {"Content-Disposition": f'inline; filename="{found.reference}-{found.kind.name}.pdf"', **state}
    return Response(to_pdf(found), media_type="application/pdf", headers=headers)


class SentLetterOut(BaseModel):
    kind: str
    subject: str
    state: str = Field(description="draft: not sent yet, composed when asked; sent: frozen as it was sent")
    letter_date: date | None
    sent_at: datetime | None
    sent_by: str | None
    url: str


class SentLetterList(BaseModel):
    items: list[SentLetterOut]
    next: str | None = None


async def letters_overview(work: CaseWork, case_id: str) -> list[tuple[LetterKind, SentLetterRow | None]]:
    """Each letter that fits the case now, with its sent row when it was sent (CaseNotFound)."""
    async with work.service.db.reading() as session:
        await load_row(session, case_id)
        history = await history_of(session, case_id)
        of_case = select(SentLetterRow).where(SentLetterRow.case_id == case_id)
        sent = {(r.kind, r.about): r for r in (await session.scalars(of_case)).all()}
    found: list[tuple[LetterKind, SentLetterRow | None]] = []
    for kind in KINDS.values():
        try:
            found.append((kind, sent.get((kind.name, about_of(kind, history)))))
        except LetterNotApplicable:
            continue
    return found


@router.get("/cases/{case_id}/letters", response_model=SentLetterList)
async def list_letters(case_id: str, request: Request) -> SentLetterList:
    """The letters this case has now: each one that fits it, sent or still a draft."""
    work = casework(request)
    await ensure_in_scope(request, work, case_id)
    try:
        overview = await letters_overview(work, case_id)
    except CaseNotFound:
        raise not_found() from None
    return SentLetterList(
        items=[
            SentLetterOut(
                kind=kind.name,
                subject=kind.subject,
                state="sent" if found else "draft",
                letter_date=found.letter_date if found else None,
                sent_at=utc(found.sent_at) if found else None,
                sent_by=found.sent_by if found else None,
                url=str(request.url_for("letter", case_id=case_id, filename=f"{kind.name}.pdf")),
            )
            for kind, found in overview
        ]
    )


ALREADY_SENT = "Deze brief is al verstuurd; hij blijft zoals hij is verstuurd."


async def freeze(request: Request, case_id: str, kind: str) -> tuple[LetterKind, SentLetterRow]:
    """Keep the letter as it reads now, for the caller: from now on it is shown as it was sent.
    HTTPException 409 when it was sent already, 404 for an unknown case or letter."""
    work = casework(request)
    found, sent, about = await composed(request, case_id, kind)
    if sent is not None:
        raise HTTPException(409, detail=ALREADY_SENT)
    row = SentLetterRow(
        case_id=case_id,
        kind=found.kind.name,
        about=about,
        letter_date=found.date,
        sent_at=work.now().astimezone(UTC),
        sent_by=access_of(request).name,
        organisation=found.organisation,
        text=found.text,
        addressee=list(found.addressee),
    )
    try:
        async with work.service.db.transaction() as session:
            session.add(row)
    except IntegrityError:  # marked sent by someone else a moment ago
        raise HTTPException(409, detail=ALREADY_SENT) from None
    return found.kind, row


@router.post("/cases/{case_id}/letters/{kind}/sent", response_model=SentLetterOut, status_code=201)
async def mark_sent(case_id: str, kind: str, request: Request) -> SentLetterOut:
    """The letter went out (post or e-mail): from now on it is shown exactly as it was sent.
    409 when this letter was already sent (a new postponement has a letter of its own)."""
    letter_kind_, row = await freeze(request, case_id, kind)
    return SentLetterOut(
        kind=row.kind,
        subject=letter_kind_.subject,
        state="sent",
        letter_date=row.letter_date,
        sent_at=row.sent_at,
        sent_by=row.sent_by,
        url=str(request.url_for("letter", case_id=case_id, filename=f"{row.kind}.pdf")),
    )


class LetterTemplateOut(BaseModel):
    kind: str
    subject: str
    body: str
    edited: bool
    variables: list[str]


class LetterTemplateIn(BaseModel):
    body: str = Field(min_length=1, max_length=50_000)


class LetterTemplateList(BaseModel):
    items: list[LetterTemplateOut]
    next: str | None = None


def _template_out(kind: LetterKind, own: dict[str, str]) -> LetterTemplateOut:
    body = own.get(kind.name)
    return LetterTemplateOut(
        kind=kind.name,
        subject=kind.subject,
        body=body if body is not None else shipped_template(kind),
        edited=body is not None,
        variables=list(TEMPLATE_VARIABLES),
    )


@router.get("/letter-templates", response_model=LetterTemplateList)
async def list_letter_templates(request: Request) -> LetterTemplateList:
    """The wording of every letter: the municipality's own where it set one, else the shipped one."""
    own = await own_templates(casework(request))
    return LetterTemplateList(items=[_template_out(kind, own) for kind in KINDS.values()])


@router.put("/letter-templates/{kind}", response_model=LetterTemplateOut)
async def put_letter_template(kind: str, body: LetterTemplateIn, request: Request) -> LetterTemplateOut:
    """Store the municipality's own wording of a letter; 422 when it would not render.
    Letters already sent keep the wording they were sent with."""
    letter_kind_ = _kind(kind)
    try:
        check_template(letter_kind_, body.body)
    except LetterTemplateRefused as refused:
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body", "body"], "msg": f"Deze brief werkt niet: {refused}", "type": "template"}
            ],
        ) from None
    work = casework(request)
    async with work.service.db.transaction() as session:
        row = await session.get(LetterTemplateRow, letter_kind_.name)
        if row is None:
            row = LetterTemplateRow(kind=letter_kind_.name)
            session.add(row)
        row.body = body.body
        row.updated_by = access_of(request).name
        row.updated_at = work.now().astimezone(UTC)
    return _template_out(letter_kind_, {letter_kind_.name: body.body})


@router.delete("/letter-templates/{kind}", status_code=204)
async def reset_letter_template(kind: str, request: Request) -> None:
    """Back to the wording that ships with klachtstroom."""
    letter_kind_ = _kind(kind)
    async with casework(request).service.db.transaction() as session:
        row = await session.get(LetterTemplateRow, letter_kind_.name)
        if row is not None:
            await session.delete(row)
