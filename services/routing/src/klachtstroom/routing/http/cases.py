"""The case worker's API: list and read cases, and act on them (DESIGN.md, Routing).

Thin: validate the body, build the domain command, let `CaseWork` apply and store it.
409 when the lifecycle forbids the action (nothing changes), 422 for bad input, 404 for an
unknown case (right after intake's 202 the case may not be opened yet: poll and retry).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from pydantic import ValidationError
from sqlalchemy import select

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.auth import access_of, optional_access
from klachtstroom.platform.auth.scope import visible_to
from klachtstroom.platform.problems import Problem
from klachtstroom.routing.case.actions import ACTIONS, BODIES, ActionBody, command_of, parse_command
from klachtstroom.routing.case.domain import ACTION_LABELS, Forward, InvalidCommand, TransitionForbidden
from klachtstroom.routing.casework.case_resource import (
    CaseFilter,
    case_resource,
    case_summary,
    list_cases,
    with_complaint_text,
)
from klachtstroom.routing.casework.case_rows import CaseNotFound
from klachtstroom.routing.casework.complaint_text import (
    ComplaintTextUnavailable,
    complaint_messages,
    complaint_text_or_none,
)
from klachtstroom.routing.casework.contact import with_contact
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.tables import CaseRow

router = APIRouter(prefix="/api/v1", tags=["cases"])

NOT_FOUND = (
    "Deze klacht is (nog) niet bekend bij de behandeling. Een klacht die net is ingediend, "
    "staat er binnen enkele seconden; probeer het zo opnieuw."
)


def casework(request: Request) -> CaseWork:
    work: CaseWork = request.app.state.casework
    return work


def not_found() -> HTTPException:
    return HTTPException(404, detail=NOT_FOUND)


def refused(error: InvalidCommand | TransitionForbidden) -> Problem:
    """A command the case refuses: 422 for bad input, 409 for a transition the lifecycle forbids."""
    if isinstance(error, InvalidCommand):
        return Problem.invalid(error.field, error.message)
    return Problem(409, detail=error.reason)


@router.get("/cases")
async def cases(
    request: Request,
    status: str | None = None,
    unit: str | None = None,
    provider: str | None = None,
    municipality: str | None = None,
    handler: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    urgent: bool | None = None,
    overdue: bool | None = None,
    flagged: bool | None = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Cases, newest first, filtered; `status` filters on the case state (comma separated)."""
    work = casework(request)
    visible = visible_to(access_of(request), CaseRow.municipality, CaseRow.provider)
    where = CaseFilter(
        status, unit, provider, municipality, handler, kind, category, urgent, overdue, flagged, visible
    )
    today = local_date(work.now())
    try:
        async with work.service.db.reading() as session:
            rows, next_cursor = await list_cases(
                session, where, today, limit=limit or work.settings.page_size, cursor=cursor
            )
    except (ValueError, TypeError):
        raise Problem.invalid("cursor", "Ongeldige cursor; begin opnieuw zonder 'cursor'.") from None
    next_url = None
    if next_cursor is not None:
        next_url = str(request.url.include_query_params(cursor=next_cursor))
    return {"items": [case_summary(r, today) for r in rows], "next": next_url}


async def case_appears(work: CaseWork, case_id: str) -> bool:
    """Read-your-writes for clients of intake: a complaint accepted a moment ago (202) becomes a
    case within a second or so. Wait briefly for it instead of answering 404 at once — only for
    ids shaped like complaint ids, so a plainly unknown id is still answered at once."""
    try:
        uuid.UUID(case_id)
    except ValueError:
        return False
    deadline = time.monotonic() + work.settings.new_case_wait_seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        async with work.service.db.reading() as session:
            if await session.get(CaseRow, case_id) is not None:
                return True
    return False


def in_scope(request: Request, municipality: str | None, provider: str | None) -> bool:
    """The case is among the caller's municipalities or routed to its own provider."""
    access = optional_access(request)
    return access is not None and access.sees(municipality, provider)


async def ensure_in_scope(request: Request, work: CaseWork, case_id: str) -> None:
    """404 for a case outside the caller's scope, exactly as for a case that does not exist."""
    async with work.service.db.reading() as session:
        row = await session.get(CaseRow, case_id)
    if row is not None and not in_scope(request, row.municipality, row.provider):
        raise not_found()


@router.get("/cases/{case_id}", name="case")
async def case(case_id: str, request: Request) -> dict[str, Any]:
    work = casework(request)
    for attempt in (1, 2):
        try:
            async with work.service.db.reading() as session:
                resource: dict[str, Any] = await case_resource(session, case_id, local_date(work.now()))
            if not in_scope(request, resource.get("municipality"), resource.get("provider")):
                raise not_found()
            text = await complaint_text_or_none(work.service.peers, case_id, optional_access(request))
            resource = await with_contact(resource, work.service.peers, optional_access(request))
            return await with_merged_complaints(work, with_complaint_text(resource, text))
        except CaseNotFound:
            if attempt == 2 or not await case_appears(work, case_id):
                raise not_found() from None
    raise not_found()


async def with_merged_complaints(work: CaseWork, resource: dict[str, Any]) -> dict[str, Any]:
    """The kept case shows everything of the complaints merged into it: their texts and the
    resident's later messages (all from intake, the owner of complaint texts)."""
    case_id = str(resource["id"])
    async with work.service.db.reading() as session:
        found = await session.execute(
            select(CaseRow.id, CaseRow.reference).where(CaseRow.merged_into == case_id).order_by(CaseRow.id)
        )
        merged = list(found.tuples())
    peers = work.service.peers
    texts = []
    messages: list[dict[str, object]] = []
    for complaint_id in (case_id, *(merged_id for merged_id, _ in merged)):
        messages.extend(await complaint_messages(peers, complaint_id) or [])
    for merged_id, reference in merged:
        text = await complaint_text_or_none(peers, merged_id)
        texts.append(
            {
                "id": merged_id,
                "reference": reference,
                "description": text.description if text else None,
                "texts_available": text is not None,
            }
        )
    messages.sort(key=lambda message: str(message.get("received_at")))
    return resource | {"merged_complaints": texts, "messages": messages}


def forward_to_configured(command: Forward, destinations: dict[str, str]) -> Forward:
    """`to` names a configured destination (a key, or its name); 422 for any other."""
    wanted = command.to.strip().casefold()
    for key, name in destinations.items():
        if wanted in {key.casefold(), name.casefold()}:
            return replace(command, to=key, destination=name)
    choices = ", ".join(f"'{key}' ({name})" for key, name in destinations.items())
    raise refused(InvalidCommand("to", f"Onbekende bestemming; kies uit: {choices}."))


async def act_on_case(
    case_id: str, name: str, request: Request, body: ActionBody | Mapping[str, Any] | None
) -> Any:
    """One action on a case (`name` as the API spells it), its body validated or still raw."""
    work = casework(request)
    await ensure_in_scope(request, work, case_id)
    # The actor is the signed-in caller (DESIGN.md), whatever the body says.
    actor = access_of(request).name
    try:
        if isinstance(body, ActionBody):
            command = command_of(name, body.model_copy(update={"actor": actor}), work.now())
        else:
            command = parse_command(name, {**(body or {}), "actor": actor}, work.now())
    except ValidationError as error:
        raise Problem.from_validation(error.errors(), prefix=("body",)) from None
    if isinstance(command, Forward):
        command = forward_to_configured(command, work.settings.forward_destinations)
    try:
        try:
            await work.execute(case_id, command)
        except CaseNotFound:
            if not await case_appears(work, case_id):
                raise
            await work.execute(case_id, command)
    except CaseNotFound:
        raise not_found() from None
    except (InvalidCommand, TransitionForbidden) as error:
        raise refused(error) from None
    except ComplaintTextUnavailable:
        detail = "De klachttekst is nu niet op te vragen bij intake (Awb 9:7). Probeer het zo opnieuw."
        raise Problem(503, detail=detail) from None
    async with work.service.db.reading() as session:
        resource = await case_resource(session, case_id, local_date(work.now()))
    resource = await with_contact(resource, work.service.peers, optional_access(request))
    text = await complaint_text_or_none(work.service.peers, case_id, optional_access(request))
    return with_complaint_text(resource, text)


def action_route(name: str, model: type[ActionBody]) -> Callable[..., Awaitable[Any]]:
    """The route of one action, `POST /api/v1/cases/{case_id}/<name>`, whose body is `model`."""

    async def act(case_id: str, request: Request, body: ActionBody | None = None) -> Any:
        return await act_on_case(case_id, name, request, body)

    # FastAPI validates and documents the body by the signature's type: this action's own model.
    signature = inspect.signature(act)
    typed = signature.parameters["body"].replace(annotation=Annotated[model | None, Body()])
    act.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*list(signature.parameters.values())[:-1], typed]
    )
    return act


# One route per action, so the API description names each action's body (e.g. `resolve` with its
# outcome); 409 when the lifecycle forbids it, 422 for a bad body, 404 for an unknown case.
for _name, _model in BODIES.items():
    router.add_api_route(
        f"/cases/{{case_id}}/{_name}",
        action_route(_name, _model),
        methods=["POST"],
        name=f"act_{_name.replace('-', '_')}",
        summary=f"Actie: {ACTION_LABELS.get(_name.replace('-', '_'), _name)}",
        responses={404: {}, 409: {}, 422: {}},
    )


@router.post("/cases/{case_id}/{action}", include_in_schema=False)
async def act_by_name(
    case_id: str,
    action: str,
    request: Request,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Any:
    """An action named in the path some other way (`take_over` for `take-over`), or an unknown one
    (404, naming the actions there are)."""
    name = action.replace("_", "-")
    if name not in ACTIONS:
        raise Problem(404, detail=f"Onbekende actie. Mogelijk: {', '.join(ACTIONS)}.")
    return await act_on_case(case_id, name, request, body)
