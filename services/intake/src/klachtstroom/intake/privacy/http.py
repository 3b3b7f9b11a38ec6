"""Intake's privacy API (DESIGN.md, "Privacy (AVG)"), for the coordinator or admin:

- `POST /api/v1/privacy/access` `{complaint_id? | email? | phone? | bsn?}` — everything every
  service holds about that person, as JSON, or `?format=pdf` as the letter to send;
- `POST /api/v1/privacy/retention/run` `{as_of?}` — destroy files past their term in every
  service now (admin); answers what each destroyed;
- `PATCH /api/v1/complaints/{id}/contact` — rectification of contact details (AVG art. 16);
- `GET /api/v1/privacy/log` — what was done: requests, retention runs, rectifications.

Every action is written to the privacy log (who, role, when, which complaints; no personal data).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault, is_valid_bsn
from klachtstroom.intake.privacy.access import PeerUnavailable, dossier
from klachtstroom.intake.privacy.letter import access_letter
from klachtstroom.intake.privacy.people import Request as PersonRequest
from klachtstroom.intake.privacy.retention import RetentionFailed, run_everywhere
from klachtstroom.intake.scope import condition, sees
from klachtstroom.intake.store import Complainant, Complaint, PrivacyLog
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["privacy"])


class AccessRequest(BaseModel):
    complaint_id: str | None = Field(default=None, max_length=36)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    bsn: str | None = Field(default=None, max_length=12)

    @model_validator(mode="after")
    def one_identifier(self) -> AccessRequest:
        if not any((self.complaint_id, self.email, self.phone, self.bsn)):
            raise ValueError("Geef een klachtnummer (complaint_id), e-mailadres, telefoonnummer of BSN.")
        if self.bsn and not is_valid_bsn(self.bsn):
            raise ValueError("Dit BSN klopt niet (elfproef).")
        return self


class RetentionRequest(BaseModel):
    as_of: date | None = None


class ContactCorrection(BaseModel):
    """Only the fields given change; an empty string removes a detail."""

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    reason: str | None = Field(default=None, max_length=500)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.registrar.vault
    return vault


def caller(request: Request) -> tuple[str, str | None]:
    """Who asks (`sub`/`name`) and in which role, as the access module put it on the request."""
    principal = getattr(request.state, "principal", None) or getattr(request.state, "caller", None)
    if principal is None:
        return "onbekend", None
    name = getattr(principal, "name", None) or getattr(principal, "sub", None) or "onbekend"
    roles = list(getattr(principal, "roles", ()) or ())
    return str(name), (roles[0] if roles else None)


async def record(
    service: Service, request: Request, action: str, ids: list[str], detail: dict[str, Any]
) -> None:
    actor, role = caller(request)
    async with service.db.transaction() as session:
        session.add(PrivacyLog(at=service.clock.now(), action=action, actor=actor, role=role,
                               complaint_ids=ids, detail=detail))  # fmt: skip


@router.post("/privacy/access", response_model=None)
async def access(body: AccessRequest, request: Request, format: Literal["json", "pdf"] = "json") -> Response:
    service = _service(request)
    asked = PersonRequest(body.complaint_id, body.email, body.phone, body.bsn)
    try:
        found = await dossier(service, _vault(request), asked, lambda c: sees(request, c))
    except PeerUnavailable as error:
        raise HTTPException(
            503, detail=f"De dienst '{error.service}' antwoordt nu niet; probeer het later opnieuw."
        ) from None
    if found is None:
        raise HTTPException(404, detail="Over deze persoon bewaren wij geen gegevens.")
    ids = [c["id"] for c in found["complaints"]]
    await record(service, request, "access", ids, {"format": format, "found_by": _found_by(body)})
    if format == "pdf":
        organisation = request.app.state.web.settings.organisation
        return Response(
            access_letter(found, organisation),
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="inzage-persoonsgegevens.pdf"'},
        )
    return JSONResponse(found)


def _found_by(body: AccessRequest) -> str:
    return next(k for k in ("complaint_id", "email", "phone", "bsn") if getattr(body, k))


@router.post("/privacy/retention/run")
async def retention_run(request: Request, body: RetentionRequest | None = None) -> dict[str, Any]:
    service = _service(request)
    try:
        answer = await run_everywhere(service, body.as_of if body else None)
    except RetentionFailed as error:
        raise HTTPException(
            503, detail=f"De dienst '{error.peer}' antwoordt nu niet; de rest is niet uitgevoerd."
        ) from None
    destroyed = sorted({i for part in answer["services"].values() for i in part["ids"]})
    counts = {name: part["destroyed"] for name, part in answer["services"].items()}
    await record(service, request, "retention", destroyed, {"as_of": answer["as_of"], "destroyed": counts})
    return answer


@router.patch("/complaints/{complaint_id}/contact")
async def rectify_contact(complaint_id: str, body: ContactCorrection, request: Request) -> dict[str, Any]:
    """Correct the complainant's contact details (AVG art. 16); hashes follow, so the person is
    found by the corrected details."""
    service, vault = _service(request), _vault(request)
    changed = [f for f in ("name", "email", "phone", "address") if getattr(body, f) is not None]
    async with service.db.transaction() as session:
        complaint = await session.get(Complaint, complaint_id)
        if complaint is None or complaint.destroyed_at is not None or not sees(request, complaint):
            raise HTTPException(404, detail="Deze klacht kennen we niet.")
        person = await session.get(Complainant, complaint.complainant_id)
        if person is None:
            raise HTTPException(404, detail="Deze klacht kennen we niet.")
        for field in changed:
            value = str(getattr(body, field)).strip() or None
            setattr(person, f"{field}_enc", vault.encrypt(value))
            if field != "address":
                setattr(person, f"{field}_hash", vault.identifier_hash(field, value))
    await record(service, request, "rectification", [complaint_id], {"fields": changed})
    return {"complaint_id": complaint_id, "changed": changed}


@router.get("/privacy/log")
async def privacy_log(
    request: Request, since: date | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    service = _service(request)
    query = select(PrivacyLog).order_by(PrivacyLog.id.desc()).limit(limit)
    async with service.db.reading() as session:
        rows = (await session.scalars(query)).all()
        visible = await _visible_ids(session, request, {i for r in rows for i in r.complaint_ids})
    items = [
        {"at": r.at.isoformat(), "action": r.action, "actor": r.actor, "role": r.role,
         "complaint_ids": [i for i in r.complaint_ids if visible is None or i in visible], "detail": r.detail}
        for r in rows
        if (since is None or r.at.date() >= since)
        and (visible is None or not r.complaint_ids or visible.intersection(r.complaint_ids))
    ]  # fmt: skip
    return {"items": items, "next": None}


async def _visible_ids(session: AsyncSession, request: Request, ids: set[str]) -> set[str] | None:
    """Which of these complaints are in the caller's scope; None: all of them (and any other).
    An entry about complaints of other municipalities only is left out of the log."""
    where = condition(request)
    if where is None:
        return None
    if not ids:
        return set()
    found = await session.scalars(select(Complaint.id).where(Complaint.id.in_(sorted(ids)), where))
    return set(found)
