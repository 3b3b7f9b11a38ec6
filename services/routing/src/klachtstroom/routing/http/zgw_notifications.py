"""Callbacks of the Notificaties API (kanaal `zaken`): a change made in the case system to a zaak
of ours is recorded in the case's history, so the case worker sees it.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from klachtstroom.platform.auth import optional_access
from klachtstroom.routing.casework.work import system_event
from klachtstroom.routing.http.cases import casework
from klachtstroom.routing.outbound.zgw import ZgwSettings
from klachtstroom.routing.tables import CaseRow, ZaakRow

router = APIRouter(prefix="/api/v1/zgw", tags=["zgw"])

RECORDED_ACTIONS = {"update", "partial_update", "create", "destroy"}


class Notification(BaseModel):
    """The body the Notificaties API posts to an abonnement's callback URL."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    kanaal: str
    hoofd_object: str = Field(alias="hoofdObject")
    resource: str
    resource_url: str = Field(alias="resourceUrl")
    actie: str
    aanmaakdatum: datetime
    kenmerken: dict[str, Any] = Field(default_factory=dict)


async def known_sender(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """A `system`-role bearer token (checked by the access gate), or exactly the Authorization
    value configured for the abonnement; none configured means refused, never open. Checked
    before the body is read, so an unknown sender learns nothing from validation errors."""
    settings: ZgwSettings = request.app.state.zgw_settings
    if optional_access(request) is None and not _callback_token_valid(settings, authorization):
        raise HTTPException(
            401,
            detail="Onbekende afzender van de notificatie.",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.post("/notifications", status_code=204, dependencies=[Depends(known_sender)])
async def notification(body: Notification, request: Request) -> Response:
    if body.kanaal != "zaken" or body.actie not in RECORDED_ACTIONS:
        return Response(status_code=204)  # not about zaken: nothing to do, but acknowledged
    work = casework(request)
    async with work.service.db.transaction() as session:
        zaak = (
            await session.execute(select(ZaakRow).where(ZaakRow.zaak_url == body.hoofd_object))
        ).scalar_one_or_none()
        row = await session.get(CaseRow, zaak.case_id) if zaak else None
        if row is not None:
            at = body.aanmaakdatum
            entry = system_event(
                "zgw-notification",
                at,
                {
                    "kanaal": body.kanaal,
                    "actie": body.actie,
                    "resource": body.resource,
                    "resource_url": body.resource_url,
                    "zaak_url": body.hoofd_object,
                },
                reason=f"Het zaaksysteem meldt: {body.resource} {body.actie}.",
            )
            await work.note(session, row, entry)
    return Response(status_code=204)


def _callback_token_valid(settings: ZgwSettings, authorization: str | None) -> bool:
    expected = settings.notifications_token
    if not expected or authorization is None:
        return False
    return hmac.compare_digest(authorization.encode(), expected.encode())
