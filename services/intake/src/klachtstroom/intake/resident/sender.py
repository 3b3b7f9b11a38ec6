"""Sending the queued messages to residents: e-mail over SMTP (aiosmtplib), letters to the print queue.

A row is claimed for a while (`claimed_until`, FOR UPDATE SKIP LOCKED on PostgreSQL) so two
instances never send it twice, written (a later message gets a fresh link of its own), sent and
marked sent in one go; when the mail server is away the row stays with the error and an
exponentially growing, jittered wait. After `mail_max_attempts` it is marked failed (counted on
the coordinator's side; the status page still shows everything). Each e-mail carries a
Message-ID from the row id, so a repeat after a crash can be recognised.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import logging
import os
import random
import socket
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
from sqlalchemy import func, or_, select, update

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident import links
from klachtstroom.intake.resident.claims import needs_texts, remember_case_texts
from klachtstroom.intake.resident.messages import (
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
from klachtstroom.platform.metrics import count_delivery, deliveries_from_zero
from klachtstroom.platform.service import Service

log = logging.getLogger(__name__)

M = ResidentMessage
DELIVERY_KIND = "resident.message"  # the outbound_deliveries series of messages to residents
CLAIM_SECONDS = 60.0
# An extension is told with its new date: wait (briefly) for deadlines to have recomputed it.
WAIT_FOR_TERM = timedelta(minutes=2)


class NotYet(Exception):
    """The message cannot be written yet (a fact it needs has not arrived); try again soon."""


class ResidentMailer:
    def __init__(self, service: Service, vault: Vault, settings: IntakeSettings, base_url: str) -> None:
        self.service = service
        self.vault = vault
        self.settings = settings
        self.base_url = base_url
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wakeup = asyncio.Event()
        self.sent = 0
        deliveries_from_zero(DELIVERY_KIND)

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
                delay = await self.seconds_to_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: try again shortly
                log.exception("resident messages: delivery round failed")
                delay = self.settings.mail_poll_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=delay)
            self.wakeup.clear()

    async def seconds_to_next(self) -> float:
        async with self.service.db.reading() as session:
            next_at = await session.scalar(select(func.min(M.next_attempt_at)).where(M.state == PENDING))
        poll = self.settings.mail_poll_seconds
        if next_at is None:
            return poll
        aware = next_at if next_at.tzinfo else next_at.replace(tzinfo=UTC)
        return max(0.05, min(poll, (aware - datetime.now(UTC)).total_seconds()))

    async def deliver_due(self) -> int:
        claimed = await self._claim()
        for row_id in claimed:
            await self._deliver(row_id)
        return len(claimed)

    async def _claim(self) -> list[int]:
        now = datetime.now(UTC)
        async with self.service.db.transaction() as session:
            ids = list(
                (
                    await session.scalars(
                        select(M.id)
                        .where(
                            M.state == PENDING,
                            M.next_attempt_at <= now,
                            or_(M.claimed_until.is_(None), M.claimed_until < now),
                        )
                        .order_by(M.id)
                        .limit(50)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
            if ids:
                await session.execute(
                    update(M)
                    .where(M.id.in_(ids))
                    .values(claimed_by=self.instance, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                )
        return ids

    async def _deliver(self, row_id: int) -> None:
        try:
            await self._prepare_texts(row_id)
            subject, body, channel, recipient = await self._write(row_id)
            if channel == EMAIL:
                await self._send_email(row_id, recipient, subject, body)
                await self._settle(row_id, {"state": SENT, "body_enc": None, "sent_at": datetime.now(UTC)})
                self.sent += 1
            else:  # a letter: it waits in the print queue, written out
                await self._settle(
                    row_id, {"state": PRINT, "body_enc": self.vault.encrypt(body), "subject": subject}
                )
        except NotYet:
            await self._settle(
                row_id, {"next_attempt_at": datetime.now(UTC) + timedelta(seconds=1)}, attempt=False
            )
        except (OSError, aiosmtplib.SMTPException) as error:
            await self._failed(row_id, type(error).__name__)
        except Exception as error:  # a bug: keep the row, say so, try again later
            log.exception("resident message %s: unexpected error", row_id)
            await self._failed(row_id, type(error).__name__)

    async def _prepare_texts(self, row_id: int) -> None:
        async with self.service.db.reading() as session:
            row = await session.get(M, row_id)
            assert row is not None
            progress = await session.get(ResidentProgress, row.complaint_id)
            complaint = await session.get(Complaint, row.complaint_id)
        if row.body_enc is not None or progress is None or complaint is None:
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

    async def _write(self, row_id: int) -> tuple[str, str, str, str]:
        """(subject, body, channel, recipient); a later message gets its own fresh link."""
        async with self.service.db.transaction() as session:
            row = await session.get(M, row_id)
            assert row is not None
            recipient = self.vault.decrypt(row.recipient_enc) or ""
            if row.body_enc is not None:
                return row.subject, self.vault.decrypt(row.body_enc) or "", row.channel, recipient
            complaint = await session.get(Complaint, row.complaint_id)
            assert complaint is not None
            progress = await session.get(ResidentProgress, row.complaint_id)
            code = await mint_link(session, complaint.id, datetime.now(UTC))
            context = message_context(
                complaint, progress, organisation=self.settings.organisation,
                status_url=links.status_url(self.base_url, code), show_names=self.settings.show_handler_names,
            )  # fmt: skip
            subject, body = await compose(session, row.kind, context)
            return subject, body, row.channel, recipient

    async def _send_email(self, row_id: int, recipient: str, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<bericht-{row_id}@{s.mail_from.rsplit('@', 1)[-1]}>"
        message.set_content(body)
        raw = message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))
        await aiosmtplib.send(
            raw,
            sender=s.mail_from,
            recipients=[recipient],
            hostname=s.mail_smtp_host,
            port=s.mail_smtp_port,
            username=s.mail_username,
            password=s.mail_password,
            start_tls=s.mail_starttls,
            timeout=s.mail_timeout_seconds,
        )

    async def _failed(self, row_id: int, error: str) -> None:
        async with self.service.db.reading() as session:
            row = await session.get(M, row_id)
        attempts = (row.attempts if row else 0) + 1
        if attempts >= self.settings.mail_max_attempts:
            await self._settle(row_id, {"state": FAILED, "last_error": error})
            return
        first, most = self.settings.mail_retry_first_seconds, self.settings.mail_retry_max_seconds
        delay = min(most, first * 2.0 ** (attempts - 1)) * random.uniform(0.9, 1.1)
        log.warning(
            "resident message %s not sent (%s), attempt %d; next try in %.0fs", row_id, error, attempts, delay
        )
        await self._settle(
            row_id, {"last_error": error, "next_attempt_at": datetime.now(UTC) + timedelta(seconds=delay)}
        )

    async def _settle(self, row_id: int, values: dict[str, Any], *, attempt: bool = True) -> None:
        if attempt:  # a mail sent or a letter in the print queue, a retry, or given up
            state = values.get("state")
            count_delivery(DELIVERY_KIND, "dead" if state == FAILED else "sent" if state else "retry")
        async with self.service.db.transaction() as session:
            changes: dict[str, Any] = {"claimed_by": None, "claimed_until": None, **values}
            if attempt:
                changes["attempts"] = M.attempts + 1
            await session.execute(
                update(M).where(M.id == row_id, M.claimed_by == self.instance).values(**changes)
            )
