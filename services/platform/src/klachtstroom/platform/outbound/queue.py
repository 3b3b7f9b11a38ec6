"""The durable outbound queue: one mechanism for every call a service makes to the outside world.

A call is a row in the service's own `outbound_calls` table, written by `enqueue` in the same
transaction as the state change that causes it (so a rolled-back change sends nothing and a
committed one is never forgotten). A worker (`OutboundQueue.run`) then:

- claims due rows under a lease: `claimed_by`/`claimed_until` set in one write transaction
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's single writer serialises the claim), so
  several instances of a service never send the same call at the same time, and a call whose
  instance died is taken over when its lease runs out;
- keeps calls with the same `sequence_key` in order (one in flight, the next after it is done);
- hands each call to the deliverer registered for its `kind` (an async function that does the
  HTTP call, SMTP send, ...) and records the result: `sent`, or another attempt after a backoff
  that doubles with every attempt (with jitter), or `dead` after `max_attempts` or a permanent
  refusal, when the kind's `on_dead` hook runs in the same transaction (flag the case, ...);
- lets a deliverer put a call off without an attempt (`later_seconds`: a fact it needs is not
  there yet);
- counts every outcome in the `klachtstroom.outbound.deliveries` metric by kind and state.

Delivery is at-least-once (a crash between sending and recording sends again): every call has
a `message_id` that stays the same over its retries, sent as `webhook-id` for webhooks.
The channels deliverers use: `webhooks.post_webhook` (Standard Webhooks, signed) and
`mail.send_email` (SMTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.db import Database
from klachtstroom.platform.metrics import count_delivery, deliveries_from_zero
from klachtstroom.platform.tables import Serial

log = logging.getLogger(__name__)

PENDING, SENT, DEAD = "pending", "sent", "dead"


def define_outbound_table(metadata: MetaData) -> Table:
    """The `outbound_calls` table in a service's own metadata (add a migration that creates it)."""
    return Table(
        "outbound_calls",
        metadata,
        Column("id", Serial, primary_key=True, autoincrement=True),
        Column("message_id", String(100), nullable=False, unique=True),
        Column("kind", String(60), nullable=False, index=True),
        Column("subject", String(64), nullable=True, index=True),  # e.g. the case id
        Column("recipient", String(200), nullable=True, index=True),  # e.g. the provider's key
        Column("sequence_key", String(200), nullable=True, index=True),
        Column("body", LargeBinary, nullable=False),
        Column("state", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False),
        Column("claimed_by", String(100), nullable=True),
        Column("claimed_until", DateTime(timezone=True), nullable=True),
        Column("last_error", String(200), nullable=True),
        Column("last_status_code", Integer, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbound_calls_due", "state", "next_attempt_at"),
    )


@dataclass(frozen=True)
class OutboundCall:
    """A queued call as the deliverer gets it."""

    id: int
    message_id: str
    kind: str
    subject: str | None
    recipient: str | None
    body: bytes
    attempts: int  # attempts made before this one


@dataclass(frozen=True)
class DeliveryResult:
    """What the deliverer reports. `error` is what the API may show (no detail for port scans)."""

    error: str | None = None
    status_code: int | None = None
    permanent: bool = False  # will not get better by trying again (e.g. HTTP 400, recipient gone)
    # Not tried: a fact the call needs has not arrived yet. Asked again after this many seconds,
    # without counting an attempt (so a wait of the sender's own never uses up the retries).
    later_seconds: float | None = None
    data: dict[str, Any] = field(default_factory=dict)  # for the kind's `on_sent` hook

    @property
    def ok(self) -> bool:
        return self.error is None and self.later_seconds is None


@dataclass(frozen=True)
class NewCall:
    """A call to queue with `enqueue_many` (the fields of `enqueue`)."""

    kind: str
    body: bytes
    subject: str | None = None
    recipient: str | None = None
    sequence_key: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Round:
    """What one round of the queue did: calls tried, and of those, delivered."""

    tried: int
    sent: int


Deliverer = Callable[[OutboundCall], Awaitable[DeliveryResult]]
SettleHook = Callable[[AsyncSession, OutboundCall, DeliveryResult], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    first_backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    lease_seconds: float = 60.0
    batch: int = 20
    poll_seconds: float = 1.0

    def backoff(self, attempts: int) -> timedelta:
        """Doubling per attempt, capped, with ±10% jitter so retries of many calls spread out."""
        base = min(self.max_backoff_seconds, self.first_backoff_seconds * 2.0 ** max(0, attempts - 1))
        return timedelta(seconds=base * random.uniform(0.9, 1.1))


@dataclass(frozen=True)
class _Kind:
    deliver: Deliverer
    on_sent: SettleHook | None
    on_dead: SettleHook | None
    retry: RetryPolicy | None  # attempts and backoff of this kind, else the queue's


async def enqueue_calls(
    session: AsyncSession, table: Table, calls: Sequence[NewCall], now: datetime
) -> list[str]:
    """Queue calls into `table` in the caller's transaction, for code that writes the state change
    without holding the service's `OutboundQueue` (the queue that runs delivers them all the same)."""
    if not calls:
        return []
    ids = [call.message_id or f"msg_{uuid.uuid4().hex}" for call in calls]
    rows: list[dict[str, Any]] = [
        {
            "message_id": message_id,
            "kind": call.kind,
            "subject": call.subject,
            "recipient": call.recipient,
            "sequence_key": call.sequence_key,
            "body": call.body,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for call, message_id in zip(calls, ids, strict=True)
    ]
    await session.execute(insert(table), rows)
    return ids


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class OutboundQueue:
    """Enqueue in the caller's transaction; `run()` delivers. One per service (or per table)."""

    def __init__(
        self,
        db: Database,
        table: Table,
        *,
        policy: RetryPolicy | None = None,
        now: Callable[[], datetime] = _wall_clock,
        instance: str | None = None,
    ) -> None:
        self.db = db
        self.table = table
        self.policy = policy or RetryPolicy()
        self.now = now
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.kinds: dict[str, _Kind] = {}
        self.wakeup = asyncio.Event()

    def register(
        self,
        kind: str,
        deliver: Deliverer,
        *,
        on_sent: SettleHook | None = None,
        on_dead: SettleHook | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """How calls of `kind` are delivered, what happens once sent or dead, and their retries."""
        self.kinds[kind] = _Kind(deliver, on_sent, on_dead, retry)
        deliveries_from_zero(kind)

    async def enqueue_many(self, session: AsyncSession, calls: Sequence[NewCall]) -> list[str]:
        """Queue several calls in the caller's transaction (one statement); returns their message ids."""
        return await enqueue_calls(session, self.table, calls, self.now())

    async def enqueue(
        self,
        session: AsyncSession,
        kind: str,
        body: bytes,
        *,
        subject: str | None = None,
        recipient: str | None = None,
        sequence_key: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Queue a call in the caller's transaction; returns its message id."""
        message_id = message_id or f"msg_{uuid.uuid4().hex}"
        now = self.now()
        await session.execute(
            insert(self.table).values(
                message_id=message_id,
                kind=kind,
                subject=subject,
                recipient=recipient,
                sequence_key=sequence_key,
                body=body,
                state=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return message_id

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                tried = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is briefly away: try again later
                log.warning("outbound queue: round failed (%s)", type(error).__name__)
                tried = 0
            if not tried:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=self.policy.poll_seconds)
                self.wakeup.clear()

    async def deliver_due(self) -> int:
        """Claim, deliver and settle the calls that are due now; returns how many were tried."""
        return (await self.deliver_round()).tried

    async def deliver_round(self) -> Round:
        """Claim, deliver and settle the calls that are due now; returns how many were tried and sent."""
        claimed = await self._claim()
        if not claimed:
            return Round(0, 0)
        results = await asyncio.gather(*(self._deliver(call) for call in claimed))
        sent = await self._settle(claimed, list(results))
        return Round(len(claimed), sent)

    async def _claim(self) -> list[OutboundCall]:
        t = self.table
        now = self.now()
        earlier = t.alias("earlier")
        free = or_(t.c.claimed_until.is_(None), t.c.claimed_until < now)
        waits_for_earlier = exists().where(
            and_(
                earlier.c.sequence_key == t.c.sequence_key,
                earlier.c.state == PENDING,
                earlier.c.id < t.c.id,
            )
        )
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(t)
                    .where(
                        t.c.state == PENDING,
                        t.c.next_attempt_at <= now,
                        t.c.kind.in_(list(self.kinds)),
                        free,
                        or_(t.c.sequence_key.is_(None), ~waits_for_earlier),
                    )
                    .order_by(t.c.id)
                    .limit(self.policy.batch)
                    .with_for_update(skip_locked=True, of=t)
                )
            ).all()
            if not rows:
                return []
            until = now + timedelta(seconds=self.policy.lease_seconds)
            await session.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]), free)
                .values(claimed_by=self.instance, claimed_until=until)
            )
        return [
            OutboundCall(r.id, r.message_id, r.kind, r.subject, r.recipient, r.body, r.attempts) for r in rows
        ]

    async def _deliver(self, call: OutboundCall) -> DeliveryResult:
        try:
            return await self.kinds[call.kind].deliver(call)
        except Exception as error:  # a bug in a deliverer: keep the call, say so, try again later
            log.exception("outbound call %s (%s): unexpected error", call.id, call.kind)
            return DeliveryResult(error=type(error).__name__)

    async def _settle(self, calls: list[OutboundCall], results: list[DeliveryResult]) -> int:
        """Record each outcome (only for calls this instance still holds); returns how many were sent."""
        t = self.table
        now = self.now()
        sent = 0
        async with self.db.transaction() as session:
            for call, result in zip(calls, results, strict=True):
                if result.later_seconds is not None:  # not tried: no attempt, no outcome
                    await session.execute(
                        update(t)
                        .where(t.c.id == call.id, t.c.claimed_by == self.instance)
                        .values(
                            claimed_by=None,
                            claimed_until=None,
                            next_attempt_at=now + timedelta(seconds=result.later_seconds),
                        )
                    )
                    continue
                attempts = call.attempts + 1
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "claimed_by": None,
                    "claimed_until": None,
                    "last_error": result.error[:200] if result.error else None,
                    "last_status_code": result.status_code,
                }
                kind = self.kinds[call.kind]
                retry = kind.retry or self.policy
                if result.ok:
                    state, values["finished_at"] = SENT, now
                elif result.permanent or attempts >= retry.max_attempts:
                    state, values["finished_at"] = DEAD, now
                else:
                    state, values["next_attempt_at"] = PENDING, now + retry.backoff(attempts)
                values["state"] = state
                changed = await session.execute(
                    update(t).where(t.c.id == call.id, t.c.claimed_by == self.instance).values(**values)
                )
                if not getattr(changed, "rowcount", 1):
                    continue  # our lease ran out and another instance took the call over
                counted = "retry" if state == PENDING else state
                count_delivery(call.kind, counted)
                sent += state == SENT
                hook = kind.on_sent if state == SENT else kind.on_dead if state == DEAD else None
                if hook is not None:
                    await hook(session, call, result)
                if state != SENT:
                    log.info("outbound call %s (%s) not delivered, attempt %d", call.id, call.kind, attempts)
        return sent

    async def seconds_to_next(self) -> float | None:
        t = self.table
        async with self.db.reading() as session:
            next_at = (
                await session.execute(select(func.min(t.c.next_attempt_at)).where(t.c.state == PENDING))
            ).scalar_one_or_none()
        return None if next_at is None else max(0.0, (_aware(next_at) - self.now()).total_seconds())

    async def counts(self) -> dict[str, float]:
        """Rows by state, for the `klachtstroom.outbound.calls` gauge."""
        t = self.table
        async with self.db.reading() as session:
            rows = (await session.execute(select(t.c.state, func.count()).group_by(t.c.state))).all()
        return {f"klachtstroom.outbound.{state}": float(n) for state, n in rows}
