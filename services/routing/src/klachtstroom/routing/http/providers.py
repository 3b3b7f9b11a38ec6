"""The provider register, deliveries to providers, and the provider's own status reports.

A provider reports on a complaint handed over to it as a Standard Webhooks request signed with
its secret (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Without a valid signature,
or with a timestamp more than 5 minutes off: 401, nothing stored. A `webhook-id` already handled
has no second effect (the answer repeats the case's state). The body names its case, and that
must be the case in the path (422), handed over to this provider (404 otherwise).
A webhook URL pointing at an internal address is refused when saved (422).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import Outcome, Resolution
from klachtstroom.platform.auth import optional_access
from klachtstroom.platform.outbound.destinations import UnsafeDestination, check_destination
from klachtstroom.platform.outbound.signing import SignatureInvalid, VerifiedWebhook, verify
from klachtstroom.platform.problems import Problem
from klachtstroom.routing.case.domain import (
    InvalidCommand,
    ProviderStatus,
    ReportProviderStatus,
    TransitionForbidden,
)
from klachtstroom.routing.casework.case_resource import DELIVERY_STATUS, delivery_entry
from klachtstroom.routing.casework.case_rows import CaseNotFound, case_of, load_row
from klachtstroom.routing.http.cases import casework, not_found, refused
from klachtstroom.routing.outbound.providers import HANDOVER_KINDS, find_provider, provider_key
from klachtstroom.routing.tables import ProviderMessageRow, ProviderRow, outbound_calls, utc

router = APIRouter(prefix="/api/v1", tags=["providers"])

OTHER_CASE = "De klacht in de melding is niet die in het adres."


class ProviderIn(BaseModel):
    # Unknown fields are ignored, not refused: a register exported from elsewhere still loads.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    webhook_url: HttpUrl | None = None
    secret: str | None = Field(default=None, min_length=1, max_length=500)
    contact: str | None = Field(default=None, max_length=500)
    response_working_days: int = Field(default=10, ge=1, le=60)


class ProvidersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ProviderIn]


class StatusReport(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    case_id: str = Field(min_length=1, max_length=64)
    status: ProviderStatus
    outcome: Outcome | None = None
    resolution: Resolution | None = None
    measures: str | None = Field(default=None, max_length=20_000)
    at: date | datetime | None = None
    actor: str | None = Field(default=None, max_length=200)


def provider_json(row: ProviderRow) -> dict[str, Any]:
    """The register entry; the secret itself is never shown again."""
    return {
        "name": row.name,
        "webhook_url": row.webhook_url,
        "has_secret": bool(row.secret),
        "contact": row.contact,
        "response_working_days": row.response_working_days,
        "updated_at": utc(row.updated_at).isoformat(),
    }


@router.get("/providers")
async def providers(request: Request) -> dict[str, Any]:
    work = casework(request)
    async with work.service.db.reading() as session:
        rows = (await session.execute(select(ProviderRow).order_by(ProviderRow.key))).scalars()
        return {"items": [provider_json(r) for r in rows], "next": None}


@router.put("/providers")
async def put_providers(body: ProvidersIn | list[ProviderIn], request: Request) -> dict[str, Any]:
    """Replace the register. A provider sent without `secret` keeps the secret it had."""
    items = body.items if isinstance(body, ProvidersIn) else body
    keys = [provider_key(p.name) for p in items]
    if len(set(keys)) != len(keys):
        raise HTTPException(422, detail="Een zorgaanbieder staat twee keer in de lijst.")
    for item in items:
        await _check_webhook(item)
    work = casework(request)
    async with work.service.db.transaction() as session:
        existing = {r.key: r for r in (await session.execute(select(ProviderRow))).scalars()}
        for key, row in existing.items():
            if key not in keys:
                await session.delete(row)
        for key, item in zip(keys, items, strict=True):
            _upsert(session, existing.get(key), key, item, work.now())
    return await providers(request)


@router.put("/providers/{name}")
async def put_provider(name: str, body: ProviderIn, request: Request) -> dict[str, Any]:
    if provider_key(name) != provider_key(body.name):
        raise HTTPException(422, detail="De naam in het adres en in de gegevens verschillen.")
    await _check_webhook(body)
    work = casework(request)
    async with work.service.db.transaction() as session:
        row = _upsert(session, await find_provider(session, name), provider_key(name), body, work.now())
        await session.flush()
        return provider_json(row)


async def _check_webhook(item: ProviderIn) -> None:
    if item.webhook_url is None:
        return
    try:
        await check_destination(str(item.webhook_url))
    except UnsafeDestination as error:
        raise HTTPException(422, detail=str(error)) from None


def _upsert(session: Any, row: ProviderRow | None, key: str, item: ProviderIn, now: datetime) -> ProviderRow:
    if row is None:
        row = ProviderRow(key=key, name=item.name)
        session.add(row)
    row.name = item.name
    row.webhook_url = str(item.webhook_url) if item.webhook_url else None
    row.secret = item.secret or row.secret
    row.contact = item.contact
    row.response_working_days = item.response_working_days
    row.updated_at = now
    return row


@router.get("/providers/{name}/deliveries")
async def deliveries(name: str, request: Request, status: str | None = None) -> dict[str, Any]:
    """Hand-overs to this provider; `status=failed` shows the dead-lettered ones."""
    work = casework(request)
    async with work.service.db.reading() as session:
        calls = outbound_calls.c
        query = select(outbound_calls).where(
            calls.recipient == provider_key(name), calls.kind.in_(HANDOVER_KINDS)
        )
        if status:
            states = [state for state, shown in DELIVERY_STATUS.items() if shown == status] or [status]
            query = query.where(calls.state.in_(states))
        rows = (await session.execute(query.order_by(calls.id.desc()).limit(500))).all()
        return {"items": [delivery_entry(r) for r in rows], "next": None}


@router.post("/providers/{name}/cases/{case_id}/status", responses={401: {}, 404: {}, 409: {}, 422: {}})
async def provider_status(name: str, case_id: str, request: Request) -> Any:
    """A provider reports registration, handling, outcome or measures of a complaint it handles."""
    work = casework(request)
    raw = await request.body()
    async with work.service.db.reading() as session:
        provider = await find_provider(session, name)
    try:
        if provider is None:
            raise SignatureInvalid("unknown provider")
        message = _by_token(request) or verify(provider.secret, raw, request.headers)
    except SignatureInvalid:
        raise HTTPException(401, detail="Ongeldige of ontbrekende handtekening.") from None
    try:
        report = StatusReport.model_validate(json.loads(raw or b"{}"))
    except ValidationError as error:
        raise Problem.from_validation(error.errors(), prefix=("body",)) from None
    except ValueError:
        raise Problem.invalid("body", "De inhoud is geen geldige JSON.") from None
    if report.case_id != case_id:
        raise Problem.invalid("case_id", "De klacht in de melding is niet die in het adres.")
    try:
        async with work.service.db.reading() as session:
            case = case_of(await load_row(session, case_id))
            seen = await session.get(ProviderMessageRow, (provider.key, message.message_id))
    except CaseNotFound:
        raise not_found() from None
    if provider_key(case.provider or "") != provider.key:
        raise HTTPException(404, detail="Deze klacht is niet aan uw organisatie overgedragen.")
    if seen is not None:
        return await _repeat(work, case_id)
    command = ReportProviderStatus(
        at=moment_of(report.at) if report.at else work.now(),
        actor=report.actor or f"zorgaanbieder {provider.name}",
        status=report.status,
        outcome=report.outcome,
        resolution=report.resolution,
        measures=report.measures,
    )
    try:
        done = await work.execute(
            case_id, command, alongside=_remember(provider.key, message, case_id, work.now())
        )
    except CaseNotFound:
        raise not_found() from None
    except IntegrityError:  # the same message arrived twice at once: the other one was handled
        return await _repeat(work, case_id)
    except (InvalidCommand, TransitionForbidden) as error:
        raise refused(error) from None
    return {"id": case_id, "reference": done.row.reference, "state": done.case.state.value}


def _by_token(request: Request) -> VerifiedWebhook | None:
    """A report sent with a provider-role token instead of a signature: the access gate checked
    the token, its role, and that the path's provider is the caller's own. `Idempotency-Key`
    (when sent) makes a retry harmless, like a webhook id."""
    if "webhook-signature" in request.headers or optional_access(request) is None:
        return None
    key = request.headers.get("Idempotency-Key") or str(uuid.uuid4())
    return VerifiedWebhook(message_id=f"token:{key}", timestamp=datetime.now(UTC))


def _remember(provider: str, message: VerifiedWebhook, case_id: str, now: datetime) -> Any:
    async def add(session: AsyncSession) -> None:
        session.add(
            ProviderMessageRow(
                provider_key=provider, message_id=message.message_id, case_id=case_id, received_at=now
            )
        )
        await session.flush()

    return add


async def _repeat(work: Any, case_id: str) -> dict[str, Any]:
    """The answer to a message already handled: where the case stands now, nothing changed."""
    async with work.service.db.reading() as session:
        row = await load_row(session, case_id)
    return {"id": case_id, "reference": row.reference, "state": row.state, "repeated": True}
