"""Pipeline throughput against raw aiokafka, side by side on one Kafka in one run.

raw:       produce N envelopes (idempotent, acks=all) and consume them in a consumer group.
pipeline:  produce the same N `complaint.received` envelopes onto complaints.intake.v1 and wait
           until routing has opened every case (consume -> db transaction -> outbox -> relay ->
           complaints.case.v1), and until deadlines has set their decision terms (a second hop).
           Counted per complaint (distinct keys), so redeliveries or more events per complaint
           do not end the wait early; the complaints are received today, so no term is overdue.
DESIGN.md: the pipeline must keep at least half the raw rate.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka_node import KafkaNode
from stack import Stack

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import make_envelope
from klachtstroom.contracts.intake_events import ComplaintReceived, TriageVerdict
from klachtstroom.contracts.vocabulary import Category, Channel, Kind

N = 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def envelopes(n: int) -> list[tuple[bytes, bytes]]:
    # Received today: complaints from months ago would have every term breached on arrival, and
    # the pipeline would then be measured on the warnings and escalations that follow (a dozen
    # extra events per complaint), not on the hop that opens a case and sets its terms.
    received_at = datetime.now(UTC).replace(microsecond=0)
    result = []
    for i in range(n):
        cid = str(uuid.uuid4())
        payload = ComplaintReceived(
            complaint_id=cid,
            reference=f"KL-2026-{i:06d}",
            channel=Channel.web_form,
            received_at=received_at,
            complainant_id=str(uuid.uuid4()),
            complainant_reachable=True,
            municipality="Voorbeeldstad",
            unit="Inkomen",
            kind=Kind.complaint,
            category=Category.handling_time,
            urgent=False,
            triage=TriageVerdict(
                kind=Kind.complaint,
                category=Category.handling_time,
                urgent=False,
                confidence=0.8,
                reasons=["Woord 'wacht' wijst op behandeltermijn"],
            ),
        )
        env = make_envelope(payload, source="bench", subject=cid)
        result.append((cid.encode(), env.model_dump_json().encode()))
    return result


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def count_until(bootstrap: str, topic: str, n: int, *fragments: bytes, timeout: float = 600) -> float:
    """Wait until `n` distinct keys (complaints) carried an event holding every fragment."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    keys: set[bytes | None] = set()
    deadline = time.perf_counter() + timeout
    try:
        while len(keys) < n and time.perf_counter() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                keys.update(r.key for r in records if all(f in r.value for f in fragments))
            if batch:
                await consumer.commit()
    finally:
        await consumer.stop()
    if len(keys) < n:
        raise RuntimeError(f"only {len(keys)} of {n} events on {topic}")
    return time.perf_counter()


async def raw_rate(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> float:
    start = time.perf_counter()
    counter = asyncio.create_task(count_until(bootstrap, "bench.raw", len(messages), b"complaint.received"))
    await produce(bootstrap, "bench.raw", messages)
    end = await counter
    return len(messages) / (end - start)


async def pipeline_rates(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> tuple[float, float]:
    start = time.perf_counter()
    opened = asyncio.create_task(count_until(bootstrap, topics.CASE, len(messages), b"case.opened"))
    terms = asyncio.create_task(
        count_until(bootstrap, topics.DEADLINE, len(messages), b"deadline.set", b'"kind":"decision"')
    )
    await produce(bootstrap, topics.INTAKE, messages)
    end_opened = await opened
    end_terms = await terms
    return len(messages) / (end_opened - start), len(messages) / (end_terms - start)


def run(n: int = N) -> list[dict[str, Any]]:
    work = Path(tempfile.mkdtemp(prefix="klachtstroom-bench-"))
    kafka = KafkaNode(work, port=free_port(), controller_port=free_port())
    kafka.start(
        topics={**{t: 6 for t in topics.ALL}, "bench.raw": 6, **{topics.dlq(t): 1 for t in topics.ALL}}
    )
    stack = Stack(
        data_dir=work,
        kafka_port=kafka.port,
        controller_port=kafka.controller_port,
        ports={s: free_port() for s in ("intake", "routing", "deadlines", "reporting")},
        smtp_port=free_port(),
    )
    try:
        stack.start_services(("routing", "deadlines"))
        stack.wait_ready(timeout=120)
        messages = envelopes(n)
        raw = asyncio.run(raw_rate(kafka.bootstrap, messages))
        routed, termed = asyncio.run(pipeline_rates(kafka.bootstrap, messages))
    finally:
        stack.stop()
        kafka.stop()
    print(f"   raw aiokafka {raw:,.0f} msg/s; routing hop {routed:,.0f}/s; through deadlines {termed:,.0f}/s")
    return [
        {
            "name": "pipeline.raw_aiokafka_rate",
            "value": round(raw, 1),
            "unit": "msg/s",
            "aim": 0,
            "direction": "max",
        },
        {
            "name": "pipeline.routing_hop_rate",
            "value": round(routed, 1),
            "unit": "msg/s",
            "aim": raw / 2,
            "direction": "max",
            "baseline": round(raw, 1),
            "ratio": round(routed / raw, 3),
        },
        {
            "name": "pipeline.to_deadlines_rate",
            "value": round(termed, 1),
            "unit": "msg/s",
            "aim": raw / 2,
            "direction": "max",
            "baseline": round(raw, 1),
            "ratio": round(termed / raw, 3),
        },
        {
            "name": "pipeline.ratio_to_raw",
            "value": round(termed / raw, 3),
            "unit": "ratio",
            "aim": 0.5,
            "direction": "max",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
