"""Delivering the notifications the timers wrote: e-mail (SMTP) and webhooks, through the platform's
outbound queue.

`record` writes the notification rows (what the term watch tells whom: step, channel, target,
subject, body) and queues one call per row (kinds `notification.email`, `notification.webhook`)
in the transaction that fires their timers. The queue (platform/outbound) claims due calls under
a lease so two instances never send one twice, retries with a doubling, jittered wait
(`retry_first_seconds` up to `retry_max_seconds`) until `delivery_max_attempts`, and marks a call
sent once. When the mail server or the webhook receiver is away the call stays with the error:
the service itself never fails because of it. Delivery is at-least-once (a crash between sending
and marking sends again); every e-mail carries a Message-ID and every webhook call a `webhook-id`
(the call's message id) to recognise a repeat.

Webhook bodies are the CloudEvents envelope of the deadline event, signed with the webhook's
secret as a Standard Webhooks request (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
and sent only to a checked public address (or an allowed host); what the API shows of a failed
call says no more than "niet bereikbaar" or the HTTP status. A webhook removed from the
configuration is not called any more (`dropped`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.deadlines.notifications.recipients import EscalationBook
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.store import NotificationRecord
from klachtstroom.platform.db import Database
from klachtstroom.platform.outbound.destinations import guarded_client
from klachtstroom.platform.outbound.mail import SmtpRelay, send_email
from klachtstroom.platform.outbound.queue import (
    DEAD,
    DeliveryResult,
    NewCall,
    OutboundCall,
    OutboundQueue,
    RetryPolicy,
)
from klachtstroom.platform.outbound.webhooks import post_webhook

N = NotificationRecord
EMAIL, WEBHOOK = "notification.email", "notification.webhook"
KINDS = (EMAIL, WEBHOOK)
# The API's words for the queue's states: a notification given up is `dropped`.
NOTIFICATION_STATES = {DEAD: "dropped"}


def new_message_id() -> str:
    """The `webhook-id` of a new notification (rows from before the queue keep `msg_deadlines_<id>`)."""
    return f"msg_deadlines_{uuid.uuid4().hex}"


def notification_retries(settings: DeadlinesSettings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.delivery_max_attempts,
        first_backoff_seconds=settings.retry_first_seconds,
        max_backoff_seconds=settings.retry_max_seconds,
        lease_seconds=settings.sender_lease_seconds,
        batch=settings.sender_batch,
        poll_seconds=settings.sender_poll_seconds,
    )


class NotificationSender:
    """Writes notifications with their queued calls, and delivers those calls from the outbound queue."""

    def __init__(
        self,
        db: Database,
        queue: OutboundQueue,
        book: EscalationBook,
        settings: DeadlinesSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.book = book
        self.settings = settings
        self.transport = transport
        self._http: httpx.AsyncClient | None = None
        retry = notification_retries(settings)
        queue.register(EMAIL, self._send_email, retry=retry)
        queue.register(WEBHOOK, self._call_webhook, retry=retry)

    async def record(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Write notification rows (timer_id, case_id, step, channel, target, subject, body,
        created_at) and queue their delivery, in the caller's transaction."""
        if not rows:
            return
        stored = [row | {"message_id": new_message_id()} for row in rows]
        await session.execute(insert(NotificationRecord), stored)
        await self.queue.enqueue_many(
            session,
            [
                NewCall(
                    f"notification.{row['channel']}",
                    b"",
                    subject=row["case_id"],
                    message_id=row["message_id"],
                )
                for row in stored
            ],
        )

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        try:
            await self.queue.run()
        finally:
            await self.close()

    async def deliver_due(self) -> int:
        """One round of the queue: claim, send and settle what is due; returns how many were tried."""
        return await self.queue.deliver_due()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- channels ------------------------------------------------------------------------------------

    async def _notification(self, call: OutboundCall) -> Any:
        async with self.db.reading() as session:
            return (
                await session.execute(
                    select(N.id, N.case_id, N.step, N.target, N.subject, N.body).where(
                        N.message_id == call.message_id
                    )
                )
            ).one_or_none()

    async def _send_email(self, call: OutboundCall) -> DeliveryResult:
        row = await self._notification(call)
        if row is None:
            return DeliveryResult(error="melding niet gevonden", permanent=True)
        s = self.settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = row.target
        message["Subject"] = row.subject
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        domain = s.smtp_from.rsplit("@", 1)[-1]
        message["Message-ID"] = f"<notificatie-{row.id}@{domain}>"
        message["X-Klachtstroom-Case"] = row.case_id
        message["X-Klachtstroom-Step"] = row.step
        message.set_content(row.body)
        relay = SmtpRelay(
            host=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            starttls=s.smtp_starttls,
            timeout_seconds=s.smtp_timeout_seconds,
        )
        return await send_email(relay, message)

    async def _call_webhook(self, call: OutboundCall) -> DeliveryResult:
        row = await self._notification(call)
        if row is None:
            return DeliveryResult(error="melding niet gevonden", permanent=True)
        secret = (await self.book.current()).secret_for(row.target)
        if secret is None:
            return DeliveryResult(error="webhook is niet meer ingesteld", permanent=True)
        return await post_webhook(
            self._client(),
            row.target,
            row.body.encode(),
            message_id=call.message_id,
            secret=secret,
            headers={"X-Klachtstroom-Event": row.subject},
        )

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = guarded_client(self.settings.webhook_timeout_seconds, transport=self.transport)
        return self._http
