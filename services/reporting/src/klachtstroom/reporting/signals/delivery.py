"""Delivering signals to the college: e-mail and a signed webhook, through the platform's outbound queue.

`SignalDesk` queues one call per configured channel (kinds `signal.email`, `signal.webhook`) in
the transaction that stores the signal. The queue (platform/outbound) claims due calls under a
lease, so two replicas never both send one, retries with a doubling, jittered wait (1, 2, 4, 8,
16, 30, 30, ... seconds: a short outage still delivers within a minute) until
`delivery_max_attempts`, and marks a call sent once. The receiver can still see a repeat after a
crash between sending and marking: the e-mail's Message-ID and the webhook's `webhook-id` are
the signal id, so it can drop it. The webhook is a Standard Webhooks request (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) signed with `KLACHTSTROOM_REPORTING_WEBHOOK_SECRET`.

A call's body is the webhook body (the signal as JSON); the e-mail is written from the same.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.signal_events import TrendSignal, UrgentSignal
from klachtstroom.platform.outbound.mail import SmtpRelay, send_email
from klachtstroom.platform.outbound.queue import (
    DeliveryResult,
    NewCall,
    OutboundCall,
    OutboundQueue,
    RetryPolicy,
)
from klachtstroom.platform.outbound.webhooks import plain_client, post_webhook
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals import text as signal_text

EMAIL, WEBHOOK = "signal.email", "signal.webhook"
KINDS = (EMAIL, WEBHOOK)
MAX_BACKOFF_SECONDS = 30.0
SMTP_TIMEOUT_SECONDS = 15.0


def message_id(kind: str, signal_id: str) -> str:
    """The id a receiver drops repeats by: `msg_<id>` (webhook), `<id@klachtstroom>` (e-mail)."""
    return f"<{signal_id}@klachtstroom>" if kind == EMAIL else f"msg_{signal_id}"


def webhook_body(kind: str, payload: dict[str, Any]) -> bytes:
    event_type = UrgentSignal.event_type if kind == "urgent" else TrendSignal.event_type
    return json.dumps(
        {"type": event_type, "signal": payload}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def _signal_of(body: bytes) -> tuple[str, dict[str, Any]] | None:
    """(urgent | trend, payload) from a queued call's body; None when it holds no signal."""
    try:
        document = json.loads(body)
        kind = "urgent" if document["type"] == UrgentSignal.event_type else "trend"
        payload = dict(document["signal"])
    except (ValueError, TypeError, KeyError):
        return None
    return (kind, payload) if {"signal_id", "summary"} <= payload.keys() else None


UNREADABLE = DeliveryResult(error="signaal onleesbaar", permanent=True)


def email_message(settings: ReportingSettings, kind: str, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = settings.college_email or ""
    message["Subject"] = signal_text.mail_subject(kind, payload.get("reference"), payload["summary"])
    message["Message-ID"] = message_id(EMAIL, payload["signal_id"])
    message["X-Klachtstroom-Signal-Id"] = payload["signal_id"]
    message.set_content(
        signal_text.mail_body(payload["summary"], list(payload.get("reasons", [])), settings.public_url)
    )
    return message


def signal_retries(settings: ReportingSettings) -> RetryPolicy:
    """Attempts and waits of signal deliveries (lease and batch are the queue's)."""
    return RetryPolicy(
        max_attempts=settings.delivery_max_attempts,
        first_backoff_seconds=1.0,
        max_backoff_seconds=MAX_BACKOFF_SECONDS,
        poll_seconds=settings.delivery_poll_seconds,
    )


class SignalSender:
    """The deliverers of signal calls on the service's outbound queue."""

    def __init__(self, queue: OutboundQueue, settings: ReportingSettings) -> None:
        self.queue = queue
        self.settings = settings
        self.sent = 0
        self.client = plain_client()  # the college's address is a setting, not set through the API
        retry = signal_retries(settings)
        queue.register(EMAIL, self._send_email, retry=retry)
        queue.register(WEBHOOK, self._post_webhook, retry=retry)

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        try:
            await self.queue.run()
        finally:
            await self.client.aclose()

    async def send_due(self) -> int:
        """Try every due delivery once; returns how many were sent."""
        sent = (await self.queue.deliver_round()).sent
        self.sent += sent
        return sent

    async def queue_signal(
        self, session: AsyncSession, kind: str, payload: dict[str, Any], channels: list[str]
    ) -> None:
        """Queue the deliveries of a signal in the caller's transaction (the one storing it)."""
        body = webhook_body(kind, payload)
        signal_id = payload["signal_id"]
        calls = [
            NewCall(f"signal.{c}", body, subject=signal_id, message_id=message_id(f"signal.{c}", signal_id))
            for c in channels
        ]
        await self.queue.enqueue_many(session, calls)

    async def _send_email(self, call: OutboundCall) -> DeliveryResult:
        s = self.settings
        if not s.college_email:
            return DeliveryResult(error="geen e-mailadres van het college ingesteld")
        signal = _signal_of(call.body)
        if signal is None:
            return UNREADABLE
        relay = SmtpRelay(host=s.smtp_host, port=s.smtp_port, timeout_seconds=SMTP_TIMEOUT_SECONDS)
        return await send_email(relay, email_message(s, *signal))

    async def _post_webhook(self, call: OutboundCall) -> DeliveryResult:
        url, secret = self.settings.college_webhook, self.settings.webhook_secret
        if not url or not secret:  # never unsigned; the setting may come back before the last attempt
            return DeliveryResult(error="webhook van het college of het geheim is niet ingesteld")
        if _signal_of(call.body) is None:
            return UNREADABLE
        return await post_webhook(
            self.client,
            url,
            call.body,
            message_id=call.message_id,
            secret=secret,
            headers={"X-Klachtstroom-Signal-Id": call.subject or ""},
        )
