"""Messages to the resident: queued once, in the transaction of the change they tell about.

A message goes by e-mail when the resident gave an address, else as a letter in the print
queue when a postal address is known, else not at all (the status page still shows it all).
Queuing a message also queues its outbound call (platform outbound queue, same transaction);
sender.py writes and sends it from there.
The receipt is written at registration (it carries the link just made); every later message
is written when it is sent, from the current state, with a fresh link of its own: no code is
ever stored, only hashes of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.progress import OMBUDSMAN, OUTCOME_TEXT, dutch_date, handler_role
from klachtstroom.intake.resident.wording import DEFAULTS, Wording, render
from klachtstroom.intake.store import (
    Complainant,
    Complaint,
    MessageTemplate,
    ResidentMessage,
    ResidentProgress,
    StatusLink,
    outbound_calls,
)
from klachtstroom.platform.outbound.queue import NewCall, enqueue_calls

EMAIL, LETTER = "email", "letter"
PENDING, SENT, PRINT, FAILED = "pending", "sent", "print", "failed"
DELIVERY_KIND = "resident.message"  # the outbound kind (and metric series) of messages to residents
MESSAGE_ID_PREFIX = "msg_intake_resident_"  # + the row id: the same over every retry


async def wording_for(session: AsyncSession, kind: str) -> Wording:
    row = await session.get(MessageTemplate, kind)
    return Wording(row.subject, row.body) if row is not None else DEFAULTS[kind]


async def recipient_of(session: AsyncSession, vault: Vault, complaint: Complaint) -> tuple[str, str] | None:
    """(channel, encrypted-free recipient): e-mail first, else a letter to the postal address."""
    person = await session.get(Complainant, complaint.complainant_id)
    if person is None:
        return None
    email = vault.decrypt(person.email_enc)
    if email:
        return EMAIL, email
    return recipient_from(None, vault.decrypt(person.address_enc))


def recipient_from(email: str | None, address: str | None) -> tuple[str, str] | None:
    """The same choice from contact details at hand (registration, before anything is stored)."""
    if email:
        return EMAIL, email
    if address:
        return LETTER, address
    return None


async def queue(
    session: AsyncSession,
    vault: Vault,
    complaint: Complaint,
    kind: str,
    now: datetime,
    *,
    subject: str = "",
    body: str | None = None,
) -> ResidentMessage | None:
    """Queue one message of `kind` (numbered per complaint, so a repeat of one change is refused)."""
    if complaint.merged_into:
        return None  # DESIGN.md: a merged complaint gets no messages
    recipient = await recipient_of(session, vault, complaint)
    if recipient is None:
        return None
    seq = (
        await session.scalar(
            select(func.count())
            .select_from(ResidentMessage)
            .where(ResidentMessage.complaint_id == complaint.id, ResidentMessage.kind == kind)
        )
    ) or 0
    message = new_message(vault, complaint, kind, recipient, now, seq=seq, subject=subject, body=body)
    session.add(message)
    await session.flush()
    # Written and sent by the platform's outbound queue; the call holds only the row's id.
    await enqueue_calls(session, outbound_calls, [message_call(message)], now)
    return message


def new_message(
    vault: Vault,
    complaint: Complaint,
    kind: str,
    recipient: tuple[str, str],
    now: datetime,
    *,
    seq: int,
    subject: str = "",
    body: str | None = None,
) -> ResidentMessage:
    """The row of one message (not added): recipient and body encrypted, pending."""
    channel, address = recipient
    return ResidentMessage(
        complaint_id=complaint.id,
        kind=kind,
        seq=seq,
        channel=channel,
        state=PENDING,
        recipient_enc=vault.encrypt(address),
        subject=subject or kind,
        body_enc=vault.encrypt(body) if body is not None else None,
        attempts=0,
        created_at=now,
    )


def message_call(message: ResidentMessage) -> NewCall:
    """The outbound call of a message: a reference to the (encrypted) row, no text or address."""
    return NewCall(
        DELIVERY_KIND,
        str(message.id).encode(),
        subject=message.complaint_id,
        message_id=f"{MESSAGE_ID_PREFIX}{message.id}",
    )


async def mint_link(session: AsyncSession, complaint_id: str, now: datetime) -> str:
    code = add_link(session, complaint_id, now)
    await session.flush()
    return code


def add_link(session: AsyncSession, complaint_id: str, now: datetime) -> str:
    """A new link's row, written by the caller's next flush; returns its code (never stored)."""
    code, row = link_row(complaint_id, now)
    session.add(row)
    return code


def link_row(complaint_id: str, now: datetime) -> tuple[str, StatusLink]:
    """A new link: its code (never stored) and its row (only the code's hash), not added."""
    code = links.new_code()
    return code, StatusLink(code_hash=links.code_hash(code), complaint_id=complaint_id, created_at=now)


def message_context(
    complaint: Complaint,
    progress: ResidentProgress | None,
    *,
    organisation: str,
    status_url: str,
    show_names: bool,
) -> dict[str, Any]:
    """The variables of every template, from what intake knows now."""
    role = "de klachtcoördinator van de gemeente"
    decision_due = ""
    weeks = 0
    reason = awaited = ""
    next_step = ""
    if progress is not None:
        role = handler_role(
            progress.handler_kind,
            progress.unit,
            progress.provider,
            progress.handler_name,
            show_name=show_names,
        )
        decision_due = dutch_date(progress.decision_due)
        weeks = progress.extended_weeks
        reason = (
            progress.extension_reason or "We hebben meer tijd nodig om uw klacht zorgvuldig te behandelen."
        )
        awaited = progress.suspended_reason or "de informatie die we u hebben gevraagd"
        if progress.resolution == "informal":
            next_step = "Bent u toch niet tevreden? Dan kunt u ons vragen uw klacht formeel te behandelen."
        else:
            next_step = f"Bent u het niet eens met ons oordeel? Dan kunt u binnen een jaar naar {OMBUDSMAN}."
    return {
        "organisation": organisation,
        "reference": complaint.reference,
        "status_url": status_url,
        "decision_due": decision_due,
        "handler": role,
        "weeks": weeks,
        "reason": reason,
        "awaited": awaited,
        "outcome": OUTCOME_TEXT.get(complaint.outcome or "", complaint.outcome or ""),
        "next_step": next_step,
    }


async def compose(session: AsyncSession, kind: str, context: dict[str, Any]) -> tuple[str, str]:
    return render(await wording_for(session, kind), context)
