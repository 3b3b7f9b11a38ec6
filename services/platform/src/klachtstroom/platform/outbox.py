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

from opentelemetry import trace
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope
from klachtstroom.platform.db import Database, before_commit
from klachtstroom.platform.tables import PlatformTables
from klachtstroom.platform.telemetry import current_traceparent

log = logging.getLogger(__name__)
tracer = trace.get_tracer("klachtstroom.platform.outbox")
_PENDING = "klachtstroom.outbox.pending"

Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable[Awaitable[Any]]]
# (topic, value, key, headers) of each row, in outbox order.
Message = tuple[str, bytes, bytes, dict[str, str]]
# Sends all messages (order kept per key) and returns once every one is acknowledged.
PublishMany = Callable[[Sequence[Message]], Awaitable[None]]


class Outbox:
    """Writes events into the service's outbox table inside the caller's transaction."""

    def __init__(self, tables: PlatformTables, source: str, wake: Callable[[], None] | None = None) -> None:
        self.tables = tables
        self.source = source
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
        headers = {"ce_type": envelope.type, "ce_id": envelope.id, "content-type": "application/json"}
        if envelope.traceparent:
            headers["traceparent"] = envelope.traceparent
        headers.update(extra_headers or {})
        rows: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
        rows.append(
            {
                "event_id": envelope.id,
                "topic": topic,
                "key": envelope.subject,
                "value": envelope.model_dump_json().encode(),
                "headers": headers,
                "created_at": datetime.now(UTC),
            }
        )
        before_commit(session, self._insert_pending)

    async def _insert_pending(self, session: AsyncSession) -> None:
        rows = session.info.pop(_PENDING, [])
        if rows:
            await session.execute(insert(self.tables.outbox), rows)

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
    ) -> None:
        self.db = db
        self.tables = tables
        self.publish = publish
        self.publish_many = publish_many
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_sent = keep_sent
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
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), timeout=seconds)
        self.wakeup.clear()

    async def relay_once(self) -> int:
        outbox = self.tables.outbox
        async with self.db.reading() as session:
            rows: Sequence[Any] = (
                await session.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers)
                    .where(outbox.c.sent_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        # Send the whole batch before awaiting: the idempotent producer keeps per-partition
        # order, and a failure leaves every row unsent, to be sent again (consumers dedupe).
        with tracer.start_as_current_span(
            "outbox relay publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.batch.message_count": len(rows)},
        ):
            messages = [(row.topic, row.value, row.key.encode(), dict(row.headers)) for row in rows]
            if self.publish_many is not None:
                await self.publish_many(messages)
            else:
                await asyncio.gather(*[await self.publish(*message) for message in messages])
        ids = [row.id for row in rows]
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC))
            )
        self.published += len(rows)
        return len(rows)

    async def _cleanup(self) -> None:
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            await session.execute(delete(outbox).where(outbox.c.sent_at < datetime.now(UTC) - self.keep_sent))

    async def pending(self) -> int:
        from sqlalchemy import func

        outbox = self.tables.outbox
        async with self.db.reading() as session:
            return int(
                (await session.execute(select(func.count()).where(outbox.c.sent_at.is_(None)))).scalar_one()
            )

    async def backlog(self) -> dict[str, float]:
        """Unpublished rows and the age in seconds of the oldest (the `/metrics` gauges)."""
        from datetime import UTC, datetime

        from sqlalchemy import func

        outbox = self.tables.outbox
        async with self.db.reading() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
                )
            ).one()
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        return {"klachtstroom.outbox.pending": float(count), "klachtstroom.outbox.oldest_age": age}

    def stop(self) -> None:
        self._stopping = True
        self.wakeup.set()
