"""The development Kafka node and aiokafka pair the way the runtime rules rely on.

Idempotent ``acks=all`` producer; consumer group with manual commits after processing; a new consumer
(after a broker restart) resumes exactly after the committed offsets; per-key order holds across six
partitions. Runs a real broker from deploy/kafka on free ports in a temporary directory.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.e2e

aiokafka = pytest.importorskip("aiokafka")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TOPIC = "complaints.intake.v1"
KEYS = [f"complaint-{n:03d}" for n in range(60)]  # enough keys that every partition gets some
PER_KEY = 10
GROUP = "pairing-test"


def _load_kafka_node() -> ModuleType:
    # deploy/ is not a package; load the launcher by path, as the run supervisor does.
    path = REPO / "deploy" / "kafka" / "kafka_node.py"
    spec = importlib.util.spec_from_file_location("klachtstroom_kafka_node", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


Record = tuple[int, int, str, int]  # partition, offset, key, sequence number


async def _produce(bootstrap: str) -> dict[str, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        futures = []
        for seq in range(PER_KEY):  # interleave keys, so order per key is what the broker must keep
            for key in KEYS:
                futures.append((key, await producer.send(TOPIC, key=key.encode(), value=f"{seq}".encode())))
        metadata = [(key, await fut) for key, fut in futures]
    finally:
        await producer.stop()
    partition_of: dict[str, int] = {}
    for key, meta in metadata:
        assert partition_of.setdefault(key, meta.partition) == meta.partition, "a key moved partition"
    return partition_of


def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=100,
    )


async def _consume(bootstrap: str, want: int) -> tuple[list[Record], dict[int, int]]:
    """Process at least ``want`` records in batches; after each batch, commit exactly what was processed."""
    consumer = _consumer(bootstrap)
    await consumer.start()
    processed: list[Record] = []
    committed: dict[int, int] = {}
    try:
        async with asyncio.timeout(60):
            while len(processed) < want:
                batches = await consumer.getmany(timeout_ms=1000)
                done: dict[TopicPartition, int] = {}
                for tp, records in batches.items():
                    for rec in records:
                        processed.append((tp.partition, rec.offset, rec.key.decode(), int(rec.value)))
                        done[tp] = rec.offset + 1
                if done:
                    await consumer.commit(done)  # only after "processing": at-least-once, nothing skipped
                    committed.update({tp.partition: off for tp, off in done.items()})
    finally:
        await consumer.stop()
    return processed, committed


def _check_order(records: list[Record], partition_of: dict[str, int]) -> None:
    seqs: dict[str, list[int]] = defaultdict(list)
    for partition, _offset, key, seq in records:
        assert partition == partition_of[key]
        seqs[key].append(seq)
    assert seqs == {key: list(range(PER_KEY)) for key in KEYS}


def test_idempotent_producer_group_commit_resume_and_key_order(tmp_path: Path) -> None:
    kafka_node = _load_kafka_node()
    port, controller_port = _free_ports(2)
    node = kafka_node.KafkaNode(tmp_path, port=port, controller_port=controller_port)
    total = len(KEYS) * PER_KEY
    try:
        node.start(timeout=90)
        partition_of = asyncio.run(_produce(node.bootstrap))
        assert set(partition_of.values()) == set(range(6)), "keys should spread over all 6 partitions"

        first, committed = asyncio.run(_consume(node.bootstrap, total // 2))
        assert total // 2 <= len(first) < total

        # The log and the group's committed offsets survive a broker restart (data dir is kept).
        node.stop()
        node.start(timeout=90)

        second, _ = asyncio.run(_consume(node.bootstrap, total - len(first)))
        # Resumes exactly after the committed offsets: nothing delivered twice, nothing lost.
        first_offsets = {(p, o) for p, o, _, _ in first}
        second_offsets = {(p, o) for p, o, _, _ in second}
        assert not first_offsets & second_offsets
        assert len(first) + len(second) == total
        for partition, offset in committed.items():
            resumed = [o for p, o, _, _ in second if p == partition]
            assert not resumed or min(resumed) == offset
        _check_order(first + second, partition_of)
    finally:
        node.stop()
    assert not node.running()
