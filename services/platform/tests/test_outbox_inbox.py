"""The outbox relay and the idempotent consumer, on a real SQLite database (no broker needed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import psycopg
import pytest
from aiokafka.errors import MessageSizeTooLargeError, OutOfOrderSequenceNumber, ProducerClosed
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope
from klachtstroom.platform.consumer import (
    UNDECODABLE,
    BatchHandler,
    EventConsumer,
    RetryLater,
    decode_envelope,
    decode_record,
)
from klachtstroom.platform.db import Database, upgrade_database
from klachtstroom.platform.outbox import EventTooLarge, Outbox, OutboxRelay
from klachtstroom.platform.tables import define_platform_tables
from klachtstroom.platform.telemetry import propagating

metadata = MetaData()
tables = define_platform_tables(metadata)
counted = Table("counted", metadata, Column("id", Integer, primary_key=True), Column("subject", String(50)))

MIGRATIONS = Path(__file__).parent / "migrations"


class Thing(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.test.thing.v1"
    topic: ClassVar[str] = "test.things"
    n: int


class Other(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.test.other.v1"
    topic: ClassVar[str] = "test.things"
    n: int


def _postgres_url() -> str | None:
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if not server:
        return None
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"platform_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        found = _postgres_url()
        if found is None:
            pytest.skip("KLACHTSTROOM_TEST_POSTGRES not set (make test sets it)")
        url = found
    await asyncio.to_thread(upgrade_database, url, metadata, MIGRATIONS)
    database = Database(url)
    yield database
    await database.dispose()


class FakeKafka:
    """Records what the relay publishes; can be told to fail like a broker that is down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def publish(self, topic: str, value: bytes, key: bytes, headers: dict[str, str]) -> Any:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append((topic, key, value))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


async def test_relay_publishes_in_order_and_survives_a_broker_outage(db: Database) -> None:
    kafka = FakeKafka()
    relay = OutboxRelay(db, tables, kafka.publish, batch_size=7)
    outbox = Outbox(tables, "test", relay.wake)
    async with db.transaction() as session:
        for n in range(20):
            await outbox.add(session, Thing(n=n), subject=f"c{n % 3}")
    kafka.down = True
    with pytest.raises(ConnectionError):
        await relay.relay_once()
    assert await relay.pending() == 20  # nothing lost while Kafka is down
    kafka.down = False
    while await relay.relay_once():
        pass
    numbers = [json.loads(value)["data"]["n"] for _topic, _key, value in kafka.sent]
    assert numbers == list(range(20))
    assert await relay.pending() == 0


class Big(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.test.big.v1"
    topic: ClassVar[str] = "test.things"
    text: str


class SizeLimitedKafka(FakeKafka):
    """A broker that refuses records above a size, as Kafka does (MessageSizeTooLargeError)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    async def publish(self, topic: str, value: bytes, key: bytes, headers: dict[str, str]) -> Any:
        if len(value) > self.limit:
            raise MessageSizeTooLargeError()
        return await super().publish(topic, value, key, headers)

    async def publish_many(self, messages: Any) -> None:
        if any(len(value) > self.limit for _topic, value, _key, _headers in messages):
            raise MessageSizeTooLargeError()  # the whole batch fails, as a produce request does
        for message in messages:
            await self.publish(*message)


async def test_a_row_that_can_never_be_published_is_parked_and_the_rest_flows_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    kafka = SizeLimitedKafka(limit=2000)
    relay = OutboxRelay(db, tables, kafka.publish, publish_many=kafka.publish_many, batch_size=50)
    outbox = Outbox(tables, "test", relay.wake)
    secret = "Jantje Geheim " * 200  # about 2.8 kB: too large for this broker, fits the outbox
    async with db.transaction() as session:
        await outbox.add(session, Thing(n=0), subject="c0")
        await outbox.add(session, Big(text=secret), subject="c1")
        for n in range(1, 11):
            await outbox.add(session, Thing(n=n), subject=f"c{n}")
    with caplog.at_level("INFO"):
        while await relay.relay_once():
            pass
    numbers = [json.loads(value)["data"]["n"] for _topic, _key, value in kafka.sent]
    assert numbers == list(range(11))  # everything but the big one, in order
    assert await relay.pending() == 0 and await relay.parked_rows() == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "parked (MessageSizeTooLargeError" in logged and "Jantje" not in logged
    # The relay keeps going for rows written later.
    async with db.transaction() as session:
        await outbox.add(session, Thing(n=11), subject="c11")
    assert await relay.relay_once() == 1 and await relay.parked_rows() == 1


class WedgedProducer(FakeKafka):
    """aiokafka's idempotent producer after a broker restart: once its sequence numbers no longer
    match the broker's, every send fails with OutOfOrderSequenceNumber until it is replaced."""

    def __init__(self, failed_starts: int = 0) -> None:
        super().__init__()
        self.wedged = True
        self.replaced = 0
        self.failed_starts = failed_starts
        self.gone = False

    async def publish_many(self, messages: Any) -> None:
        if self.gone:  # as Service._publish_many answers when it holds no producer
            raise ProducerClosed()
        if self.wedged:
            raise OutOfOrderSequenceNumber()
        for message in messages:
            await self.publish(*message)

    async def replace(self) -> None:
        if self.failed_starts:  # the broker is away again: no new producer, the old one is gone
            self.failed_starts -= 1
            self.gone = True
            raise ConnectionError("broker down")
        self.replaced += 1
        self.wedged = self.gone = False


@pytest.mark.parametrize("failed_starts", [0, 2])
async def test_a_producer_that_lost_its_sequence_is_replaced_and_nothing_is_lost(
    db: Database, failed_starts: int
) -> None:
    # With failed starts, the replacement is tried again after the next failed publish.
    kafka = WedgedProducer(failed_starts)
    relay = OutboxRelay(
        db,
        tables,
        kafka.publish,
        publish_many=kafka.publish_many,
        replace_producer=kafka.replace,
        batch_size=50,
    )
    outbox = Outbox(tables, "test", relay.wake)
    async with db.transaction() as session:
        for n in range(5):
            await outbox.add(session, Thing(n=n), subject=f"c{n}")

    async def ready() -> None:
        return None

    running = asyncio.create_task(relay.run(ready))
    try:
        for _ in range(100):
            if await relay.pending() == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        relay.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert kafka.replaced == 1 and relay.producers_replaced == 1
    assert [json.loads(value)["data"]["n"] for _topic, _key, value in kafka.sent] == list(range(5))
    assert await relay.pending() == 0


async def test_an_event_too_large_for_kafka_is_refused_when_written(db: Database) -> None:
    outbox = Outbox(tables, "test", max_event_bytes=1000)
    with pytest.raises(EventTooLarge):
        async with db.transaction() as session:
            await outbox.add(session, Big(text="x" * 2000), subject="c0")
    relay = OutboxRelay(db, tables, FakeKafka().publish)
    assert await relay.pending() == 0  # the writer's transaction rolled back


def _records(envelopes: list[Envelope]) -> list[Any]:
    return [
        SimpleNamespace(topic="test.things", partition=0, offset=i, value=e.model_dump_json().encode())
        for i, e in enumerate(envelopes)
    ]


async def test_consumer_handles_each_event_once(db: Database) -> None:
    async def handle(session: Any, envelope: Envelope, payload: Thing) -> None:
        await session.execute(insert(counted).values(subject=envelope.subject))

    consumer = EventConsumer("c", db, tables, Outbox(tables, "test"), {Thing: handle})
    events = [make_envelope(Thing(n=n), source="t", subject=f"s{n}") for n in range(10)]
    await consumer.process(events, _records(events))
    await consumer.process(events[:5], _records(events[:5]))  # redelivery after a crash
    async with db.reading() as session:
        assert (await session.execute(select(func.count()).select_from(counted))).scalar_one() == 10


async def test_batch_handler_gets_runs_in_order_and_writes_carry_each_events_trace(db: Database) -> None:
    calls: list[tuple[str, list[int]]] = []
    outbox = Outbox(tables, "test")

    async def many(session: Any, run: Any) -> None:
        calls.append(("run", [payload.n for _envelope, payload in run]))
        for envelope, payload in run:
            with propagating(envelope.traceparent):
                await outbox.add(session, Other(n=payload.n), subject=envelope.subject)

    async def one(session: Any, envelope: Envelope, payload: Other) -> None:
        calls.append(("one", [payload.n]))

    consumer = EventConsumer("c", db, tables, outbox, {Thing: BatchHandler(many), Other: one})
    trace = "00-0af7651916cd43dd8448eb211c80319c-{:016x}-01"
    things = [
        make_envelope(Thing(n=n), source="t", subject=f"s{n}", traceparent=trace.format(n + 1))
        for n in range(4)
    ]
    other = make_envelope(Other(n=9), source="t", subject="s9")
    batch = [things[0], things[1], things[1], other, things[2], things[3]]  # a duplicate, and a run broken
    await consumer.process(batch, _records(batch))
    await consumer.process(things, _records(things))  # redelivered: nothing handled twice
    assert calls == [("run", [0, 1]), ("one", [9]), ("run", [2, 3])]
    async with db.reading() as session:
        rows = (await session.execute(select(tables.outbox.c.value).order_by(tables.outbox.c.id))).scalars()
        written = [Envelope.model_validate_json(value) for value in rows]
    assert [e.subject for e in written] == ["s0", "s1", "s2", "s3"]
    assert [e.traceparent for e in written] == [trace.format(n + 1) for n in range(4)]


def test_a_record_is_decoded_once_or_becomes_a_placeholder() -> None:
    envelope = make_envelope(Thing(n=1), source="t", subject="s")
    assert decode_envelope(envelope.model_dump_json().encode(), "test.things", 0, 1) == envelope
    for broken in (b"not json", b"[1]", b'{"id": "x"}', None):
        placeholder = decode_envelope(broken, "test.things", 0, 7)
        assert placeholder.type == UNDECODABLE and placeholder.id == "undecodable:test.things:0:7"


async def test_poison_event_goes_to_the_dead_letter_topic_after_max_attempts(db: Database) -> None:
    async def handle(session: Any, envelope: Envelope, payload: Thing) -> None:
        if payload.n == 3:
            raise ValueError("cannot handle 3")
        await session.execute(insert(counted).values(subject=envelope.subject))

    consumer = EventConsumer("c", db, tables, Outbox(tables, "test"), {Thing: handle}, max_attempts=3)
    events = [make_envelope(Thing(n=n), source="t", subject=f"s{n}") for n in range(6)]
    for _attempt in range(2):
        with pytest.raises(RetryLater):
            await consumer.process(events, _records(events))
    await consumer.process(events, _records(events))  # third attempt: dead-lettered, batch goes on
    async with db.reading() as session:
        assert (await session.execute(select(func.count()).select_from(counted))).scalar_one() == 5
        dlq = (
            await session.execute(select(tables.outbox).where(tables.outbox.c.topic == "test.things.dlq"))
        ).all()
    assert len(dlq) == 1
    assert dlq[0].headers["x-attempts"] == "3"
    # the type, never the message: an exception text may quote personal data from the event
    assert dlq[0].headers["x-error"] == "ValueError"
    assert dlq[0].headers["content-type"] == "application/cloudevents+json" and dlq[0].headers["traceparent"]


async def test_a_busy_database_is_retried_and_never_counts_as_an_attempt(db: Database) -> None:
    failures = {"left": 6}

    async def handle(session: Any, envelope: Envelope, payload: Thing) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database is locked")
        await session.execute(insert(counted).values(subject=envelope.subject))

    consumer = EventConsumer("c", db, tables, Outbox(tables, "test"), {Thing: handle}, max_attempts=2)
    events = [make_envelope(Thing(n=n), source="t", subject=f"s{n}") for n in range(3)]
    for _ in range(10):
        try:
            await consumer.process(events, _records(events))
            break
        except RetryLater:
            continue
    async with db.reading() as session:
        assert (await session.execute(select(func.count()).select_from(counted))).scalar_one() == 3
        assert (await session.execute(select(tables.outbox))).all() == []  # nothing dead-lettered
        assert (await session.execute(select(tables.delivery_attempts))).all() == []
    assert consumer.dead_lettered == 0


async def test_waiting_for_a_sqlite_lock_does_not_block_the_event_loop(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}"
    await asyncio.to_thread(upgrade_database, url, metadata, MIGRATIONS)
    database = Database(url)
    other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    gaps: list[float] = []

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()

    ticking = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(1.0, other.execute, "COMMIT")
    started = asyncio.get_running_loop().time()
    async with database.transaction() as session:
        await session.execute(insert(counted).values(subject="after the lock"))
    waited = asyncio.get_running_loop().time() - started
    await asyncio.sleep(0.05)  # let the ticker see the last gap
    ticking.cancel()
    other.close()
    await database.dispose()
    assert 0.9 <= waited < 5  # it waited for the lock, and got it once the other let go
    assert max(gaps) < 0.2  # but never held the event loop for long


async def test_a_sqlite_commit_waits_for_the_disk_off_the_event_loop(tmp_path: Path) -> None:
    # The commit's fsync takes milliseconds: on the loop's thread it would stall every request
    # of the process meanwhile. The other statements stay on the loop (InlineSqliteConnection).
    url = f"sqlite+aiosqlite:///{tmp_path / 'commit.db'}"
    await asyncio.to_thread(upgrade_database, url, metadata, MIGRATIONS)
    database = Database(url, synchronous="FULL")
    ran_on: list[tuple[str, int]] = []
    try:
        async with database.transaction() as session:
            connection = await session.connection()
            raw = (await connection.get_raw_connection()).driver_connection
            raw._conn.set_trace_callback(lambda sql: ran_on.append((sql.split()[0], threading.get_ident())))
            await session.execute(insert(counted).values(subject="committed off the loop"))
        raw._conn.set_trace_callback(None)
        async with database.reading() as session:
            assert await session.scalar(select(func.count()).select_from(counted)) == 1
    finally:
        await database.dispose()
    loop_thread = threading.get_ident()
    assert [thread == loop_thread for word, thread in ran_on if word == "INSERT"] == [True]
    assert [thread == loop_thread for word, thread in ran_on if word == "COMMIT"] == [False]


async def test_undecodable_record_is_dead_lettered_not_fatal(db: Database) -> None:
    consumer = EventConsumer("c", db, tables, Outbox(tables, "test"), {}, max_attempts=1)
    raw = decode_record(b"not json", "test.things", 0, 7)
    envelope = Envelope.model_validate(raw)
    await consumer.process(
        [envelope], [SimpleNamespace(topic="test.things", partition=0, offset=7, value=b"x")]
    )
    async with db.reading() as session:
        rows = (await session.execute(select(tables.outbox))).all()
    assert [r.topic for r in rows] == ["test.things.dlq"]


async def test_two_relays_share_one_lease(db: Database) -> None:
    first = OutboxRelay(db, tables, FakeKafka().publish)
    second = OutboxRelay(db, tables, FakeKafka().publish)
    assert await first.lease.acquire()
    assert not await second.lease.acquire()
    assert await first.lease.acquire()  # renewal by the holder


def test_timestamps_are_aware() -> None:
    assert make_envelope(Thing(n=1), source="t", subject="s").time.tzinfo is not None
    assert datetime.now(UTC).tzinfo is not None
