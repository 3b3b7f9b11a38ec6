"""A poison record on every topic stops nothing (DESIGN.md, Kafka; issue 16).

On a stack of its own, each of the four event topics gets records no service can use: bytes
that are no JSON, JSON that is no CloudEvent, and a CloudEvent of a type nobody knows. Complaints
posted after them still become cases with their terms and are counted in the report; every
unusable record ends up in its topic's dead-letter topic, once per consuming service, and
`replay-dlq` puts it back on its topic for another round.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from e2e import Api, apis_for, eventually, every_record, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack

from klachtstroom.contracts import topics

pytestmark = pytest.mark.e2e

# Which services consume which topic (a poison record is dead-lettered by each of them). Signals
# go to the college and its webhooks; no service reads them back.
CONSUMERS = {
    topics.INTAKE: {"routing", "reporting"},
    topics.CASE: {"deadlines", "reporting", "intake"},
    topics.DEADLINE: {"intake", "reporting", "routing"},
    topics.SIGNAL: set(),
}


def poison_for(topic: str) -> list[bytes]:
    tag = topic.split(".")[1]
    unknown_type = {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/gif", "type": f"nl.gif.{tag}.v9",
        "subject": "poison", "time": "2026-03-03T10:00:00+01:00", "datacontenttype": "application/json",
        "data": {"poison": tag},
    }  # fmt: skip
    return [
        f"\x00\xff not json {tag}".encode("latin-1"),
        json.dumps({"poison": f"no cloudevent {tag}"}).encode(),
        # A type from a newer release: skipped or dead-lettered, as long as nothing stops.
        json.dumps(unknown_type).encode(),
    ]


UNUSABLE = 2  # the first two of poison_for: every consumer must dead-letter them


@pytest.fixture(scope="module")
def poisoned_stack(own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = make_stack(tmp_path_factory.mktemp("poison"), own_kafka)
    with started_stack(running) as started:
        yield started


def produce(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for topic, value in records:
                await producer.send_and_wait(topic, value, key=b"poison")
        finally:
            await producer.stop()

    asyncio.run(send())


def test_poison_on_every_topic_is_dead_lettered_and_the_rest_flows(poisoned_stack: Stack) -> None:
    bootstrap = f"127.0.0.1:{poisoned_stack.kafka_port}"
    poison = {topic: poison_for(topic) for topic in topics.ALL}
    produce(bootstrap, [(topic, value) for topic, values in poison.items() for value in values])

    apis: dict[str, Api] = apis_for(poisoned_stack)
    ids = []
    for n in range(5):
        body = {"channel": "phone", "description": f"Klacht {n}: mijn uitkering is niet betaald.",
                "received_at": date.today().isoformat()}  # fmt: skip
        code, accepted = apis["intake"].post("/api/v1/complaints", body)
        assert code == 202, accepted
        ids.append(str(accepted["id"]))

    def opened(complaint_id: str) -> bool:
        return apis["routing"].get(f"/api/v1/cases/{complaint_id}")[0] == 200

    def with_terms(complaint_id: str) -> Any:
        code, found = apis["deadlines"].get(f"/api/v1/deadlines?case_id={complaint_id}")
        return code == 200 and found.get("items")

    eventually(lambda: all(opened(i) for i in ids), timeout=90)
    eventually(lambda: all(with_terms(i) for i in ids), timeout=90)

    def counted() -> bool:
        code, report = apis["reporting"].get(f"/api/v1/reports/annual/{date.today().year}")
        return code == 200 and int(str(report.get("total", 0))) >= len(ids)

    eventually(counted, timeout=90)

    def dead_lettered() -> dict[str, int] | None:
        records = asyncio.run(every_record(bootstrap))
        missing: dict[str, int] = {}
        for topic, values in poison.items():
            letters = [value for name, _key, value, _headers in records if name == topics.dlq(topic)]
            for value in values[:UNUSABLE]:
                found = letters.count(value)
                if found < len(CONSUMERS[topic]):
                    missing[f"{topic}: {value[:30]!r}"] = found
        return None if missing else {}

    assert eventually(lambda: dead_lettered() is not None, timeout=120)

    # Replay: the dead letters of the intake topic go back onto it (and are refused again).
    before = sum(1 for r in asyncio.run(every_record(bootstrap)) if r[0] == topics.INTAKE)
    replay = subprocess.run(
        [str(Path(sys.executable).parent / "klachtstroom-routing"), "replay-dlq", topics.INTAKE],
        env=poisoned_stack.env_for("routing"), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert "replayed" in replay.stdout + replay.stderr
    after = sum(1 for r in asyncio.run(every_record(bootstrap)) if r[0] == topics.INTAKE)
    assert after > before
    # ... and the services are still at work afterwards.
    last = {"channel": "phone", "description": "Nog een klacht."}
    code, accepted = apis["intake"].post("/api/v1/complaints", last)
    assert code == 202
    eventually(lambda: opened(str(accepted["id"])), timeout=90)
