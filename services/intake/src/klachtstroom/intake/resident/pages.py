"""The resident's own page: `GET /status/{code}` (HTML, or JSON with `Accept: application/json`)
and `POST /status/{code}/feedback`. Public: the unguessable code is the only key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.http.status import public_status
from klachtstroom.intake.http.web import Web
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.claims import needs_texts, remember_case_texts
from klachtstroom.intake.resident.feedback import FeedbackRefused, record_feedback
from klachtstroom.intake.resident.progress import Standing, Update, dutch_date, handler_role
from klachtstroom.intake.store import (
    Complaint,
    DesiredOutcome,
    Feedback,
    ResidentProgress,
    ResidentUpdate,
    StatusLink,
)
from klachtstroom.platform.problems import FieldError, Problem
from klachtstroom.platform.service import Service

router = APIRouter(tags=["resident"])

# The code is in the address: it must not leak to another site, a cache or a search engine.
PRIVATE_PAGE = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
NOT_FOUND = "Deze link kennen we niet. Kijk of u de hele link heeft overgenomen uit onze e-mail of brief."
SCORES = [(str(n), str(n)) for n in range(1, 11)]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    score: int = Field(ge=1, le=10)
    heard: bool
    comment: str | None = Field(default=None, max_length=5000)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def complaint_for(session: AsyncSession, code: str) -> Complaint | None:
    if not links.looks_like_code(code):
        return None
    link = await session.get(StatusLink, links.code_hash(code))
    return None if link is None else await session.get(Complaint, link.complaint_id)


async def standing_of(request: Request, code: str) -> Standing | None:
    service: Service = request.app.state.service
    web: Web = request.app.state.web
    async with service.db.reading() as session:
        complaint = await complaint_for(session, code)
        if complaint is None:
            return None
        progress = await session.get(ResidentProgress, complaint.id)
        updates = (
            await session.scalars(
                select(ResidentUpdate)
                .where(ResidentUpdate.complaint_id == complaint.id)
                .order_by(ResidentUpdate.at, ResidentUpdate.id)
            )
        ).all()
        feedback = await session.get(Feedback, complaint.id)
        desired = await session.get(DesiredOutcome, complaint.id)
    if progress is not None and needs_texts(progress, complaint.status):
        await remember_case_texts(service, complaint.id)
        async with service.db.reading() as session:
            progress = await session.get(ResidentProgress, complaint.id)
    status = public_status(complaint)
    return Standing(
        reference=complaint.reference,
        status=status.status,
        received_at=_aware(complaint.received_at),
        decision_due=progress.decision_due if progress else None,
        handler=handler_role(
            progress.handler_kind if progress else None,
            progress.unit if progress else complaint.unit,
            progress.provider if progress else complaint.provider,
            progress.handler_name if progress else None,
            show_name=web.settings.show_handler_names,
        ),
        extended_weeks=progress.extended_weeks if progress else 0,
        extension_reason=progress.extension_reason if progress else None,
        suspended_reason=progress.suspended_reason if progress else None,
        outcome=complaint.outcome,
        resolution=progress.resolution if progress else None,
        updates=tuple(Update(_aware(u.at), u.text) for u in updates),
        feedback_given=feedback is not None,
        desired_outcome=desired.text if desired else None,
    )


def _page(
    request: Request,
    standing: Standing,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    thanks: bool = False,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    web: Web = request.app.state.web
    return web.pages.render(
        request,
        "status.html",
        {
            "title": f"Uw klacht {standing.reference}",
            "s": standing,
            "received_on": dutch_date(standing.received_at),
            "decision_due": dutch_date(standing.decision_due),
            "updates": [(dutch_date(u.at), u.text) for u in reversed(standing.updates)],
            "steps": standing.as_json()["next_steps"],
            "errors": errors or {},
            "values": values or {},
            "scores": SCORES,
            "thanks": thanks,
            "notice": notice,
            "feedback_url": str(request.url.path).rstrip("/") + "/feedback",
        },
        status=status,
        headers=PRIVATE_PAGE,
    )


@router.get(
    "/status/{code}",
    response_class=HTMLResponse,
    name="resident_status",
    summary="The resident's own page (HTML, or JSON with Accept: application/json)",
)
async def resident_status(code: str, request: Request) -> Response:
    standing = await standing_of(request, code)
    if standing is None:
        if _wants_json(request):
            raise Problem(404, detail=NOT_FOUND, headers=PRIVATE_PAGE)
        return _not_found(request)
    if _wants_json(request):
        return JSONResponse(standing.as_json(), headers=PRIVATE_PAGE)
    return _page(request, standing)


def _not_found(request: Request) -> HTMLResponse:
    web: Web = request.app.state.web
    return web.pages.render(
        request,
        "message.html",
        {
            "title": "Link niet gevonden",
            "heading": "Deze link kennen we niet",
            "paragraphs": [NOT_FOUND, "Heeft u een vraag over uw klacht? Bel ons en noem uw klachtnummer."],
            "back_url": "",
            "back_text": "",
        },
        status=404,
        headers=PRIVATE_PAGE,
    )


FORM_ERRORS = {
    "score": "Kies een cijfer van 1 tot en met 10.",
    "heard": "Kies ja of nee.",
    "comment": "Uw opmerking is te lang. Gebruik maximaal 5.000 tekens.",
}


@router.post(
    "/status/{code}/feedback",
    response_class=HTMLResponse,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    name="resident_feedback",
    summary="The resident's mark (1-10) and whether they felt heard, once, after closing",
)
async def resident_feedback(code: str, request: Request) -> Response:
    is_json = "application/json" in request.headers.get("content-type", "")
    raw: dict[str, Any]
    values: dict[str, Any] = {}
    if is_json:
        try:
            loaded = json.loads(await request.body() or b"null")
        except ValueError:
            loaded = None
        raw = loaded if isinstance(loaded, dict) else {}
    else:
        form = await request.form(max_files=0, max_fields=10)
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        heard = {"ja": True, "nee": False}.get(values.get("gehoord", ""))
        raw = {
            "score": values.get("cijfer") or None,
            "heard": heard,
            "comment": values.get("opmerking") or None,
        }
    service: Service = request.app.state.service
    async with service.db.reading() as session:
        known = await complaint_for(session, code)
    if known is None:
        if is_json:
            raise Problem(404, detail=NOT_FOUND, headers=PRIVATE_PAGE)
        return _not_found(request)
    try:
        answer = FeedbackIn.model_validate(raw)
    except ValidationError as error:
        if is_json:
            wrong = Problem.from_validation(error.errors()).errors
            messages = [FieldError(f.field, FORM_ERRORS.get(f.field.split(".")[0], f.message)) for f in wrong]
            raise Problem(422, errors=messages, headers=PRIVATE_PAGE) from None
        standing = await standing_of(request, code)
        assert standing is not None
        errors = {str(e["loc"][0]): FORM_ERRORS.get(str(e["loc"][0]), "Kijk dit na.") for e in error.errors()}
        return _page(request, standing, errors=errors, values=values, status=422)
    try:
        given = await record_feedback(service, known.id, answer.score, answer.heard, answer.comment)
    except FeedbackRefused as refused:
        if is_json:
            raise Problem(409, detail=refused.message, headers=PRIVATE_PAGE) from None
        standing = await standing_of(request, code)
        assert standing is not None
        return _page(request, standing, status=409, notice=refused.message)
    if is_json:
        return JSONResponse(
            {"score": given.score, "heard": given.heard, "at": _aware(given.at).isoformat()},
            status_code=201,
            headers=PRIVATE_PAGE,
        )
    standing = await standing_of(request, code)
    assert standing is not None
    return _page(request, standing, thanks=True)
