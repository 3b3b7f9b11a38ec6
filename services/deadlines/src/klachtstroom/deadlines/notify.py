"""Delivering the notifications the timers wrote: e-mail (SMTP, aiosmtplib) and webhooks (httpx).

A notification row is claimed for a while (`claimed_until`, FOR UPDATE SKIP LOCKED on
PostgreSQL) so two instances do not send it twice, sent, and then marked sent. When the mail
server or the webhook receiver is away the row stays, with the error and an exponentially
growing wait before the next attempt: the service itself never fails because of it.
Delivery is at-least-once (a crash between sending and marking sends again); every e-mail
carries a Message-ID and every webhook call a `webhook-id` to recognise a repeat.

Webhook bodies are the CloudEvents envelope of the deadline event, signed with the webhook's
secret as a Standard Webhooks request (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
and sent only to a checked public address (or an allowed host); what the API shows of a failed
call says no more than "niet bereikbaar" or the HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.policy
import logging
import os
import random
import socket
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy import func, or_, select, update

from klachtstroom.deadlines.escalation import EscalationBook
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.store import NotificationRecord, utc
from klachtstroom.platform.db import Database
from klachtstroom.platform.metrics import count_delivery, deliveries_from_zero
from klachtstroom.platform.outbound.destinations import GuardedTransport, failure_text
from klachtstroom.platform.outbound.signing import signed_headers

log = logging.getLogger(__name__)

N = NotificationRecord
SENT, PENDING, DROPPED = "sent", "pending", "dropped"


def webhook_message_id(notification_id: int) -> str:
    """The `webhook-id` of a notification: the same on every retry of it."""
    return f"msg_deadlines_{notification_id}"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryFailed(Exception):
    """The receiver did not take the notification (the message names no personal data)."""


class NotificationSender:
    def __init__(
        self,
        db: Database,
        book: EscalationBook,
        settings: DeadlinesSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], dt.datetime] = _wall_clock,
        instance: str | None = None,
    ) -> None:
        # Retries run on the wall clock, not on the test clock: they are about real servers.
        self.db = db
        self.book = book
        self.settings = settings
        self.transport = transport
        self.now = now
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.sent = 0
        self.failed = 0
        deliveries_from_zero("notification.email", "notification.webhook")
        self.wakeup = asyncio.Event()
        self._http: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    while await self.deliver_due():
                        pass
                    delay = await self.seconds_to_next()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the database is away: try again shortly
                    log.exception("notifications: delivery round failed")
                    delay = self.settings.sender_poll_seconds
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=delay)
                self.wakeup.clear()
        finally:
            await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def seconds_to_next(self) -> float:
        async with self.db.reading() as session:
            next_at = (
                await session.execute(select(func.min(N.next_attempt_at)).where(N.state == PENDING))
            ).scalar_one_or_none()
        poll = self.settings.sender_poll_seconds
        if next_at is None:
            return poll
        return max(0.05, min(poll, (utc(next_at) - self.now()).total_seconds()))

    # -- one round -----------------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Claim, send and settle the notifications that are due; returns how many were tried."""
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._deliver(row) for row in claimed))
        await self._settle(claimed, results)
        return len(claimed)

    async def _claim(self) -> list[Any]:
        now = self.now()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(N.id, N.case_id, N.step, N.channel, N.target, N.subject, N.body, N.attempts)
                    .where(
                        N.state == PENDING,
                        N.next_attempt_at <= now,
                        or_(N.claimed_until.is_(None), N.claimed_until < now),
                    )
                    .order_by(N.id)
                    .limit(self.settings.sender_batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                until = now + dt.timedelta(seconds=self.settings.sender_lease_seconds)
                await session.execute(
                    update(N)
                    .where(N.id.in_([r.id for r in rows]))
                    .values(claimed_by=self.instance, claimed_until=until)
                )
        return list(rows)

    async def _deliver(self, row: Any) -> str | None:
        """None when delivered, else a short reason (an error type or HTTP status, no content)."""
        try:
            if row.channel == "email":
                await self._send_email(row)
            else:
                await self._call_webhook(row)
            return None
        except _Dropped as dropped:
            return f"{DROPPED}:{dropped}"
        except DeliveryFailed as error:
            return str(error)
        except httpx.HTTPError:
            return failure_text()  # refused, timed out or not allowed look the same (no port scanner)
        except (OSError, aiosmtplib.SMTPException) as error:
            return type(error).__name__  # the server is away or refused: no addresses in the reason
        except Exception as error:  # a bug: keep the row, say so loudly, try again later
            log.exception("notification %s (%s): unexpected error", row.id, row.channel)
            return type(error).__name__

    async def _settle(self, rows: list[Any], results: list[str | None]) -> None:
        now = self.now()
        async with self.db.transaction() as session:
            for row, error in zip(rows, results, strict=True):
                mine = (N.id == row.id, N.claimed_by == self.instance)
                kind = f"notification.{row.channel}"
                if error is None:
                    values: dict[str, Any] = {"state": SENT, "sent_at": now, "last_error": None}
                    self.sent += 1
                    count_delivery(kind, "sent")
                elif error.startswith(f"{DROPPED}:"):
                    values = {"state": DROPPED, "last_error": error.removeprefix(f"{DROPPED}:")}
                    count_delivery(kind, "dead")
                else:
                    count_delivery(kind, "retry")
                    delay = self._backoff(row.attempts + 1)
                    values = {"next_attempt_at": now + dt.timedelta(seconds=delay), "last_error": error}
                    self.failed += 1
                    log.warning(
                        "notification %s (%s) not delivered (%s), attempt %d; next try in %.0fs",
                        row.id, row.channel, error.split(":")[0], row.attempts + 1, delay,
                    )  # fmt: skip
                await session.execute(
                    update(N)
                    .where(*mine)
                    .values(attempts=N.attempts + 1, claimed_by=None, claimed_until=None, **values)
                )

    def _backoff(self, attempts: int) -> float:
        base: float = self.settings.retry_first_seconds * 2.0 ** max(0, attempts - 1)
        return min(self.settings.retry_max_seconds, base) * random.uniform(0.9, 1.1)

    # -- channels ------------------------------------------------------------------------------------

    async def _send_email(self, row: Any) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = row.target
        message["Subject"] = row.subject
        message["Date"] = format_datetime(_wall_clock())
        domain = s.smtp_from.rsplit("@", 1)[-1]
        message["Message-ID"] = f"<notificatie-{row.id}@{domain}>"
        message["X-Klachtstroom-Case"] = row.case_id
        message["X-Klachtstroom-Step"] = row.step
        message.set_content(row.body)
        # Our subjects run past 78 characters; folded by the default policy they would start
        # with a space after unfolding. RFC 5322 allows lines up to 998 characters.
        raw = message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))
        await aiosmtplib.send(
            raw,
            sender=s.smtp_from,
            recipients=[row.target],
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            start_tls=s.smtp_starttls,
            timeout=s.smtp_timeout_seconds,
        )

    async def _call_webhook(self, row: Any) -> None:
        secret = (await self.book.current()).secret_for(row.target)
        if secret is None:
            raise _Dropped("webhook is niet meer ingesteld")
        body = row.body.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Klachtstroom-Event": row.subject,
            **signed_headers(secret, webhook_message_id(row.id), body),
        }
        response = await self._client().post(row.target, content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(failure_text(status_code=response.status_code))

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds,
                transport=GuardedTransport(self.transport),
                follow_redirects=False,
            )
        return self._http


class _Dropped(Exception):
    """The notification can no longer be delivered (its webhook was removed from the configuration)."""
