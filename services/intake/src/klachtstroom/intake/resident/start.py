"""What registration adds for the resident: the own link, the first line of the timeline,
the desired outcome in their own words, and the receipt (with the link) in the message queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.messages import compose, message_context, mint_link, queue
from klachtstroom.intake.resident.progress import STATUS_TEXT
from klachtstroom.intake.store import Complaint, DesiredOutcome, ResidentProgress, ResidentUpdate

RECEIPT_WORDING = {"objection": "receipt_objection", "question": "receipt_question"}


async def new_link(session: AsyncSession, complaint_id: str, now: datetime) -> str:
    """A link for a complaint (also for a retried request: every link opens the same page)."""
    return await mint_link(session, complaint_id, now)


async def start_following(
    session: AsyncSession,
    vault: Vault,
    complaint: Complaint,
    *,
    desired_outcome: str | None,
    base_url: str,
    organisation: str,
    show_names: bool,
    now: datetime,
    not_accepted: str = "",
) -> str:
    """Returns the code of the resident's link; only its hash is stored."""
    code = await mint_link(session, complaint.id, now)
    if desired_outcome:
        session.add(DesiredOutcome(complaint_id=complaint.id, text=desired_outcome))
    progress = ResidentProgress(complaint_id=complaint.id, updated_at=now)
    session.add(progress)
    session.add(
        ResidentUpdate(complaint_id=complaint.id, at=complaint.received_at, text=STATUS_TEXT["received"])
    )
    await session.flush()
    context = message_context(
        complaint, progress, organisation=organisation, status_url=links.status_url(base_url, code),
        show_names=show_names,
    )  # fmt: skip
    # An objection or a question is told where it goes, not that a complaint is handled in 6 weeks.
    wording = RECEIPT_WORDING.get(complaint.kind, "receipt")
    subject, body = await compose(session, wording, context)
    await queue(session, vault, complaint, "receipt", now, subject=subject, body=body)
    if not_accepted:  # part of an e-mail was refused: the sender hears what, and how to resend it
        subject, body = await compose(session, "mail_not_accepted", context | {"not_accepted": not_accepted})
        await queue(session, vault, complaint, "mail_not_accepted", now, subject=subject, body=body)
    return code
