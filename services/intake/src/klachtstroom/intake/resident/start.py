"""What registration adds for the resident: the own link, the first line of the timeline,
the desired outcome in their own words, and the receipt (with the link) in the message queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.messages import (
    compose,
    link_row,
    message_call,
    message_context,
    mint_link,
    new_message,
)
from klachtstroom.intake.resident.progress import STATUS_TEXT
from klachtstroom.intake.store import (
    Complaint,
    DesiredOutcome,
    ResidentMessage,
    ResidentProgress,
    ResidentUpdate,
    StatusLink,
    outbound_calls,
)
from klachtstroom.platform.db import insert_new, new_row
from klachtstroom.platform.outbound.queue import enqueue_calls

RECEIPT_WORDING = {"objection": "receipt_objection", "question": "receipt_question"}


async def new_link(session: AsyncSession, complaint_id: str, now: datetime) -> str:
    """A link for a complaint (also for a retried request: every link opens the same page)."""
    return await mint_link(session, complaint_id, now)


async def start_following(
    session: AsyncSession,
    vault: Vault,
    complaint: Complaint,
    *,
    recipient: tuple[str, str] | None,
    desired_outcome: str | None,
    base_url: str,
    organisation: str,
    show_names: bool,
    now: datetime,
    not_accepted: str = "",
) -> str:
    """Returns the code of the resident's link; only its hash is stored.

    For a complaint being registered (not stored yet): `recipient` is where its messages go
    (`recipient_from` its contact details), and its first messages are numbered 0. Its rows
    are written here, in the registration's transaction.
    """
    code, link = link_row(complaint.id, now)
    # The counters as their column defaults would write them, so the receipt reads the same.
    progress = ResidentProgress(
        complaint_id=complaint.id,
        updated_at=now,
        deadline_extended_weeks=0,
        extended_weeks=0,
        extension_told=0,
    )
    update = ResidentUpdate(complaint_id=complaint.id, at=complaint.received_at, text=STATUS_TEXT["received"])
    rows: list[StatusLink | DesiredOutcome | ResidentProgress | ResidentUpdate] = [link, progress, update]
    if desired_outcome:
        rows.append(DesiredOutcome(complaint_id=complaint.id, text=desired_outcome))
    context = message_context(
        complaint, progress, organisation=organisation, status_url=links.status_url(base_url, code),
        show_names=show_names,
    )  # fmt: skip
    messages = []
    if recipient is not None and not complaint.merged_into:  # a merged complaint gets no messages
        # An objection or a question is told where it goes, not that a complaint is handled in 6 weeks.
        wording = RECEIPT_WORDING.get(complaint.kind, "receipt")
        subject, body = await compose(session, wording, context)
        messages.append(
            new_message(vault, complaint, "receipt", recipient, now, seq=0, subject=subject, body=body)
        )
        if not_accepted:  # part of an e-mail was refused: the sender hears what, and how to resend it
            subject, body = await compose(
                session, "mail_not_accepted", context | {"not_accepted": not_accepted}
            )
            messages.append(
                new_message(
                    vault, complaint, "mail_not_accepted", recipient, now, seq=0, subject=subject, body=body
                )
            )
    # Plain INSERTs of the rows (they stay transient objects): a registration's writer time is
    # what every channel queues for, and the session's unit of work was most of it.
    await insert_new(session, *rows)
    for message in messages:  # each message's id, for its outbound call
        message.id = (
            await session.execute(insert(ResidentMessage).returning(ResidentMessage.id), new_row(message))
        ).scalar_one()
    await enqueue_calls(session, outbound_calls, [message_call(m) for m in messages], now)
    return code
