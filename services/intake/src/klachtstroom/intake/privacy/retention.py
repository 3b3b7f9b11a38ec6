"""Retention in intake: destroy the personal data and free text of files past their term.

Routing decides which files passed their term (platform/retention.py). Here the contact
details and their keyed hashes go (so the person can no longer be found), and so do the
complaint text, the employee's name, hand-over notes, replies, attachments, what the complainant
wanted, the timeline and messages to the resident, and the resident's own link. Kept: the
reference, dates, channel, kind, category and outcome — what the register counts.
Uploaded registers are wiped once their import finished: the complaints they held live on.

`run_everywhere` is the admin's `POST /api/v1/privacy/retention/run`: routing first, then
intake, deadlines and reporting, each over its API; it answers what each destroyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.intake.store import (
    Attachment,
    Complainant,
    Complaint,
    ComplaintMessage,
    DesiredOutcome,
    Feedback,
    ImportJob,
    RawMail,
    ResidentMessage,
    ResidentProgress,
    ResidentUpdate,
    StatusLink,
)
from klachtstroom.platform.retention import files_past_term
from klachtstroom.platform.service import Service

FINISHED_IMPORTS = ("done", "failed")


async def destroy(service: Service, complaint_ids: Sequence[str], now: datetime) -> list[str]:
    """Destroy intake's personal data of these complaints; returns those not destroyed before."""
    destroyed: list[str] = []
    async with service.db.transaction() as session:
        for start in range(0, len(complaint_ids), 500):
            chunk = list(complaint_ids[start : start + 500])
            rows = (
                await session.scalars(
                    select(Complaint).where(Complaint.id.in_(chunk), Complaint.destroyed_at.is_(None))
                )
            ).all()
            ids = [row.id for row in rows]
            if not ids:
                continue
            people = [row.complainant_id for row in rows]
            for row in rows:
                row.description = ""
                row.about_employee = None
                row.handover_note = None
                row.destroyed_at = now
            await session.execute(
                update(Complainant)
                .where(Complainant.id.in_(people))
                .values(name_enc=None, email_enc=None, phone_enc=None, address_enc=None, bsn_enc=None,
                        name_hash=None, email_hash=None, phone_hash=None, bsn_hash=None)
            )  # fmt: skip
            await session.execute(
                update(ComplaintMessage)
                .where(ComplaintMessage.complaint_id.in_(ids))
                .values(body="", subject=None, sender_enc=None)
            )
            await session.execute(
                update(ResidentProgress)
                .where(ResidentProgress.complaint_id.in_(ids))
                .values(extension_reason=None, suspended_reason=None, handler_name=None)
            )
            await session.execute(
                update(ResidentMessage)
                .where(ResidentMessage.complaint_id.in_(ids))
                .values(recipient_enc=None, body_enc=None)
            )
            await session.execute(update(Feedback).where(Feedback.complaint_id.in_(ids)).values(comment=None))
            for table in (Attachment, RawMail, DesiredOutcome, ResidentUpdate, StatusLink):
                await session.execute(delete(table).where(table.complaint_id.in_(ids)))
            destroyed += ids
        await session.execute(
            update(ImportJob).where(ImportJob.status.in_(FINISHED_IMPORTS)).values(content=b"")
        )
    return destroyed


async def run_here(service: Service, as_of: date) -> list[str]:
    """The daily job of intake: destroy what routing says passed its term."""
    return await destroy(service, await files_past_term(service, as_of), service.clock.now())


class RetentionFailed(Exception):
    def __init__(self, peer: str) -> None:
        super().__init__(peer)
        self.peer = peer


async def _post(service: Service, peer: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await service.peers.client(peer).post("/api/v1/privacy/retention/run", json=body)
    except Exception:
        raise RetentionFailed(peer) from None
    if response.status_code != 200:
        raise RetentionFailed(peer)
    answer: dict[str, Any] = response.json()
    return answer


async def run_everywhere(service: Service, as_of: date | None) -> dict[str, Any]:
    """Destroy files past their term in every service now; what each destroyed, by id."""
    day = as_of or local_date(service.clock.now())
    answers: dict[str, Any] = {"routing": await _post(service, "routing", {"as_of": day.isoformat()})}
    due = await files_past_term(service, day)
    ids = await destroy(service, due, service.clock.now())
    answers["intake"] = {"service": "intake", "as_of": day.isoformat(), "destroyed": len(ids), "ids": ids}
    for peer in ("deadlines", "reporting"):
        answers[peer] = await _post(service, peer, {"as_of": day.isoformat(), "complaint_ids": due})
    return {"as_of": day.isoformat(), "services": answers}
