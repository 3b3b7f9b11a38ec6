"""The texts of a complaint, asked from their owner, intake, at the moment routing needs them.

Claim check (DESIGN.md "Personal data"): the description, the employee complained about and
the KCC's hand-over note never travel in an event (Kafka topics are kept forever, so what is in
them could never be erased). Routing asks intake's `GET /api/v1/complaints/{id}` when a person
opens the case page, when a hand-over to a provider is sent and when Awb 9:7 must be checked,
and keeps none of it in its own database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from klachtstroom.platform.audit import on_behalf_of
from klachtstroom.platform.auth import Access
from klachtstroom.platform.peers import Peers

log = logging.getLogger(__name__)


class ComplaintTextUnavailable(RuntimeError):
    """Intake could not give the texts now (down, or the complaint is unknown to it)."""


@dataclass(frozen=True)
class ComplaintText:
    description: str | None = None
    about_employee: str | None = None
    handover_note: str | None = None
    desired_outcome: str | None = None  # "wat wilt u bereiken", for the handler


async def fetch_complaint_text(
    peers: Peers, complaint_id: str, access: Access | None = None
) -> ComplaintText:
    """The texts of one complaint from intake; ComplaintTextUnavailable when intake cannot answer.
    `access`: the signed-in person routing asks for (named in intake's audit trail)."""
    try:
        response = await peers.client("intake").get(
            f"/api/v1/complaints/{complaint_id}", headers=on_behalf_of(access)
        )
    except httpx.HTTPError as error:
        raise ComplaintTextUnavailable(type(error).__name__) from None
    if response.status_code != 200:
        raise ComplaintTextUnavailable(f"HTTP {response.status_code}")
    body = response.json()
    return ComplaintText(
        description=_text(body.get("description")),
        about_employee=_text(body.get("about_employee")),
        handover_note=_text(body.get("handover_note")),
        desired_outcome=_text(body.get("desired_outcome")),
    )


async def complaint_text_or_none(
    peers: Peers, complaint_id: str, access: Access | None = None
) -> ComplaintText | None:
    """For pages: None (shown as "not available now") when intake cannot answer."""
    try:
        return await fetch_complaint_text(peers, complaint_id, access)
    except ComplaintTextUnavailable as error:
        log.warning("complaint text not available from intake (%s)", error)
        return None


async def complaint_messages(peers: Peers, complaint_id: str) -> list[dict[str, object]] | None:
    """The resident's later messages (e-mail replies naming the reference) kept by intake, oldest
    first; None when intake cannot answer now."""
    try:
        response = await peers.client("intake").get(f"/api/v1/complaints/{complaint_id}/messages")
    except httpx.HTTPError as error:
        log.warning("messages not available from intake (%s)", type(error).__name__)
        return None
    if response.status_code != 200:
        return None
    items = response.json().get("items")
    return [dict(item, complaint_id=complaint_id) for item in items] if isinstance(items, list) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
