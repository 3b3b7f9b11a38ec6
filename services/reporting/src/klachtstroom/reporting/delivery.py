"""Delivering signals to the college: e-mail (aiosmtplib) and a signed webhook (httpx).

A sender task picks due deliveries from `signal_deliveries`, one holder at a time (a lease,
so two replicas never both send), and retries with backoff: 1, 2, 4, 8, 16, 30, 30, ...
seconds, so a short outage still delivers within a minute, until `delivery_max_attempts`.
A delivery marked sent is never sent again. The receiver can still see a repeat after a crash
between sending and marking: the e-mail's Message-ID and the webhook's `webhook-id` are the
signal id, so it can drop it. The webhook is a Standard Webhooks request (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) signed with `KLACHTSTROOM_REPORTING_WEBHOOK_SECRET`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy import select

from klachtstroom.contracts.signal_events import TrendSignal, UrgentSignal
from klachtstroom.platform.db import Database
from klachtstroom.platform.metrics import count_delivery, deliveries_from_zero
from klachtstroom.platform.outbound.signing import signed_headers
from klachtstroom.platform.outbox import Lease
from klachtstroom.platform.tables import PlatformTables
from klachtstroom.reporting import signal_text
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.store import Signal, SignalDelivery

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(float(2 ** max(attempts - 1, 0)), MAX_BACKOFF_SECONDS))


def webhook_body(kind: str, payload: dict[str, Any]) -> bytes:
    event_type = UrgentSignal.event_type if kind == "urgent" else TrendSignal.event_type
    return json.dumps(
        {"type": event_type, "signal": payload}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def email_message(settings: ReportingSettings, kind: str, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = settings.college_email or ""
    message["Subject"] = signal_text.mail_subject(kind, payload.get("reference"), payload["summary"])
    message["Message-ID"] = f"<{payload['signal_id']}@klachtstroom>"
    message["X-Klachtstroom-Signal-Id"] = payload["signal_id"]
    message.set_content(
        signal_text.mail_body(payload["summary"], list(payload.get("reasons", [])), settings.public_url)
    )
    return message


class SignalSender:
    def __init__(self, db: Database, tables: PlatformTables, settings: ReportingSettings) -> None:
        self.db = db
        self.settings = settings
        self.lease = Lease(db, tables, "signal-sender")
        self._wakeup = asyncio.Event()
        self.sent = 0
        deliveries_from_zero("signal.email", "signal.webhook")

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                if await self.lease.acquire():
                    await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again on the next round
                log.warning("signal sender: round failed (%s)", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.settings.delivery_poll_seconds)
            self._wakeup.clear()

    async def send_due(self) -> int:
        """Try every due delivery once; returns how many were sent."""
        now = datetime.now(UTC)
        async with self.db.reading() as session:
            due = (
                await session.execute(
                    select(SignalDelivery, Signal)
                    .join(Signal, Signal.signal_id == SignalDelivery.signal_id)
                    .where(SignalDelivery.state == "pending", SignalDelivery.next_attempt_at <= now)
                    .order_by(SignalDelivery.id)
                    .limit(50)
                )
            ).all()
        sent = 0
        for delivery, signal in due:
            error = await self._deliver(delivery.channel, signal.kind, signal.payload)
            sent += error is None
            await self._record(delivery.id, error)
        self.sent += sent
        return sent

    async def _deliver(self, channel: str, kind: str, payload: dict[str, Any]) -> str | None:
        try:
            if channel == "email":
                await self._send_email(kind, payload)
            elif channel == "webhook":
                await self._post_webhook(kind, payload)
            else:
                return f"unknown channel {channel}"
        except Exception as error:
            return f"{type(error).__name__}: {error}"[:500]
        return None

    async def _send_email(self, kind: str, payload: dict[str, Any]) -> None:
        message = email_message(self.settings, kind, payload)
        await aiosmtplib.send(
            message, hostname=self.settings.smtp_host, port=self.settings.smtp_port, timeout=15
        )

    async def _post_webhook(self, kind: str, payload: dict[str, Any]) -> None:
        url = self.settings.college_webhook
        secret = self.settings.webhook_secret
        if not url or not secret:
            raise RuntimeError("webhook of the college or its secret is not configured")
        body = webhook_body(kind, payload)
        headers = {
            "Content-Type": "application/json",
            "X-Klachtstroom-Signal-Id": payload["signal_id"],
            **signed_headers(secret, f"msg_{payload['signal_id']}", body),
        }
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
            response.raise_for_status()

    async def _record(self, delivery_id: int, error: str | None) -> None:
        async with self.db.transaction() as session:
            delivery = await session.get(SignalDelivery, delivery_id)
            if delivery is None or delivery.state != "pending":
                return
            delivery.attempts += 1
            now = datetime.now(UTC)
            kind = f"signal.{delivery.channel}"
            if error is None:
                delivery.state, delivery.sent_at, delivery.last_error = "sent", now, None
                count_delivery(kind, "sent")
                return
            delivery.last_error = error
            given_up = delivery.attempts >= self.settings.delivery_max_attempts
            count_delivery(kind, "dead" if given_up else "retry")
            if given_up:
                delivery.state = "failed"
                log.error("signal %s: %s delivery failed for good", delivery.signal_id, delivery.channel)
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                log.warning("signal %s: %s delivery failed, retrying", delivery.signal_id, delivery.channel)
