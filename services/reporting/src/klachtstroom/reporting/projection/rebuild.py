"""`klachtstroom-reporting rebuild`: the projection again, from the topics (DESIGN: rebuildable).

1. Note the end offsets of the intake, case and deadline topics now.
2. Read every partition from the beginning to that end (own consumer, no group, no commits),
   logging each event into the table set that is *not* live, emptied first: each record is
   decoded and validated once, and the log rows go in with one multi-row insert per
   `LOG_CHUNK` rows (each its own transaction), in the order read, so `seq` keeps the order
   per topic and complaint; an event id seen before is skipped (the same insert-ignore the
   consumer uses).
3. Fold every complaint of that set: the log is read back in ranges of complaint ids, each
   complaint folded in memory from its whole history (`fold.fold`, as the consumer's
   refold does), and the rows written in bulk, one transaction per range. (The rows of step 2
   are logged as folded already: this step folds them all before the set goes live.)
4. Swap, in one transaction: copy in the events the running service logged meanwhile that
   the rebuild did not read, fold those complaints, and flip `projection_state` to the new set.
5. Empty the old set.

The fold depends only on the events (fold.py), so a rebuild gives the rows the live
projection had, and reports byte-identical to the ones before. Signals are not raised again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Envelope
from klachtstroom.contracts.registry import UnknownEventType, payload_model
from klachtstroom.platform.consumer import decode_envelope
from klachtstroom.platform.db import Database
from klachtstroom.platform.kafka_security import client_options
from klachtstroom.platform.service import Service
from klachtstroom.reporting.projection.event_log import LOGGED_PAYLOADS, LoggedEvent, log_entries, time_us
from klachtstroom.reporting.projection.fold import fold
from klachtstroom.reporting.projection.queries import (
    insert_log_rows,
    live_set,
    log_rows,
    read_log,
    refold_pending,
    write_facts,
)
from klachtstroom.reporting.store import POINTER, ProjectionSet, ProjectionState, other_set

SOURCE_TOPICS = (topics.INTAKE, topics.CASE, topics.DEADLINE)
_LOGGED_TYPES = frozenset(p.event_type for p in LOGGED_PAYLOADS)
WRITE_CHUNK = 1000
LOG_CHUNK = 20_000  # log rows per insert transaction while reading
FOLD_CHUNK = 5_000  # complaints per fold transaction


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes | None


class Progress:
    """A progress bar on stderr: `Lezen  [#########-----------]  45%  1234/2742`."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.total, self.width = label, total, width
        self.stream = stream or sys.stderr
        self.done = 0
        self._shown = -1.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._shown >= 0.1 or self.done >= self.total:
            self._shown = now
            self._draw()

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label:<24} [{bar}] {share:4.0%}  {self.done}/{self.total}")
        self.stream.flush()

    def finish(self) -> None:
        self.done = max(self.done, self.total)
        self._draw()
        self.stream.write("\n")
        self.stream.flush()


async def read_topics(
    bootstrap: str, options: dict[str, Any] | None = None
) -> tuple[int, AsyncIterator[list[Record]]]:
    """The number of records up to the end offsets of now, and the batches up to them;
    `options` are the TLS/SASL options of every Kafka client (platform.kafka_security)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **(options or {}),
    )
    await consumer.start()
    try:
        parts = await _all_partitions(consumer)
    except BaseException:
        await consumer.stop()
        raise
    begin = await consumer.beginning_offsets(parts) if parts else {}
    end = await consumer.end_offsets(parts) if parts else {}
    total = sum(end[tp] - begin[tp] for tp in parts)
    if parts:
        await consumer.seek_to_beginning(*parts)

    async def batches() -> AsyncIterator[list[Record]]:
        remaining = {tp for tp in parts if end[tp] > begin[tp]}
        try:
            while remaining:
                got = await consumer.getmany(*remaining, timeout_ms=1000, max_records=WRITE_CHUNK)
                batch: list[Record] = []
                for tp, records in got.items():
                    batch += [
                        Record(tp.topic, tp.partition, r.offset, r.value)
                        for r in records
                        if r.offset < end[tp]
                    ]
                for tp in list(remaining):
                    # Position, not the last offset seen: offsets may have gaps (compaction).
                    if await consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
                if batch:
                    yield batch
        finally:
            await consumer.stop()

    return total, batches()


async def _all_partitions(consumer: AIOKafkaConsumer, timeout: float = 30.0) -> list[TopicPartition]:
    """Every partition of the source topics that exist, assigned to this group-less consumer."""
    existing = set(await consumer.topics())
    wanted = {t for t in SOURCE_TOPICS if t in existing}
    if not wanted:
        return []
    consumer.subscribe(topics=sorted(wanted))  # without a group: all partitions, once metadata is in
    deadline = time.monotonic() + timeout
    while {tp.topic for tp in consumer.assignment()} != wanted:
        if time.monotonic() > deadline:
            raise TimeoutError("Kafka gaf de partities van de topics niet op tijd door")
        await asyncio.sleep(0.1)
    return sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))


def decode(record: Record) -> tuple[Envelope, Any] | None:
    """The envelope and typed payload of a record reports use; None for anything else.

    One validating parse of the envelope straight from the bytes, then the payload: the
    live consumer's path (platform.consumer.decode_envelope, registry.payload_of).
    """
    envelope = decode_envelope(record.value, record.topic, record.partition, record.offset)
    if envelope.type not in _LOGGED_TYPES:
        return None  # also the undecodable placeholder: the live consumer dead-letters those
    try:
        return envelope, payload_model(envelope.type).from_event_data(envelope.data)
    except (ValidationError, UnknownEventType):
        return None  # the live consumer dead-letters these; a report cannot use them either


async def rebuild_from(
    db: Database, total: int, batches: AsyncIterator[list[Record]], stream: TextIO | None = None
) -> ProjectionSet:
    """Steps 2-5 of the module docstring; returns the set that is live afterwards."""
    async with db.reading() as session:
        target = other_set(await live_set(session))
    await _empty(db, target)
    reading = Progress("Topics lezen", total, stream)
    rows: list[dict[str, Any]] = []
    async for batch in batches:
        for record in batch:
            decoded = decode(record)
            if decoded is not None:
                envelope, payload = decoded
                entries = log_entries(payload)
                # Logged as folded: step 3 folds every complaint of this set before it goes live.
                rows += log_rows(envelope.id, time_us(envelope.time), envelope.type, entries, folded=True)
        if len(rows) >= LOG_CHUNK:
            await _log(db, target, rows)
            rows = []
        reading.advance(len(batch))
    await _log(db, target, rows)
    reading.finish()

    await _fold_all(db, target, stream)
    await _swap(db, target)
    await _empty(db, other_set(target))
    return target


async def _log(db: Database, target: ProjectionSet, rows: list[dict[str, Any]]) -> None:
    if rows:
        async with db.transaction() as session:
            await insert_log_rows(session, target, rows)


async def _fold_all(db: Database, target: ProjectionSet, stream: TextIO | None) -> None:
    """Fold every complaint logged in `target`, `FOLD_CHUNK` complaints per transaction."""
    log = target.log
    async with db.reading() as session:
        ids = list(
            (await session.execute(select(log.complaint_id).distinct().order_by(log.complaint_id))).scalars()
        )
    folding = Progress("Projectie opbouwen", len(ids), stream)
    for start in range(0, len(ids), FOLD_CHUNK):
        first, last = ids[start], ids[min(start + FOLD_CHUNK, len(ids)) - 1]
        async with db.transaction() as session:
            await _fold_range(session, target, first, last)
        folding.advance(min(FOLD_CHUNK, len(ids) - start))
    folding.finish()


async def _fold_range(session: AsyncSession, target: ProjectionSet, first: str, last: str) -> None:
    """Fold the complaints with ids in [first, last] from their whole log into new rows."""
    log = target.log
    history: dict[str, list[LoggedEvent]] = {}
    for complaint_id, logged in await read_log(
        session, target, log.complaint_id >= first, log.complaint_id <= last
    ):
        history.setdefault(complaint_id, []).append(logged)
    folded = (fold(cid, events) for cid, events in history.items())
    await write_facts(session, target, [f for f in folded if f is not None])


async def _swap(db: Database, target: ProjectionSet) -> None:
    async with db.transaction() as session:
        live = await live_set(session, lock="update")
        if live.name == target.name:
            raise RuntimeError("another rebuild swapped the projection meanwhile; run it again")
        seen = select(target.log.event_id)
        missed: Sequence[Any] = (
            (
                await session.execute(
                    select(live.log).where(live.log.event_id.not_in(seen)).order_by(live.log.seq)
                )
            )
            .scalars()
            .all()
        )
        rows = [
            {
                "event_id": e.event_id,
                "complaint_id": e.complaint_id,
                "stream": e.stream,
                "time_us": e.time_us,
                "type": e.type,
                "data": e.data,
                "folded": False,
            }
            for e in missed
        ]
        for start in range(0, len(rows), WRITE_CHUNK):
            await session.execute(insert(target.log), rows[start : start + WRITE_CHUNK])
        while (await refold_pending(session, target)).complaints:
            pass
        await session.execute(
            update(ProjectionState)
            .where(ProjectionState.name == POINTER)
            .values(live=target.name, rebuilt_at=datetime.now(UTC))
        )


async def _empty(db: Database, pset: ProjectionSet) -> None:
    async with db.transaction() as session:
        await session.execute(delete(pset.cases))
        await session.execute(delete(pset.log))


async def command(service: Service, _args: argparse.Namespace) -> None:
    """CLI entry: `klachtstroom-reporting rebuild`."""
    started = time.monotonic()
    service.migrate()
    try:
        total, batches = await read_topics(service.settings.kafka_bootstrap, client_options(service.settings))
        live = await rebuild_from(service.db, total, batches)
    finally:
        await service.db.dispose()
    print(
        f"Projectie opnieuw opgebouwd uit {total} berichten in {time.monotonic() - started:.1f} s; "
        f"tabelset {live.name.upper()} is nu in gebruik.",
        file=sys.stderr,
    )
