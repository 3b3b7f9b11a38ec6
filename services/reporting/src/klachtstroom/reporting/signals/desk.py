"""Signals to the college: stored once, emitted on `complaints.signal.v1`, queued for delivery.

- Urgent: exactly one per complaint (dedupe key `urgent:<complaint id>`), raised the first time
  the projection sees the complaint as urgent. Imported history raises none: it was handled
  before, in another system.
- Trend: `trends.detect_trends` as of today; one signal per (kind, key) per window, so a rise
  that lasts a few days is reported once, and again only when a new window has passed.

Every signal is written with its outbox event and its queued deliveries in one transaction; the
platform's outbound queue (deliverers in signals/delivery.py) does the e-mail and webhook calls outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.signal_events import TrendSignal, UrgentSignal
from klachtstroom.platform.outbound.queue import DEAD, SENT
from klachtstroom.platform.outbox import Outbox
from klachtstroom.reporting.projection.queries import cases_table, facts_of, read_records
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals import text as signal_text
from klachtstroom.reporting.signals import trends
from klachtstroom.reporting.signals.delivery import KINDS, SignalSender
from klachtstroom.reporting.store import Signal, outbound_calls

# The API's words for the queue's states (as before the queue: a call given up is `failed`).
DELIVERY_STATES = {DEAD: "failed"}
# History needed for the trend rules: 7 windows of 30 days, and breaches of terms that ran
# up to 14 weeks (6 + 4 weeks extension + advisory committee) within the last 90 days.
TREND_HISTORY_DAYS = 400
WINDOW_DAYS: dict[str, int] = {
    "category_rise": trends.WINDOW_DAYS,
    "unit_rise": trends.WINDOW_DAYS,
    "provider_breaches": trends.BREACH_DAYS,
}


class SignalDesk:
    def __init__(
        self,
        outbox: Outbox,
        settings: ReportingSettings,
        now: Callable[[], datetime],
        sender: SignalSender,
    ) -> None:
        self.outbox = outbox
        self.settings = settings
        self.now = now
        self.sender = sender

    def wake_sender(self) -> None:
        self.sender.wake()

    def channels(self) -> list[str]:
        """The delivery channels configured for the college."""
        channels = []
        if self.settings.college_email:
            channels.append("email")
        if self.settings.college_webhook and self.settings.webhook_secret:
            channels.append("webhook")  # never unsigned (DESIGN: signed bodies for webhooks)
        return channels

    async def raise_urgent(self, session: AsyncSession, records: Iterable[CaseFacts]) -> int:
        """One UrgentSignal per newly urgent complaint among `records`; returns how many."""
        candidates = [r for r in records if r.urgent and not r.imported and r.merged_into is None]
        if not candidates:
            return 0
        keys = {signal_text.urgent_key(r.id): r for r in candidates}
        known = set(
            (await session.execute(select(Signal.dedupe_key).where(Signal.dedupe_key.in_(keys)))).scalars()
        )
        at = self.now()
        raised = 0
        for key, record in keys.items():
            if key in known:
                continue
            payload = UrgentSignal(
                signal_id=signal_text.signal_id_for(key),
                complaint_id=record.id,
                reference=record.reference,
                summary=signal_text.urgent_summary(record),
                reasons=signal_text.reasons_for(record),
                municipality=record.municipality,
                unit=record.unit,
                category=record.category.value,
                at=at,
            )
            await self._store(session, key, "urgent", payload, complaint_id=record.id)
            raised += 1
        return raised

    async def raise_trends(self, session: AsyncSession, as_of: date) -> int:
        """Store and emit the trends of `as_of` not signalled in their window before."""
        cases = await cases_table(session)
        records = await read_records(session, cases.received_on >= as_of - timedelta(days=TREND_HISTORY_DAYS))
        found = trends.detect_trends(facts_of(records), as_of, self.settings.trend_rules)
        raised = 0
        at = self.now()
        for trend in found:
            window = WINDOW_DAYS[trend.kind]
            recent = (
                await session.execute(
                    select(Signal.seq).where(
                        Signal.kind == "trend",
                        Signal.trend_kind == trend.kind,
                        Signal.trend_key == trend.key,
                        Signal.window_end > as_of - timedelta(days=window),
                        Signal.window_end <= as_of,
                    )
                )
            ).first()
            if recent is not None:
                continue  # already signalled in this window
            key = signal_text.trend_key(trend.kind, trend.key, as_of)
            payload = TrendSignal(
                signal_id=signal_text.signal_id_for(key),
                kind=trend.kind,
                key=trend.key,
                observed=trend.observed,
                expected=trend.expected,
                summary=trend.summary,
                at=at,
                as_of=as_of,
                window_days=window,
            )
            await self._store(session, key, "trend", payload, trend=(trend.kind, trend.key, as_of))
            raised += 1
        return raised

    async def _store(
        self,
        session: AsyncSession,
        key: str,
        kind: str,
        payload: UrgentSignal | TrendSignal,
        *,
        complaint_id: str | None = None,
        trend: tuple[str, str, date] | None = None,
    ) -> None:
        session.add(
            Signal(
                signal_id=payload.signal_id,
                dedupe_key=key,
                kind=kind,
                complaint_id=complaint_id,
                trend_kind=trend[0] if trend else None,
                trend_key=trend[1] if trend else None,
                window_end=trend[2] if trend else None,
                at=payload.at,
                payload=payload.model_dump(mode="json"),
            )
        )
        await session.flush()  # the unique dedupe key guards against a concurrent second signal
        await self.sender.queue_signal(session, kind, payload.model_dump(mode="json"), self.channels())
        await self.outbox.add(session, payload, subject=complaint_id or payload.signal_id)


async def list_signals(
    session: AsyncSession, since: datetime | None, limit: int, after_seq: int = 0
) -> tuple[list[dict[str, Any]], int | None]:
    """Signals oldest first, with their delivery state; returns (items, seq to continue after)."""
    query = select(Signal).where(Signal.seq > after_seq)
    if since is not None:
        query = query.where(Signal.at >= since)
    rows: Sequence[Signal] = (
        (await session.execute(query.order_by(Signal.seq).limit(limit + 1))).scalars().all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    deliveries: dict[str, list[dict[str, Any]]] = {}
    if rows:
        calls = outbound_calls.c
        result = await session.execute(
            select(calls.subject, calls.kind, calls.state, calls.attempts, calls.finished_at)
            .where(calls.subject.in_([r.signal_id for r in rows]), calls.kind.in_(KINDS))
            .order_by(calls.kind)
        )
        for d in result:
            deliveries.setdefault(d.subject, []).append(
                {
                    "channel": d.kind.removeprefix("signal."),
                    "state": DELIVERY_STATES.get(d.state, d.state),
                    "attempts": d.attempts,
                    "sent_at": _iso(d.finished_at) if d.state == SENT else None,
                }
            )
    items = [
        {"type": row.kind, **row.payload, "deliveries": deliveries.get(row.signal_id, [])} for row in rows
    ]
    return items, rows[-1].seq if more and rows else None


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


async def latest_signals(session: AsyncSession, count: int) -> list[dict[str, Any]]:
    """The newest signals first, with their delivery state (for the dashboard)."""
    newest = (await session.execute(select(func.max(Signal.seq)))).scalar_one_or_none() or 0
    first = max(newest - count, 0)
    items, _ = await list_signals(session, None, count, after_seq=first)
    return list(reversed(items))
