"""Letters of a case: `GET /api/v1/cases/{id}/letters/{kind}.pdf` (or `.html`).

Kinds: ontvangstbevestiging (acknowledgement, Awb 9:6), verdaging (extension, 9:11 lid 2),
niet-in-behandeling (decline, 9:8), uitkomst (outcome, 9:12); English names work too.
Addressed to the complainant (name and address from intake) when the caller may see them.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.auth import optional_access
from klachtstroom.routing.api import casework, in_scope, not_found
from klachtstroom.routing.contact import fetch_contact, may_reach
from klachtstroom.routing.letter_render import to_html, to_pdf
from klachtstroom.routing.letters import (
    ALIASES,
    KINDS,
    Letter,
    LetterNotApplicable,
    compose,
    environment,
    letter_kind,
)
from klachtstroom.routing.repository import CaseNotFound, deadlines_of, history_of, load_row

router = APIRouter(prefix="/api/v1", tags=["letters"])


async def composed(request: Request, case_id: str, name: str) -> Letter:
    work = casework(request)
    try:
        kind = letter_kind(name)
    except KeyError:
        choices = ", ".join([*KINDS, *ALIASES])
        raise HTTPException(404, detail=f"Onbekende brief '{name}'. Mogelijk: {choices}.") from None
    env = environment(work.service.settings.service_dir("routing"))
    try:
        async with work.service.db.reading() as session:
            row = await load_row(session, case_id)
            history = await history_of(session, case_id)
            deadlines = await deadlines_of(session, case_id)
        if not in_scope(request, row.municipality, row.provider):
            raise CaseNotFound(case_id)
        # Addressed now, for the person producing it (routing keeps no name or address).
        access = optional_access(request)
        recipient = await fetch_contact(work.service.peers, case_id, access) if may_reach(access) else None
        today = local_date(work.now())
        return compose(env, work.settings, kind, row, history, deadlines, today, recipient)
    except CaseNotFound:
        raise not_found() from None
    except LetterNotApplicable as error:
        raise HTTPException(409, detail=str(error)) from None


@router.get("/cases/{case_id}/letters/{filename}", response_model=None)
async def letter(case_id: str, filename: str, request: Request) -> Response:
    name, _, extension = filename.rpartition(".")
    if extension not in {"pdf", "html"} or not name:
        raise HTTPException(404, detail="Vraag de brief op als .pdf of .html.")
    found = await composed(request, case_id, name)
    if extension == "html":
        return HTMLResponse(to_html(found))
    headers = {"Content-Disposition": f'inline; filename="{found.reference}-{found.kind.name}.pdf"'}
    return Response(to_pdf(found), media_type="application/pdf", headers=headers)
