"""Providers as first line: the warm hand-over (warme overdracht) to the provider's webhook.

A referral queues a call on the platform's outbound queue in the case's own transaction (kind
`case.referred` or `case.taken_over`, one sequence per case). `ProviderHandovers` delivers it:
signed with the provider's secret as a Standard Webhooks request (`webhook-id`,
`webhook-timestamp`, `webhook-signature`), only to a checked public address, the queue retrying
with backoff and jitter under a lease (several routing instances never send it twice). After the
last attempt the call is dead (`failed` in the API): visible in the case and in the provider's
deliveries, and flagged for the coordinator, who then hands the complaint over by phone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.outbound.destinations import guarded_client
from klachtstroom.platform.outbound.queue import DeliveryResult, OutboundCall, OutboundQueue, RetryPolicy
from klachtstroom.platform.outbound.webhooks import post_webhook
from klachtstroom.platform.peers import Peers
from klachtstroom.routing.case.domain import JsonValue
from klachtstroom.routing.casework.complaint_text import ComplaintTextUnavailable, fetch_complaint_text
from klachtstroom.routing.casework.contact import fetch_contact
from klachtstroom.routing.casework.work import CaseWork, Transition, system_event
from klachtstroom.routing.tables import CaseRow, ProviderRow

log = logging.getLogger(__name__)


def provider_key(name: str) -> str:
    return name.strip().casefold()


HANDOVER_KINDS = ("case.referred", "case.taken_over")


def handover_body(row: CaseRow, transition: Transition) -> bytes:
    """What the provider needs to handle the complaint; never the BSN.

    The complaint's texts are intake's: they are added when the hand-over is sent
    (`with_complaint_text`), so routing's queue holds only the case worker's own note. So are
    the complainant's contact details: only when the complainant agreed that the provider may
    contact them (`provider_may_contact`) are they asked from intake at send time and added as
    `complainant` {name, email, phone, address} (`with_contact_details`); without consent the
    hand-over has no `complainant` key. Routing stores none of it."""
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
        "handover_note": note if isinstance(note, str) and note else None,
        "referred_at": transition.event.at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


async def with_complaint_text(peers: Peers, body: bytes) -> bytes:
    """A hand-over with the description (and the KCC's note, unless the case worker wrote one)
    asked from intake now; ComplaintTextUnavailable when intake cannot answer (sent later)."""
    handover = json.loads(body)
    text = await fetch_complaint_text(peers, handover["case_id"])
    handover["description"] = text.description
    handover["handover_note"] = handover.get("handover_note") or text.handover_note
    return json.dumps(handover, ensure_ascii=False, sort_keys=True).encode()


class ContactUnavailable(Exception):
    """Intake could not give the contact details now: the hand-over is sent later."""


async def with_contact_details(peers: Peers, body: bytes, consent: bool) -> bytes:
    """A hand-over with the complainant's contact details when they agreed that the provider may
    contact them (asked from intake now with routing's own token); unchanged without consent.
    ContactUnavailable when intake cannot answer."""
    if not consent:
        return body
    handover = json.loads(body)
    found = await fetch_contact(peers, handover["case_id"], None)
    if found is None:
        raise ContactUnavailable
    handover["complainant"] = found.as_dict()
    return json.dumps(handover, ensure_ascii=False, sort_keys=True).encode()


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


def delivery_hook(work: CaseWork, queue: OutboundQueue) -> Callable[[AsyncSession, Transition], Any]:
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
        await queue.enqueue(
            session,
            HANDOVER_KINDS[0] if referred else HANDOVER_KINDS[1],
            body,
            subject=done.case.id,
            recipient=provider.key,
            sequence_key=f"provider:{done.case.id}",  # the take-over never overtakes the hand-over
        )

    return on_transition


async def provider_terms(session: AsyncSession, done: Transition) -> dict[str, JsonValue]:
    """A referral carries the provider's agreed response time (working days) for the deadlines."""
    if done.event.event_type != "referred":
        return {}
    provider = await find_provider(session, done.case.provider)
    return {"response_working_days": provider.response_working_days} if provider else {}


class ProviderHandovers:
    """Delivers the hand-over calls of the outbound queue to the provider's webhook."""

    def __init__(self, work: CaseWork, queue: OutboundQueue, client: httpx.AsyncClient | None = None) -> None:
        self.work = work
        self.queue = queue
        settings = work.settings
        self.client = client or guarded_client(settings.delivery_timeout_seconds)
        retry = RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            first_backoff_seconds=settings.delivery_backoff_seconds,
        )
        for kind in HANDOVER_KINDS:
            queue.register(kind, self.deliver, on_dead=self.dead_lettered, retry=retry)

    async def send_due(self) -> int:
        """One round of the queue (tests drive it; in the service the queue's own task runs)."""
        return await self.queue.deliver_due()

    async def deliver(self, call: OutboundCall) -> DeliveryResult:
        async with self.work.service.db.reading() as session:
            provider = await session.get(ProviderRow, call.recipient or "")
            case_row = await session.get(CaseRow, call.subject or "")
        if provider is None or not provider.webhook_url:
            return DeliveryResult(error="geen webhook meer bekend", permanent=True)
        body = call.body
        if call.kind == "case.referred":
            peers = self.work.service.peers
            consent = case_row is not None and case_row.provider_may_contact
            try:
                body = await with_complaint_text(peers, body)
                body = await with_contact_details(peers, body, consent)
            except ComplaintTextUnavailable:
                return DeliveryResult(error="De klachttekst was niet op te vragen bij intake; later opnieuw.")
            except ContactUnavailable:
                return DeliveryResult(
                    error="De contactgegevens waren niet op te vragen bij intake; later opnieuw."
                )
        return await post_webhook(
            self.client,
            provider.webhook_url,
            body,
            message_id=call.message_id,
            secret=provider.secret,
            headers={"X-Klachtstroom-Event": call.kind},
        )

    async def dead_lettered(self, session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        case_row = await session.get(CaseRow, call.subject or "")
        if case_row is None:
            return
        attempts = call.attempts + 1
        entry = system_event(
            "handover",
            self.work.now(),
            {"delivery_id": call.id, "delivered": False, "attempts": attempts, "last_error": result.error},
            reason=(
                f"De overdracht aan de zorgaanbieder is na {attempts} pogingen niet gelukt. "
                "Draag de klacht telefonisch over."
            ),
        )
        await self.work.note(session, case_row, entry, flag=True)
