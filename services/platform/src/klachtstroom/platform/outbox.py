"""Transactional outbox: events are written with the state change and relayed to Kafka in order.

An HTTP 202 or a consumed event therefore never depends on Kafka being up: the relay keeps
retrying, ordered by outbox id, with an idempotent acks=all producer, and marks rows sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidTopicError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerClosed,
    ProducerFenced,
    RecordTooLargeError,
    UnknownProducerId,
)
from opentelemetry import trace
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope, new_traceparent
from klachtstroom.platform.db import Database, before_commit, insert_rows
from klachtstroom.platform.metrics import outbox_parked
from klachtstroom.platform.tables import PlatformTables
from klachtstroom.platform.telemetry import current_traceparent

log = logging.getLogger(__name__)
tracer = trace.get_tracer("klachtstroom.platform.outbox")
_PENDING = "klachtstroom.outbox.pending"

# Kafka's default `message.max.bytes` is 1 MB (1,048,588); an event stays well below it, with
# room for the record's headers. Large content belongs in the owning service's database.
MAX_EVENT_BYTES = 900 * 1024

# Errors that belong to one record and will not go away by sending it again: such a row is parked.
_ROW_ERRORS = (MessageSizeTooLargeError, RecordTooLargeError, InvalidTopicError, ValueError, TypeError)


class EventTooLarge(ValueError):
    """An event larger than a Kafka record may be: keep large content in the service's database."""


# Errors after which an idempotent producer never sends again: its producer id and sequence
# numbers no longer match the broker's. After a broker restart aiokafka's sender stops on an
# OutOfOrderSequenceNumber and every later send fails the same way; only a new producer (a new
# producer id, sequences from zero) sends again. The rows stay unsent and go out on the new one.
_PRODUCER_ERRORS = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
    ProducerClosed,
)


def belongs_to_one_row(error: BaseException) -> bool:
    """True for a publish error that one record caused (too large, invalid), not Kafka being away."""
    return isinstance(error, _ROW_ERRORS)


def breaks_the_producer(error: BaseException) -> bool:
    """True for a publish error after which the producer must be replaced before sending again."""
    return isinstance(error, _PRODUCER_ERRORS)


Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable[Awaitable[Any]]]
# (topic, value, key, headers) of each row, in outbox order.
Message = tuple[str, bytes, bytes, dict[str, str]]
# Sends all messages (order kept per key) and returns once every one is acknowledged.
PublishMany = Callable[[Sequence[Message]], Awaitable[None]]


class Outbox:
    """Writes events into the service's outbox table inside the caller's transaction."""

    def __init__(
        self,
        tables: PlatformTables,
        source: str,
        wake: Callable[[], None] | None = None,
        max_event_bytes: int = MAX_EVENT_BYTES,
    ) -> None:
        self.tables = tables
        self.source = source
        self.max_event_bytes = max_event_bytes
        self._wake = wake or (lambda: None)

    async def add(
        self,
        session: AsyncSession,
        payload: Payload,
        *,
        subject: str,
        time: datetime | None = None,
    ) -> Envelope:
        envelope = make_envelope(
            payload, source=self.source, subject=subject, time=time, traceparent=current_traceparent()
        )
        await self.add_envelope(session, payload.topic, envelope)
        return envelope

    async def add_envelope(
        self,
        session: AsyncSession,
        topic: str,
        envelope: Envelope,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """Buffer the row; all rows of the unit of work are inserted at once before it commits."""
        if envelope.traceparent is None:  # every record carries a trace context (a new trace if none)
            envelope = envelope.model_copy(update={"traceparent": new_traceparent()})
        headers = envelope.kafka_headers() | (extra_headers or {})
        value = envelope.model_dump_json().encode()
        if len(value) > self.max_event_bytes:
            # Refused in the writer's transaction, so it never reaches (and never stalls) the relay.
            raise EventTooLarge(f"{envelope.type} of {len(value)} bytes exceeds {self.max_event_bytes}")
        rows: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
        rows.append(
            {
                "event_id": envelope.id,
                "topic": topic,
                "key": envelope.subject,
                "value": value,
                "headers": headers,
                "created_at": datetime.now(UTC),
            }
        )
        before_commit(session, self._insert_pending)

    async def _insert_pending(self, session: AsyncSession) -> None:
        rows = session.info.pop(_PENDING, [])
        if rows:
            await insert_rows(session, self.tables.outbox, rows)

    def notify(self) -> None:
        """Call after commit: wakes the relay at once instead of at its next poll."""
        self._wake()


class Lease:
    """A named lease in the service's database: one holder at a time, renewed while alive."""

    def __init__(self, db: Database, tables: PlatformTables, name: str, ttl: float = 15.0) -> None:
        self.db = db
        self.tables = tables
        self.name = name
        self.ttl = timedelta(seconds=ttl)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._held_until: datetime | None = None

    async def hold(self) -> bool:
        """Acquire or renew, but skip the write while the lease surely stays ours: renewed
        once a third of its time has passed, so a busy relay does not write it every batch."""
        if self._held_until is not None and datetime.now(UTC) < self._held_until - 2 * self.ttl / 3:
            return True
        return await self.acquire()

    async def acquire(self) -> bool:
        now = datetime.now(UTC)
        leases = self.tables.leases
        async with self.db.transaction() as session:
            row = (
                await session.execute(select(leases).where(leases.c.name == self.name).with_for_update())
            ).first()
            if row is None:
                await session.execute(
                    insert(leases).values(name=self.name, holder=self.holder, expires_at=now + self.ttl)
                )
                self._held_until = now + self.ttl
                return True
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
            if row.holder != self.holder and expires > now:
                self._held_until = None
                return False
            await session.execute(
                update(leases)
                .where(leases.c.name == self.name)
                .values(holder=self.holder, expires_at=now + self.ttl)
            )
            self._held_until = now + self.ttl
            return True


class OutboxRelay:
    """Publishes unsent outbox rows in id order, in batches, and marks them sent."""

    def __init__(
        self,
        db: Database,
        tables: PlatformTables,
        publish: Publish,
        *,
        batch_size: int = 1000,
        poll_seconds: float = 0.2,
        keep_sent: timedelta = timedelta(days=1),
        publish_many: PublishMany | None = None,
        max_event_bytes: int = MAX_EVENT_BYTES,
        replace_producer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.tables = tables
        self.publish = publish
        self.publish_many = publish_many
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_sent = keep_sent
        self.max_event_bytes = max_event_bytes
        self.replace_producer = replace_producer
        self.producers_replaced = 0
        self.parked = 0
        self.lease = Lease(db, tables, "outbox-relay")
        self.wakeup = asyncio.Event()
        self.published = 0
        self.last_error: str | None = None
        self._stopping = False

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self, ready: Callable[[], Awaitable[object]]) -> None:
        await ready()
        backoff = 0.2
        last_cleanup = datetime.now(UTC)
        while not self._stopping:
            try:
                if not await self.lease.hold():
                    await self._sleep(self.lease.ttl.total_seconds() / 3)
                    continue
                sent = await self.relay_once()
                backoff = 0.2
                self.last_error = None
                if datetime.now(UTC) - last_cleanup > timedelta(minutes=10):
                    await self._cleanup()
                    last_cleanup = datetime.now(UTC)
                if sent < self.batch_size:
                    await self._sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Kafka or the database is down: keep the rows, retry later
                self.last_error = type(error).__name__
                log.warning(
                    "outbox relay: publish failed (%s); retrying in %.1fs", type(error).__name__, backoff
                )
                if breaks_the_producer(error) and self.replace_producer is not None:
                    await self._replace_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _replace_producer(self) -> None:
        assert self.replace_producer is not None
        try:
            await self.replace_producer()
        except Exception as error:  # Kafka away again: the next failed publish tries once more
            log.warning("outbox relay: new Kafka producer not started (%s)", type(error).__name__)
        else:
            self.producers_replaced += 1
            log.warning("outbox relay: Kafka producer replaced; unsent rows go out on the new one")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), timeout=seconds)
        self.wakeup.clear()

    def _unsent(self) -> Any:
        outbox = self.tables.outbox
        return and_(outbox.c.sent_at.is_(None), outbox.c.parked_at.is_(None))

    async def relay_once(self) -> int:
        outbox = self.tables.outbox
        async with self.db.reading() as session:
            rows: Sequence[Any] = (
                await session.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers)
                    .where(self._unsent())
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        fitting = [row for row in rows if len(row.value) <= self.max_event_bytes]
        for row in rows:
            if len(row.value) > self.max_event_bytes:  # written before the check at write time
                await self._park(row, "EventTooLarge")
        # Send the whole batch before awaiting: the idempotent producer keeps per-partition
        # order, and a failure leaves every row unsent, to be sent again (consumers dedupe).
        with tracer.start_as_current_span(
            "outbox relay publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.batch.message_count": len(fitting)},
        ):
            messages = [(row.topic, row.value, row.key.encode(), dict(row.headers)) for row in fitting]
            try:
                if self.publish_many is not None:
                    await self.publish_many(messages)
                else:
                    await asyncio.gather(*[await self.publish(*message) for message in messages])
            except Exception as error:
                if not belongs_to_one_row(error):
                    raise  # Kafka away or busy: everything stays unsent and is tried again
                # One row spoils the batch: send them one by one, park what cannot be sent.
                fitting = await self._one_by_one(fitting)
        await self._mark_sent([row.id for row in fitting])
        return len(rows)

    async def _one_by_one(self, rows: Sequence[Any]) -> list[Any]:
        sent: list[Any] = []
        for row in rows:
            try:
                await (await self.publish(row.topic, row.value, row.key.encode(), dict(row.headers)))
            except Exception as error:
                if not belongs_to_one_row(error):
                    await self._mark_sent([r.id for r in sent])
                    raise
                await self._park(row, type(error).__name__)
            else:
                sent.append(row)
        return sent

    async def _mark_sent(self, ids: list[int]) -> None:
        if not ids:
            return
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            sent = update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC))
            await session.execute(sent)
        self.published += len(ids)

    async def _park(self, row: Any, reason: str) -> None:
        """Set a row aside that can never be published, so the rows behind it flow on.

        The operator sees it in /readyz (`outbox_parked`), in the `klachtstroom.outbox.parked`
        metric and in this log line (the row's id, topic and the error's type: no content).
        """
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(parked_at=datetime.now(UTC), parked_reason=reason[:100])
            )
        self.parked += 1
        outbox_parked.add(1, {"topic": row.topic, "reason": reason})
        log.error(
            "outbox relay: row %s on %s parked (%s, %d bytes); the rows behind it go on",
            row.id, row.topic, reason, len(row.value),
        )  # fmt: skip

    async def _cleanup(self) -> None:
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            await session.execute(delete(outbox).where(outbox.c.sent_at < datetime.now(UTC) - self.keep_sent))

    async def pending(self) -> int:
        async with self.db.reading() as session:
            return int((await session.execute(select(func.count()).where(self._unsent()))).scalar_one())

    async def parked_rows(self) -> int:
        """Rows set aside because they could never be published (shown in /readyz and /metrics)."""
        outbox = self.tables.outbox
        async with self.db.reading() as session:
            query = select(func.count()).where(outbox.c.parked_at.is_not(None))
            return int((await session.execute(query)).scalar_one())

    async def backlog(self) -> dict[str, float]:
        """Unpublished rows and the age in seconds of the oldest (the `/metrics` gauges)."""
        outbox = self.tables.outbox
        async with self.db.reading() as session:
            backlog = select(func.count(), func.min(outbox.c.created_at)).where(self._unsent())
            count, oldest = (await session.execute(backlog)).one()
            parked = (
                await session.execute(select(func.count()).where(outbox.c.parked_at.is_not(None)))
            ).scalar_one()
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        return {
            "klachtstroom.outbox.pending": float(count),
            "klachtstroom.outbox.oldest_age": age,
            "klachtstroom.outbox.parked_rows": float(parked),
        }

    def stop(self) -> None:
        self._stopping = True
        self.wakeup.set()
