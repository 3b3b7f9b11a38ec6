"""Texts a handler wrote *to* the resident live in routing (no free text travels in events):
the reason of an extension (Awb 9:11 lid 2) and what is awaited during a suspension. Intake asks
routing's case API for them when it writes the message or shows the page (claim check)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from klachtstroom.intake.store import Complaint, ResidentProgress
from klachtstroom.platform.peers import Peers
from klachtstroom.platform.service import Service

log = logging.getLogger(__name__)


class CaseTexts:
    def __init__(self, peers: Peers) -> None:
        self.peers = peers

    async def latest_reasons(self, case_id: str) -> dict[str, str] | None:
        """{'extend': reason, 'suspend': reason} of the latest such actions; None when routing is away."""
        try:
            response = await self.peers.client("routing").get(f"/api/v1/cases/{case_id}", timeout=3.0)
        except httpx.HTTPError as error:
            log.warning("routing not reachable for a case text (%s)", type(error).__name__)
            return None
        if response.status_code != 200:
            log.warning("routing answered %s for a case text", response.status_code)
            return None
        history: list[dict[str, Any]] = response.json().get("history") or []
        found: dict[str, str] = {}
        for entry in history:
            action = str(entry.get("action", ""))
            reason = entry.get("reason")
            if action in {"extend", "suspend"} and isinstance(reason, str) and reason.strip():
                found[action] = reason.strip()
        return found


def needs_texts(progress: ResidentProgress, status: str) -> bool:
    missing_extension = progress.extended_weeks > 0 and not progress.extension_reason
    missing_suspension = status == "waiting" and not progress.suspended_reason
    return missing_extension or missing_suspension


async def remember_case_texts(service: Service, complaint_id: str) -> bool:
    """Fetch the reason of an extension or suspension from routing once and keep it with the
    progress; False when routing could not be asked (the caller may try again later)."""
    async with service.db.reading() as session:
        progress = await session.get(ResidentProgress, complaint_id)
        complaint = await session.get(Complaint, complaint_id)
    if progress is None or complaint is None or not needs_texts(progress, complaint.status):
        return True
    reasons = await CaseTexts(service.peers).latest_reasons(complaint_id)
    if reasons is None:
        return False
    async with service.db.transaction() as session:
        row = await session.get(ResidentProgress, complaint_id)
        current = await session.get(Complaint, complaint_id)
        if row is None or current is None:
            return True
        if row.extended_weeks > 0 and not row.extension_reason and "extend" in reasons:
            row.extension_reason = reasons["extend"]
        if current.status == "waiting" and not row.suspended_reason and "suspend" in reasons:
            row.suspended_reason = reasons["suspend"]
    return True
