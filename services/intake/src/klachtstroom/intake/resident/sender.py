"""Writing and sending the queued messages to residents, as calls of the platform's outbound queue.

Every message queued (messages.py) has an outbound call of kind `resident.message` whose body is
only the message's row id: text and address stay encrypted on the row and are read here, at
send time. The queue (platform/outbound) claims due calls under a lease so two instances never
send one twice, retries with a doubling, jittered wait (`mail_retry_first_seconds` up to
`mail_retry_max_seconds`) until `mail_max_attempts`, and then gives up (the row `failed`;
counted on the coordinator's side, the status page still shows everything).

The deliverer writes the message from the current state (a later message gets a fresh link of
its own) and then either sends it by e-mail (platform/outbound/mail; the row `sent`, its text
wiped) or leaves it, written out, in the print queue (the row `print`). Each e-mail carries a
Message-ID from the row id, so a repeat after a crash can be recognised. A message that needs a
fact not yet arrived is put off without counting an attempt.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.claims import needs_texts, remember_case_texts
from klachtstroom.intake.resident.messages import (
    DELIVERY_KIND,
    EMAIL,
    FAILED,
    PENDING,
    PRINT,
    SENT,
    compose,
    message_context,
    mint_link,
)
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.intake.store import Complaint, ResidentMessage, ResidentProgress
from klachtstroom.platform.outbound.mail import SmtpRelay, send_email
from klachtstroom.platform.outbound.queue import DeliveryResult, OutboundCall, OutboundQueue, RetryPolicy
from klachtstroom.platform.service import Service

log = logging.getLogger(__name__)

M = ResidentMessage
CLAIM_SECONDS = 60.0
BATCH = 20  # sent side by side in one round (the old loop took 50 but sent them one by one)
# An extension is told with its new date: wait (briefly) for deadlines to have recomputed it.
WAIT_FOR_TERM = timedelta(minutes=2)
NOT_YET_SECONDS = 1.0
# What sending a message reads of its row, in one statement.
_MESSAGE = select(M.kind, M.channel, M.subject, M.body_enc, M.recipient_enc, M.complaint_id, M.created_at)
_MessageRow = Row[str, str, str, bytes | None, bytes | None, str, datetime]


class NotYet(Exception):
    """The message cannot be written yet (a fact it needs has not arrived); try again soon."""


def message_retries(settings: IntakeSettings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.mail_max_attempts,
        first_backoff_seconds=settings.mail_retry_first_seconds,
        max_backoff_seconds=settings.mail_retry_max_seconds,
        lease_seconds=CLAIM_SECONDS,
        batch=BATCH,
        poll_seconds=settings.mail_poll_seconds,
    )


def _row_id(call: OutboundCall) -> int:
    return int(call.body.decode())


class ResidentMailer:
    """The deliverer of `resident.message` calls on intake's outbound queue."""

    def __init__(
        self, service: Service, queue: OutboundQueue, vault: Vault, settings: IntakeSettings, base_url: str
    ) -> None:
        self.service = service
        self.queue = queue
        self.vault = vault
        self.settings = settings
        self.base_url = base_url
        self.relay = SmtpRelay(
            host=settings.mail_smtp_host,
            port=settings.mail_smtp_port,
            username=settings.mail_username,
            password=settings.mail_password,
            starttls=settings.mail_starttls,
            timeout_seconds=settings.mail_timeout_seconds,
        )
        self.sent = 0
        queue.register(
            DELIVERY_KIND,
            self.deliver,
            on_sent=self._settled,
            on_dead=self._given_up,
            retry=message_retries(settings),
        )

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        await self.queue.run()

    async def deliver_due(self) -> int:
        """One round of the queue: claim, write, send and settle what is due; returns how many were tried."""
        return await self.queue.deliver_due()

    async def deliver(self, call: OutboundCall) -> DeliveryResult:
        row_id = _row_id(call)
        try:
            written = await self._written(row_id)
            if written is None:
                return DeliveryResult(error="bericht niet gevonden", permanent=True)
            subject, body, channel, recipient = written
            if channel != EMAIL:  # a letter: it waits in the print queue, written out
                return DeliveryResult(data={"subject": subject, "body_enc": self.vault.encrypt(body)})
            result = await send_email(self.relay, self._email(row_id, recipient, subject, body))
        except NotYet:
            return DeliveryResult(later_seconds=NOT_YET_SECONDS)
        except Exception as error:  # a bug: keep the message, say so, try again later
            log.exception("resident message %s: unexpected error", row_id)
            result = DeliveryResult(error=type(error).__name__)
        if not result.ok and not result.permanent:
            await self._attempted(call, result)
        return result

    async def _attempted(self, call: OutboundCall, result: DeliveryResult) -> None:
        """A failed attempt, for the API (the call's own retry is the queue's)."""
        log.warning(
            "resident message %s not sent (%s), attempt %d", _row_id(call), result.error, call.attempts + 1
        )
        async with self.service.db.transaction() as session:
            await session.execute(
                update(M)
                .where(M.id == _row_id(call), M.state == PENDING)
                .values(attempts=call.attempts + 1, last_error=(result.error or "")[:200])
            )

    async def _settled(self, session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        """Sent (its text wiped), or a letter written into the print queue; in the queue's transaction."""
        if "body_enc" in result.data:
            values = {"state": PRINT, "body_enc": result.data["body_enc"], "subject": result.data["subject"]}
        else:
            values = {"state": SENT, "body_enc": None, "sent_at": datetime.now(UTC)}
            self.sent += 1
        await session.execute(
            update(M)
            .where(M.id == _row_id(call), M.state == PENDING)
            .values(attempts=call.attempts + 1, **values)
        )

    async def _given_up(self, session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        await session.execute(
            update(M)
            .where(M.id == _row_id(call), M.state == PENDING)
            .values(state=FAILED, attempts=call.attempts + 1, last_error=(result.error or "")[:200])
        )

    async def _written(self, row_id: int) -> tuple[str, str, str, str] | None:
        """(subject, body, channel, recipient) of a message, None when its row is gone.

        A message whose text was written with it (a receipt, the most common message) is only
        read, once, and only the columns it needs: no writer (which every registration queues
        for) and no rows loaded whole. Others are written now, from the current state.
        """
        async with self.service.db.reading() as session:
            row = (await session.execute(_MESSAGE.where(M.id == row_id))).one_or_none()
        if row is None:
            return None
        if row.body_enc is not None:
            body = self.vault.decrypt(row.body_enc) or ""
            return row.subject, body, row.channel, self.vault.decrypt(row.recipient_enc) or ""
        await self._prepare_texts(row)
        return await self._write(row_id)

    async def _prepare_texts(self, row: _MessageRow) -> None:
        """Make sure what a message written at send time needs has arrived (or waited for long enough)."""
        async with self.service.db.reading() as session:
            progress = await session.get(ResidentProgress, row.complaint_id)
            complaint = await session.get(Complaint, row.complaint_id)
        if progress is None or complaint is None:
            return
        age = datetime.now(UTC) - (
            row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        )
        if (
            row.kind == "extension"
            and progress.deadline_extended_weeks < progress.extended_weeks
            and age < WAIT_FOR_TERM
        ):
            raise NotYet  # deadlines has not recomputed the term yet
        texts_missing = row.kind in {"extension", "suspension"} and needs_texts(progress, complaint.status)
        fetched = not texts_missing or await remember_case_texts(self.service, row.complaint_id)
        if not fetched and age < WAIT_FOR_TERM:
            raise NotYet  # routing is away for a moment: the reason belongs in the message

    async def _write(self, row_id: int) -> tuple[str, str, str, str] | None:
        """A message written at send time, in the writer's transaction: a later message gets a
        fresh link of its own (minted here)."""
        async with self.service.db.transaction() as session:
            row = await session.get(M, row_id)
            if row is None:
                return None
            recipient = self.vault.decrypt(row.recipient_enc) or ""
            if row.body_enc is not None:
                return row.subject, self.vault.decrypt(row.body_enc) or "", row.channel, recipient
            complaint = await session.get(Complaint, row.complaint_id)
            if complaint is None:
                return None
            progress = await session.get(ResidentProgress, row.complaint_id)
            code = await mint_link(session, complaint.id, datetime.now(UTC))
            context = message_context(
                complaint, progress, organisation=self.settings.organisation,
                status_url=links.status_url(self.base_url, code), show_names=self.settings.show_handler_names,
            )  # fmt: skip
            subject, body = await compose(session, row.kind, context)
            return subject, body, row.channel, recipient

    def _email(self, row_id: int, recipient: str, subject: str, body: str) -> EmailMessage:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<bericht-{row_id}@{s.mail_from.rsplit('@', 1)[-1]}>"
        message.set_content(body)
        return message
