"""Idempotent batch consumers: inbox de-duplication, one transaction per batch, DLQ after N attempts.

A batch is handled in one database transaction (inbox rows and outbox rows together); the
offsets are committed only after that transaction (FastStream NACK_ON_ERROR: commit on
success, seek back on error). A message that keeps failing is isolated by handling the
batch one message at a time, counted, and after `max_attempts` written to `<topic>.dlq`.

Handlers take one event at a time, or, wrapped in `BatchHandler`, a run of consecutive events
of the batch at once (so a service can load and write a whole run with a few statements).
Either way events are handled in the order they came, which keeps the order per complaint.

Tracing: one span per batch, linked to the producers of its events (a span per event costs
more than handling many events; `trace_each_event` turns those back on for debugging). While
an event is handled, the events written carry its trace context on (`telemetry.propagating`),
so a complaint's trace id travels from hop to hop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics, trace
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.platform.db import Database, insert_rows, is_transient
from klachtstroom.platform.metrics import handled_events
from klachtstroom.platform.outbox import Outbox
from klachtstroom.platform.tables import PlatformTables
from klachtstroom.platform.telemetry import context_from_traceparent, links_to, propagating

log = logging.getLogger(__name__)
tracer = trace.get_tracer("klachtstroom.platform.consumer")
dead_lettered = metrics.get_meter("klachtstroom.platform").create_counter(
    "klachtstroom.dlq.messages", description="events sent to a dead-letter topic"
)

UNDECODABLE = "nl.klachtstroom.undecodable"

EventHandler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
Run = Sequence[tuple[Envelope, Any]]


class BatchHandler:
    """Handles a run of consecutive events of a batch (envelope and typed payload, in order).

    Register the same instance for several payload types to receive them in one run. It is
    called inside the batch transaction, like an EventHandler, and is also callable for a
    single event. It handles each event `with telemetry.propagating(envelope.traceparent)`,
    so the events it writes carry that event's trace context.
    """

    def __init__(self, handle: Callable[[AsyncSession, Run], Awaitable[None]]) -> None:
        self.handle = handle

    async def __call__(self, session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        await self.handle(session, [(envelope, payload)])


class RetryLater(Exception):
    """Raised so FastStream seeks back and the batch is delivered again."""


def decode_record(value: bytes | None, topic: str, partition: int, offset: int) -> dict[str, Any]:
    """Decode one Kafka record into an envelope dict; never raises.

    A record that is not a valid envelope becomes a placeholder, so it can be dead-lettered
    on its own instead of failing its whole batch forever.
    """
    try:
        data = json.loads(value or b"")
        Envelope.model_validate(data)
        return data  # type: ignore[no-any-return]
    except (ValueError, ValidationError, TypeError):
        return {
            "id": f"undecodable:{topic}:{partition}:{offset}",
            "source": "kafka",
            "type": UNDECODABLE,
            "subject": "unknown",
            "time": datetime.now(UTC).isoformat(),
        }


def decode_envelope(value: bytes | None, topic: str, partition: int, offset: int) -> Envelope:
    """Decode one Kafka record into an Envelope in one pass; never raises (see decode_record)."""
    try:
        return Envelope.model_validate_json(value or b"")
    except (ValueError, ValidationError, TypeError):
        return Envelope.model_validate(decode_record(None, topic, partition, offset))


class EventConsumer:
    def __init__(
        self,
        name: str,
        db: Database,
        tables: PlatformTables,
        outbox: Outbox,
        handlers: Mapping[type[Payload], EventHandler],
        *,
        max_attempts: int = 5,
        after_commit: Callable[[], Awaitable[None]] | None = None,
        span_per_event: bool = False,
    ) -> None:
        self.name = name
        self.db = db
        self.tables = tables
        self.outbox = outbox
        self.handlers = {model.event_type: (model, handler) for model, handler in handlers.items()}
        self.max_attempts = max_attempts
        self.after_commit = after_commit
        self.span_per_event = span_per_event  # for debugging a trace; costs a span per event
        self.handled = 0
        self.dead_lettered = 0
        self.batches = 0
        self.transient_failures = 0

    async def process(self, envelopes: Sequence[Envelope], records: Sequence[Any]) -> None:
        self.batches += 1
        with tracer.start_as_current_span(
            f"{self.name} process",
            kind=trace.SpanKind.CONSUMER,
            links=links_to(e.traceparent for e in envelopes),
            attributes={
                "messaging.batch.message_count": len(envelopes),
                "messaging.consumer.group.name": self.name,
            },
        ):
            try:
                async with self.db.transaction() as session:
                    await self._handle(session, envelopes)
                self.transient_failures = 0
            except Exception as error:
                if is_transient(error):
                    await self._wait_transient(error)
                await self._process_one_by_one(envelopes, records)
        self.outbox.notify()
        if self.after_commit is not None:
            await self.after_commit()

    async def _process_one_by_one(self, envelopes: Sequence[Envelope], records: Sequence[Any]) -> None:
        for envelope, record in zip(envelopes, records, strict=False):
            try:
                async with self.db.transaction() as session:
                    await self._handle(session, [envelope])
            except Exception as error:
                if is_transient(error):
                    # The database was busy (locked, a serialization failure, a deadlock): the
                    # batch is delivered again; this is no attempt against the event.
                    await self._wait_transient(error)
                    raise RetryLater(envelope.id) from error
                attempts = await self._count_failure(envelope, error)
                if attempts < self.max_attempts:
                    log.warning(
                        "%s: event %s failed (%s), attempt %d of %d",
                        self.name,
                        envelope.id,
                        type(error).__name__,
                        attempts,
                        self.max_attempts,
                    )
                    await asyncio.sleep(min(0.2 * 2**attempts, 5.0))
                    raise RetryLater(envelope.id) from error
                await self._dead_letter(envelope, record, error, attempts)

    async def _wait_transient(self, error: Exception) -> None:
        """Back off (with jitter) after a transient database error; it is never counted."""
        self.transient_failures += 1
        delay = min(0.05 * 2 ** min(self.transient_failures, 7), 5.0) * random.uniform(0.5, 1.0)
        log.info("%s: database busy (%s); trying again in %.2fs", self.name, type(error).__name__, delay)
        await asyncio.sleep(delay)

    async def _handle(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        processed = self.tables.processed_messages
        ids = [e.id for e in envelopes]
        done = set(
            (
                await session.execute(
                    select(processed.c.event_id).where(
                        processed.c.consumer == self.name, processed.c.event_id.in_(ids)
                    )
                )
            ).scalars()
        )
        now = datetime.now(UTC)
        fresh: list[dict[str, Any]] = []
        run: list[tuple[Envelope, Any]] = []
        run_handler: BatchHandler | None = None
        for envelope in envelopes:
            if envelope.id in done:
                continue
            done.add(envelope.id)
            if envelope.type == UNDECODABLE:
                raise ValueError("record is not a valid CloudEvents envelope")
            entry = self.handlers.get(envelope.type)
            if entry is not None:
                model, handler = entry
                payload = model.from_event_data(envelope.data)
                if isinstance(handler, BatchHandler):
                    if handler is not run_handler and run_handler is not None:
                        await run_handler.handle(session, run)
                        run = []
                    run_handler = handler
                    run.append((envelope, payload))
                else:
                    if run_handler is not None:  # what came before is handled first: order kept
                        await run_handler.handle(session, run)
                        run, run_handler = [], None
                    with self._event_context(envelope):
                        await handler(session, envelope, payload)
            fresh.append({"consumer": self.name, "event_id": envelope.id, "processed_at": now})
        if run_handler is not None:
            await run_handler.handle(session, run)
        if fresh:
            await insert_rows(session, processed, fresh)
        self.handled += len(fresh)
        handled_events.add(len(fresh), {"consumer": self.name})

    def _event_context(self, envelope: Envelope) -> Any:
        """While one event is handled: its trace context is the one events written carry on,
        or, when a span per event is asked for, a span of its own (a child of the producer's)."""
        if not self.span_per_event:
            return propagating(envelope.traceparent)
        return tracer.start_as_current_span(
            f"{self.name} {envelope.type}",
            context=context_from_traceparent(envelope.traceparent),
            attributes={"messaging.message.id": envelope.id, "klachtstroom.subject": envelope.subject},
        )

    async def _count_failure(self, envelope: Envelope, error: Exception) -> int:
        attempts_table = self.tables.delivery_attempts
        message = f"{type(error).__name__}: {error}"[:2000]
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(attempts_table.c.attempts).where(
                        attempts_table.c.consumer == self.name, attempts_table.c.event_id == envelope.id
                    )
                )
            ).first()
            attempts = (row.attempts if row else 0) + 1
            values = {"attempts": attempts, "last_error": message, "updated_at": datetime.now(UTC)}
            if row is None:
                await session.execute(
                    insert(attempts_table).values(consumer=self.name, event_id=envelope.id, **values)
                )
            else:
                await session.execute(
                    update(attempts_table)
                    .where(attempts_table.c.consumer == self.name, attempts_table.c.event_id == envelope.id)
                    .values(**values)
                )
        return attempts

    async def _dead_letter(self, envelope: Envelope, record: Any, error: Exception, attempts: int) -> None:
        topic = getattr(record, "topic", "unknown")
        # The error names its type and the fields involved, never the values: a validation
        # message echoes its input, and a DLQ topic must not hold personal data either.
        headers = envelope.kafka_headers() | {
            "x-error": error_summary(error),
            "x-attempts": str(attempts),
            "x-consumer": self.name,
            "x-original-topic": topic,
            "x-original-partition": str(getattr(record, "partition", "")),
            "x-original-offset": str(getattr(record, "offset", "")),
        }
        value = getattr(record, "value", None) or envelope.model_dump_json().encode()
        async with self.db.transaction() as session:
            await session.execute(
                insert(self.tables.outbox).values(
                    event_id=f"dlq:{self.name}:{envelope.id}",
                    topic=topics.dlq(topic),
                    key=envelope.subject,
                    value=value,
                    headers=headers,
                    created_at=datetime.now(UTC),
                )
            )
            await session.execute(
                insert(self.tables.processed_messages).values(
                    consumer=self.name, event_id=envelope.id, processed_at=datetime.now(UTC)
                )
            )
        self.dead_lettered += 1
        dead_lettered.add(1, {"consumer": self.name, "topic": topic})
        log.error(
            "%s: event %s sent to %s after %d attempts", self.name, envelope.id, topics.dlq(topic), attempts
        )

    async def forget_failures(self, event_ids: Sequence[str]) -> None:
        """Before a DLQ replay: give replayed events a fresh set of attempts."""
        attempts_table = self.tables.delivery_attempts
        processed = self.tables.processed_messages
        async with self.db.transaction() as session:
            await session.execute(
                delete(attempts_table).where(
                    attempts_table.c.consumer == self.name, attempts_table.c.event_id.in_(event_ids)
                )
            )
            await session.execute(
                delete(processed).where(
                    processed.c.consumer == self.name, processed.c.event_id.in_(event_ids)
                )
            )


def error_summary(error: Exception) -> str:
    """What a dead-letter header may say about a failure: the type and, for a validation error,
    the fields that failed (pydantic's messages quote the input, which may be personal data)."""
    if isinstance(error, ValidationError):
        fields = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
        return f"ValidationError: {', '.join(fields)}"[:500]
    return type(error).__name__
