"""Providers as first line: the warm hand-over (warme overdracht) to the provider's webhook.

A referral queues a delivery in the case's own transaction; the `DeliverySender` posts it,
signed with the provider's secret as a Standard Webhooks request (`webhook-id`,
`webhook-timestamp`, `webhook-signature`), only to a checked public address, retries with
exponential backoff, and after the last attempt marks it `failed` (dead-lettered): visible in
the case and in the provider's deliveries, and flagged for the
coordinator, who then hands the complaint over by phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.outbound.destinations import failure_text, guarded_client
from klachtstroom.platform.outbound.signing import ID_HEADER, signed_headers
from klachtstroom.routing.casework import CaseWork, Transition, system_event
from klachtstroom.routing.domain import JsonValue
from klachtstroom.routing.store import CaseRow, DeliveryRow, ProviderRow

log = logging.getLogger(__name__)


def provider_key(name: str) -> str:
    return name.strip().casefold()


def delivery_message_id(delivery: DeliveryRow) -> str:
    """The `webhook-id` of a hand-over: the same on every retry, so the provider can drop a repeat."""
    return f"msg_routing_{delivery.case_id}_{delivery.id}"


def handover_body(row: CaseRow, transition: Transition) -> bytes:
    """What the provider needs to handle the complaint; no BSN, no contact details (those
    stay with intake: the provider asks the complainant's consent by phone via the KCC)."""
    case = transition.case
    note = transition.event.data.get("note")
    body: dict[str, Any] = {
        "event": "case.referred",
        "case_id": case.id,
        "reference": row.reference,
        "received_at": case.received_at.isoformat(),
        "kind": case.kind.value,
        "category": case.category.value,
        "urgent": case.urgent,
        "municipality": case.municipality,
        "unit": case.unit,
        "provider": case.provider,
        "description": row.description,
        "handover_note": note if isinstance(note, str) and note else row.handover_note,
        "referred_at": transition.event.at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def taken_over_body(row: CaseRow, transition: Transition, provider: str) -> bytes:
    body = {
        "event": "case.taken_over",
        "case_id": row.id,
        "reference": row.reference,
        "provider": provider,
        "taken_over_at": transition.event.at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


async def find_provider(session: AsyncSession, name: str | None) -> ProviderRow | None:
    if not name:
        return None
    return await session.get(ProviderRow, provider_key(name))


def delivery_hook(work: CaseWork) -> Callable[[AsyncSession, Transition], Any]:
    async def on_transition(session: AsyncSession, done: Transition) -> None:
        if done.quiet:
            return
        referred = done.event.event_type == "referred"
        taken_back = (
            done.event.action in {"assign", "take_over"} and done.event.data.get("second_line") is True
        )
        if not (referred or taken_back):
            return
        name = done.case.provider if referred else done.before.provider
        provider = await find_provider(session, name)
        if provider is None or not provider.webhook_url:
            if referred:
                entry = system_event(
                    "handover",
                    work.now(),
                    {"provider": name, "delivered": False},
                    reason="Voor deze zorgaanbieder is geen webhook bekend: draag de klacht zelf over.",
                )
                await work.note(session, done.row, entry)
            return
        body = handover_body(done.row, done) if referred else taken_over_body(done.row, done, provider.name)
        session.add(
            DeliveryRow(
                provider_key=provider.key,
                case_id=done.case.id,
                kind="case.referred" if referred else "case.taken_over",
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=work.now(),
                created_at=work.now(),
            )
        )

    return on_transition


async def provider_terms(session: AsyncSession, done: Transition) -> dict[str, JsonValue]:
    """A referral carries the provider's agreed response time (working days) for the deadlines."""
    if done.event.event_type != "referred":
        return {}
    provider = await find_provider(session, done.case.provider)
    return {"response_working_days": provider.response_working_days} if provider else {}


class DeliverySender:
    """Sends due deliveries; one attempt per row per pass, backoff doubling per attempt."""

    def __init__(self, work: CaseWork, client: httpx.AsyncClient | None = None) -> None:
        self.work = work
        self.settings = work.settings
        self.client = client or guarded_client(work.settings.delivery_timeout_seconds)
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is briefly unavailable: try again later
                log.warning("delivery sender: pass failed (%s)", type(error).__name__)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=self.settings.delivery_poll_seconds)
                self.wake.clear()

    async def send_due(self, limit: int = 20) -> int:
        now = self.work.now()
        async with self.work.service.db.reading() as session:
            due = list(
                (
                    await session.execute(
                        select(DeliveryRow, ProviderRow)
                        .join(ProviderRow, ProviderRow.key == DeliveryRow.provider_key)
                        .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
                        .order_by(DeliveryRow.id)
                        .limit(limit)
                    )
                ).all()
            )
        for delivery, provider in due:
            await self._attempt(delivery, provider)
        return len(due)

    async def _attempt(self, delivery: DeliveryRow, provider: ProviderRow) -> None:
        error: str | None = None
        status_code: int | None = None
        message_id = delivery_message_id(delivery)
        headers = {"Content-Type": "application/json", "X-Klachtstroom-Event": delivery.kind}
        if provider.secret:
            headers |= signed_headers(provider.secret, message_id, delivery.body)
        else:  # a provider registered without a secret still gets the id to drop repeats
            headers[ID_HEADER] = message_id
        try:
            response = await self.client.post(
                provider.webhook_url or "", content=delivery.body, headers=headers
            )
            status_code = response.status_code
            if not response.is_success:
                error = failure_text(status_code=response.status_code)
        except httpx.HTTPError:
            error = failure_text()  # refused, timed out or not allowed look the same to the API
        await self._record(delivery.id, error, status_code)

    async def _record(self, delivery_id: int, error: str | None, status_code: int | None) -> None:
        now = self.work.now()
        async with self.work.service.db.transaction() as session:
            row = await session.get(DeliveryRow, delivery_id)
            if row is None or row.status != "pending":
                return
            row.attempts += 1
            row.last_status_code = status_code
            row.last_error = error
            if error is None:
                row.status, row.finished_at = "delivered", now
            elif row.attempts >= self.settings.delivery_max_attempts:
                row.status, row.finished_at = "failed", now
                await self._dead_lettered(session, row)
            else:
                backoff = self.settings.delivery_backoff_seconds * 2 ** (row.attempts - 1)
                row.next_attempt_at = now + timedelta(seconds=backoff)
        if error is not None:
            log.info("delivery %s to a provider failed (%s), attempt recorded", delivery_id, error)

    async def _dead_lettered(self, session: AsyncSession, row: DeliveryRow) -> None:
        case_row = await session.get(CaseRow, row.case_id)
        if case_row is None:
            return
        entry = system_event(
            "handover",
            self.work.now(),
            {
                "delivery_id": row.id,
                "delivered": False,
                "attempts": row.attempts,
                "last_error": row.last_error,
            },
            reason=(
                f"De overdracht aan de zorgaanbieder is na {row.attempts} pogingen niet gelukt. "
                "Draag de klacht telefonisch over."
            ),
        )
        await self.work.note(session, case_row, entry, flag=True)
