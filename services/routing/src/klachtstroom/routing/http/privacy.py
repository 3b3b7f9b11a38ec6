"""Routing's privacy API, asked by intake over HTTP (never by reading this database):

- `GET /api/v1/privacy/cases?complaint_id=...` — the cases of a person's complaints with their
  full history, terms and letters, for a request for access (AVG art. 15);
- `GET /api/v1/privacy/retention/due?as_of=` — the files whose retention term has ended;
- `POST /api/v1/privacy/retention/run` `{as_of?}` — destroy them here now (also done daily).

For the coordinator, admin and system roles (the access module guards the prefix).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.routing.casework.case_resource import case_resource
from klachtstroom.routing.casework.case_rows import CaseNotFound, deadlines_of, history_of, load_row
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.http.cases import casework
from klachtstroom.routing.letters.compose import KINDS, LetterNotApplicable, about_of, compose, environment
from klachtstroom.routing.privacy.destruction import due_ids, run_retention
from klachtstroom.routing.tables import LetterTemplateRow, SentLetterRow, utc

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])


class RetentionRun(BaseModel):
    as_of: date | None = None


async def letters_of(work: CaseWork, case_id: str, today: date) -> list[dict[str, Any]]:
    """Every letter of the case: as it was sent (with its address) when it was, else as it reads now."""
    async with work.service.db.reading() as session:
        own = {r.kind: r.body for r in (await session.scalars(select(LetterTemplateRow))).all()}
        row = await load_row(session, case_id)
        history = await history_of(session, case_id)
        deadlines = await deadlines_of(session, case_id)
        sent = {
            (r.kind, r.about): r
            for r in (
                await session.scalars(select(SentLetterRow).where(SentLetterRow.case_id == case_id))
            ).all()
        }
    env = environment(work.service.settings.service_dir("routing"), own)
    found = []
    for kind in KINDS.values():
        try:
            frozen = sent.get((kind.name, about_of(kind, history)))
            letter = None if frozen else compose(env, work.settings, kind, row, history, deadlines, today)
        except LetterNotApplicable:
            continue
        if frozen is not None:
            found.append({
                "kind": kind.name, "subject": kind.subject, "date": frozen.letter_date.isoformat(),
                "text": frozen.text, "sent_at": utc(frozen.sent_at).isoformat(),
                "addressee": list(frozen.addressee or ()),
            })  # fmt: skip
        elif letter is not None:
            on = letter.date.isoformat()
            found.append({"kind": kind.name, "subject": kind.subject, "date": on, "text": letter.text})
    return found


@router.get("/cases")
async def cases_of_complaints(
    request: Request, complaint_id: Annotated[list[str], Query(max_length=200)]
) -> dict[str, Any]:
    """Everything routing holds on these complaints' cases; unknown ids are left out."""
    work = casework(request)
    today = local_date(work.now())
    items = []
    for case_id in complaint_id[:200]:
        try:
            async with work.service.db.reading() as session:
                resource = await case_resource(session, case_id, today)
        except CaseNotFound:
            continue
        resource["letters"] = await letters_of(work, case_id, today)
        items.append(resource)
    return {"items": items, "next": None}


def _today(work: CaseWork, as_of: date | None) -> date:
    return as_of or local_date(work.now())


@router.get("/retention/due")
async def retention_due(request: Request, as_of: date | None = None) -> dict[str, Any]:
    """Files past their retention term on `as_of` (default today), destroyed here or not."""
    work = casework(request)
    today = _today(work, as_of)
    async with work.service.db.reading() as session:
        ids = await due_ids(session, today)
    return {"as_of": today.isoformat(), "complaint_ids": ids}


@router.post("/retention/run")
async def retention_run(
    request: Request, body: Annotated[RetentionRun | None, Body()] = None
) -> dict[str, Any]:
    work = casework(request)
    today = _today(work, body.as_of if body else None)
    destroyed = await run_retention(work, today)
    return {"service": "routing", "as_of": today.isoformat(), "destroyed": len(destroyed), "ids": destroyed}
