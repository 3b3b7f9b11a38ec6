"""The outbound queue on a real database: once per call over several instances, backoff, dead letters."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.db import Database, sync_url
from klachtstroom.platform.outbound.queue import (
    DeliveryResult,
    NewCall,
    OutboundCall,
    OutboundQueue,
    RetryPolicy,
    define_outbound_table,
    enqueue_calls,
)

metadata = MetaData()
calls = define_outbound_table(metadata)


def _postgres_url() -> str | None:
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if not server:
        return None
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"outbound_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'outbound.db'}"
    else:
        found = _postgres_url()
        if found is None:
            pytest.skip("KLACHTSTROOM_TEST_POSTGRES not set (make test sets it)")
        url = found
    engine = create_engine(sync_url(url))
    metadata.create_all(engine)
    engine.dispose()
    database = Database(url)
    yield database
    await database.dispose()


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


class Receiver:
    """Answers with the given results in turn (the last one repeats); records what arrived."""

    def __init__(self, *results: DeliveryResult, delay: float = 0.0) -> None:
        self.results = list(results) or [DeliveryResult()]
        self.delay = delay
        self.calls: list[OutboundCall] = []

    async def __call__(self, call: OutboundCall) -> DeliveryResult:
        self.calls.append(call)
        await asyncio.sleep(self.delay)
        return self.results[min(len(self.calls), len(self.results)) - 1]


async def enqueue(db: Database, queue: OutboundQueue, n: int, **fields: Any) -> list[str]:
    async with db.transaction() as session:
        return [await queue.enqueue(session, "hook", f"body {i}".encode(), **fields) for i in range(n)]


async def states(db: Database) -> list[tuple[str, int]]:
    async with db.reading() as session:
        rows = (await session.execute(select(calls.c.state, calls.c.attempts).order_by(calls.c.id))).all()
    return [(r.state, r.attempts) for r in rows]


async def test_a_call_is_only_queued_when_the_change_commits(db: Database) -> None:
    queue = OutboundQueue(db, calls)
    receiver = Receiver()
    queue.register("hook", receiver)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await queue.enqueue(session, "hook", b"rolled back")
            raise RuntimeError("the state change failed")
    [message_id] = await enqueue(db, queue, 1)
    assert await queue.deliver_due() == 1
    assert await queue.deliver_due() == 0
    assert [c.message_id for c in receiver.calls] == [message_id] and receiver.calls[0].body == b"body 0"
    assert await states(db) == [("sent", 1)]


async def test_two_instances_never_send_the_same_call_twice(db: Database) -> None:
    clock = Clock()
    receiver = Receiver(delay=0.01)
    queues = [OutboundQueue(db, calls, policy=RetryPolicy(batch=7), now=clock) for _ in range(3)]
    for queue in queues:
        queue.register("hook", receiver)
    await enqueue(db, queues[0], 60)

    async def drain(queue: OutboundQueue) -> None:
        while await queue.deliver_due():
            pass

    await asyncio.gather(*(drain(q) for q in queues))
    sent = Counter(c.message_id for c in receiver.calls)
    assert len(sent) == 60 and set(sent.values()) == {1}
    assert await states(db) == [("sent", 1)] * 60


async def test_a_failing_call_backs_off_then_is_dead_lettered(db: Database) -> None:
    clock = Clock()
    dead: list[OutboundCall] = []

    async def on_dead(session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        dead.append(call)

    queue = OutboundQueue(db, calls, policy=RetryPolicy(max_attempts=3, first_backoff_seconds=10), now=clock)
    receiver = Receiver(DeliveryResult(error="HTTP 503", status_code=503))
    queue.register("hook", receiver, on_dead=on_dead)
    await enqueue(db, queue, 1)
    for attempt, wait in ((1, 10), (2, 20)):
        assert await queue.deliver_due() == 1
        assert await queue.deliver_due() == 0  # not due again at once
        assert await states(db) == [("pending", attempt)]
        clock.moment += timedelta(seconds=wait * 0.89)
        assert await queue.deliver_due() == 0  # the backoff (with at most 10% jitter) still runs
        clock.moment += timedelta(seconds=wait * 0.22)
    assert await queue.deliver_due() == 1
    assert await states(db) == [("dead", 3)] and len(dead) == 1
    clock.moment += timedelta(days=1)
    assert await queue.deliver_due() == 0 and len(receiver.calls) == 3


async def test_a_permanent_refusal_is_dead_at_once(db: Database) -> None:
    queue = OutboundQueue(db, calls)
    queue.register("hook", Receiver(DeliveryResult(error="HTTP 400", status_code=400, permanent=True)))
    await enqueue(db, queue, 1)
    assert await queue.deliver_due() == 1
    assert await states(db) == [("dead", 1)]


async def test_a_call_put_off_uses_no_attempt_and_comes_back_after_its_wait(db: Database) -> None:
    clock = Clock()
    queue = OutboundQueue(db, calls, policy=RetryPolicy(max_attempts=2), now=clock)
    receiver = Receiver(DeliveryResult(later_seconds=30), DeliveryResult(later_seconds=30), DeliveryResult())
    queue.register("hook", receiver)
    await enqueue(db, queue, 1)
    for _ in range(2):
        assert await queue.deliver_due() == 1
        assert await states(db) == [("pending", 0)]  # not tried: no attempt used up
        clock.moment += timedelta(seconds=29)
        assert await queue.deliver_due() == 0  # asked again only after its wait
        clock.moment += timedelta(seconds=2)
    assert await queue.deliver_due() == 1
    assert await states(db) == [("sent", 1)] and len(receiver.calls) == 3


async def test_calls_queued_into_the_table_without_the_queue_are_delivered(db: Database) -> None:
    queue = OutboundQueue(db, calls)
    receiver = Receiver()
    queue.register("hook", receiver)
    async with db.transaction() as session:
        [message_id] = await enqueue_calls(
            session, calls, [NewCall("hook", b"ref 7", subject="c1")], queue.now()
        )
    assert await queue.deliver_due() == 1
    assert [(c.message_id, c.body, c.subject) for c in receiver.calls] == [(message_id, b"ref 7", "c1")]


async def test_calls_of_one_sequence_go_in_order(db: Database) -> None:
    clock = Clock()
    queue = OutboundQueue(db, calls, policy=RetryPolicy(first_backoff_seconds=5), now=clock)
    receiver = Receiver()
    refused_once: set[str] = set()

    async def deliver(call: OutboundCall) -> DeliveryResult:
        await receiver(call)
        if call.message_id == first and first not in refused_once:
            refused_once.add(first)
            return DeliveryResult(error="HTTP 503")
        return DeliveryResult()

    queue.register("hook", deliver)
    first, second = await enqueue(db, queue, 2, sequence_key="case-1")
    [other] = await enqueue(db, queue, 1, sequence_key="case-2")
    assert await queue.deliver_due() == 2  # the first of each sequence
    assert [c.message_id for c in receiver.calls] == [first, other]
    assert await queue.deliver_due() == 0  # the second waits for the first, which waits for its backoff
    clock.moment += timedelta(seconds=10)
    assert await queue.deliver_due() == 1
    assert await queue.deliver_due() == 1
    assert [c.message_id for c in receiver.calls] == [first, other, first, second]


async def test_a_call_claimed_by_an_instance_that_died_is_taken_over_after_its_lease(db: Database) -> None:
    clock = Clock()
    policy = RetryPolicy(lease_seconds=30)
    crashed = OutboundQueue(db, calls, policy=policy, now=clock)
    crashed.register("hook", Receiver())
    await enqueue(db, crashed, 1)
    assert len(await crashed._claim()) == 1  # claimed, then the instance dies before sending
    survivor = OutboundQueue(db, calls, policy=policy, now=clock)
    receiver = Receiver()
    survivor.register("hook", receiver)
    assert await survivor.deliver_due() == 0
    clock.moment += timedelta(seconds=31)
    assert await survivor.deliver_due() == 1
    assert await states(db) == [("sent", 1)] and len(receiver.calls) == 1


async def test_calls_queued_together_are_each_delivered_and_counted(db: Database) -> None:
    queue = OutboundQueue(db, calls)

    async def deliver(call: OutboundCall) -> DeliveryResult:
        return DeliveryResult() if call.body == b"a" else DeliveryResult(error="HTTP 503")

    queue.register("hook", deliver)
    async with db.transaction() as session:
        ids = await queue.enqueue_many(
            session, [NewCall("hook", b"a", message_id="msg_a"), NewCall("hook", b"b", subject="case-1")]
        )
    assert ids[0] == "msg_a" and ids[1].startswith("msg_")
    first = await queue.deliver_round()
    assert (first.tried, first.sent) == (2, 1)
    assert sorted(await states(db)) == [("pending", 1), ("sent", 1)]
