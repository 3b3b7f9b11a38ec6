"""Scale-out: one instance of routing and deadlines against two of each, side by side in one run.

Per phase (one instance each, then two each), on a fresh Kafka node (topics of 6 partitions, as
deploy/kafka/kafka_node.py creates them) and fresh databases (PostgreSQL when deploy/postgres.sh
can start one, shared by the instances of a service as in production; else SQLite, the same file
for both):

1. start routing and deadlines (deploy/stack.py); for two, a second instance of each with
   `Stack.add_instance` (own port, same database, same consumer group);
2. warm up with WARMUP complaints at a time, each time until the groups have consumed
   everything, until every instance has handled events (its /metrics): then the groups have
   settled with partitions on every instance;
3. read the CPU time of every service process (/proc/<pid>/stat) and the groups' offsets, produce
   N `complaint.received` envelopes (as bench/pipeline_bench.py) and time until every one has its
   case opened and its decision term set (the rate), then wait until both groups have consumed
   everything again (deadline.set goes back to routing) and read CPU time and offsets again:
   CPU seconds / records consumed is the per-event cost;
4. read the case and deadline topics whole and count the complaints with more than one
   `case.opened` or more than one decision `deadline.set`, and ask the databases (routing's
   `cases`, deadlines' `terms`) that every complaint has exactly one case and one decision term.

N is 6,000 (2,000 with `--quick`; `KLACHTSTROOM_BENCH_SCALEOUT_N` sets another).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from intake_bench import postgres_server
from kafka_node import KafkaNode
from pipeline_bench import envelopes, produce
from sqlalchemy import create_engine, text
from stack import ROOT, Stack

from klachtstroom.contracts import topics

# About 150 complaints/s through both hops on this 2-core machine (Kafka and PostgreSQL on it too):
# 6,000 keeps the whole benchmark at three to four minutes (most of it is starting things).
N = 6_000
QUICK_N = 2_000
# Budget per consumed event, user+system CPU of one service process: at 5 ms one core carries
# 200 events/s per service (a regression guard; docs/operations.md has what a region needs).
CPU_BUDGET_MS = 5.0
WARMUP = 300
PARTITIONS = 6
SERVICES = ("routing", "deadlines")
# The consumer groups of the two services (`klachtstroom-<consumer_name>`, platform/service.py).
GROUPS = {"routing": "klachtstroom-routing-cases", "deadlines": "klachtstroom-deadlines-terms"}
CASE_OPENED = "nl.klachtstroom.case.opened.v1"
DEADLINE_SET = "nl.klachtstroom.deadline.set.v1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- pure helpers (tests/test_scaleout_counting.py) ---------------------------------------------


def cpu_seconds_from_stat(stat: str, ticks: int = CLOCK_TICKS) -> float:
    """User plus system CPU seconds of a process from the text of /proc/<pid>/stat (utime and
    stime, fields 14 and 15; the command name in parentheses may hold spaces)."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / ticks


def duplicated_complaints(
    case_records: Iterable[bytes], deadline_records: Iterable[bytes]
) -> tuple[set[str], Counter[str], Counter[str]]:
    """The complaints with more than one `case.opened` or more than one decision `deadline.set`,
    from the values of the records on the case and deadline topics; also both counts per complaint."""
    opened: Counter[str] = Counter()
    decided: Counter[str] = Counter()
    for value in case_records:
        event = json.loads(value)
        if event.get("type") == CASE_OPENED:
            opened[event["subject"]] += 1
    for value in deadline_records:
        event = json.loads(value)
        if event.get("type") == DEADLINE_SET and event.get("data", {}).get("kind") == "decision":
            decided[event["subject"]] += 1
    twice = {c for c, n in opened.items() if n > 1} | {c for c, n in decided.items() if n > 1}
    return twice, opened, decided


def not_exactly_once(expected: Iterable[str], counts: dict[str, int]) -> set[str]:
    """The expected complaints that do not appear exactly once in `counts` (missing or doubled)."""
    return {c for c in expected if counts.get(c, 0) != 1}


# -- measuring ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    return cpu_seconds_from_stat(Path(f"/proc/{pid}/stat").read_text())


def service_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds so far per service, summed over its instances."""
    used = dict.fromkeys(SERVICES, 0.0)
    for proc in stack.services.values():
        assert proc.process is not None
        used[proc.service or proc.name] += cpu_seconds(proc.process.pid)
    return used


def handled_per_instance(stack: Stack) -> dict[str, float]:
    """Events each instance's consumer has handled so far (`klachtstroom_consumer_events` on its
    /metrics), by instance name."""
    counts = {}
    for key, proc in stack.services.items():
        with urllib.request.urlopen(f"{proc.url}/metrics", timeout=10) as response:
            lines = response.read().decode().splitlines()
        counts[key] = sum(
            float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("klachtstroom_consumer_events")
        )
    return counts


async def consumed(bootstrap: str) -> dict[str, int]:
    """Records each group has committed, over the topics it reads (fresh topics: all it consumed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        result = {}
        for service, group in GROUPS.items():
            offsets = await admin.list_consumer_group_offsets(group)
            result[service] = sum(max(0, meta.offset) for meta in offsets.values())
        return result
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, names: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in names for p in range(PARTITIONS)]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(parts)
        return ends
    finally:
        await consumer.stop()


async def wait_drained(bootstrap: str, timeout: float = 120) -> None:
    """Until both groups have committed up to the end of every topic they read, twice in a row
    half a second apart (deadline.set records go back to routing after deadlines commits)."""
    reads = {"routing": (topics.INTAKE, topics.DEADLINE), "deadlines": (topics.CASE,)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            behind = 0
            for service, group in GROUPS.items():
                ends = await end_offsets(bootstrap, reads[service])
                committed = await admin.list_consumer_group_offsets(group)
                for tp, end in ends.items():
                    meta = committed.get(tp)
                    behind += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
            quiet = quiet + 1 if behind == 0 else 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"{behind} records not consumed")
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def wait_termed(bootstrap: str, keys: set[bytes], start: float, timeout: float = 600) -> float:
    """Seconds from `start` until every complaint in `keys` has its case opened and decision term set."""
    consumer = AIOKafkaConsumer(
        topics.CASE, topics.DEADLINE, bootstrap_servers=bootstrap, group_id=None,
        auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100,
    )  # fmt: skip
    await consumer.start()
    opened: set[bytes | None] = set()
    termed: set[bytes | None] = set()
    deadline = time.perf_counter() + timeout
    try:
        while not (keys <= opened and keys <= termed):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(keys - opened)} cases not opened, {len(keys - termed)} not termed")
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for tp, records in batch.items():
                if tp.topic == topics.CASE:
                    opened.update(r.key for r in records if b"case.opened" in r.value)
                else:
                    termed.update(
                        r.key
                        for r in records
                        if b"deadline.set" in r.value and b'"kind":"decision"' in r.value
                    )
    finally:
        await consumer.stop()
    return time.perf_counter() - start


async def read_all(bootstrap: str, topic: str) -> list[bytes]:
    ends = await end_offsets(bootstrap, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    values: list[bytes] = []
    try:
        parts = list(ends)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for records in batch.values():
                values.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return values


def database_counts(url: str, query: str) -> dict[str, int]:
    engine = create_engine(url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as connection:
            return {str(k): int(n) for k, n in connection.execute(text(query))}
    finally:
        engine.dispose()


def phase(instances: int, n: int, work: Path, pg_server: str | None) -> dict[str, Any]:
    work.mkdir(parents=True)
    urls = {s: f"sqlite+aiosqlite:///{work / s / f'{s}.db'}" for s in SERVICES}
    env: dict[str, str] = {}
    if pg_server:
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres import create_databases

        made = create_databases(pg_server, [f"scaleout_{s}" for s in SERVICES])
        urls = dict(zip(SERVICES, made, strict=True))
        env = {f"KLACHTSTROOM_{s.upper()}_DATABASE_URL": u for s, u in urls.items()}
    kafka = KafkaNode(work, port=free_port(), controller_port=free_port())
    kafka.start(topics={**{t: PARTITIONS for t in topics.ALL}, **{topics.dlq(t): 1 for t in topics.ALL}})
    stack = Stack(
        data_dir=work, kafka_port=kafka.port, controller_port=kafka.controller_port,
        ports={s: free_port() for s in ("intake", *SERVICES, "reporting")}, smtp_port=free_port(),
        extra_env=env,
    )  # fmt: skip
    boot = kafka.bootstrap
    try:
        stack.start_services(SERVICES)
        stack.wait_ready(timeout=120)
        for _ in range(instances - 1):
            for name in SERVICES:
                stack.add_instance(name, free_port())
        stack.wait_ready(timeout=120)
        # Warm up until every instance has handled events: then the consumer groups have settled
        # with partitions on each instance (a group waits a few seconds for more members first).
        warm: list[tuple[bytes, bytes]] = []
        for _ in range(10):
            more = envelopes(WARMUP)
            asyncio.run(produce(boot, topics.INTAKE, more))
            asyncio.run(wait_termed(boot, {k for k, _ in more}, time.perf_counter()))
            asyncio.run(wait_drained(boot))
            warm += more
            if all(count > 0 for count in handled_per_instance(stack).values()):
                break
        else:
            raise RuntimeError(f"an instance handled nothing: {handled_per_instance(stack)}")
        handled_before = handled_per_instance(stack)
        messages = envelopes(n)
        cpu_before, consumed_before = service_cpu(stack), asyncio.run(consumed(boot))

        async def timed() -> float:
            start = time.perf_counter()
            waited = wait_termed(boot, {k for k, _ in messages}, start)
            _, taken = await asyncio.gather(produce(boot, topics.INTAKE, messages), waited)
            return taken

        seconds = asyncio.run(timed())
        asyncio.run(wait_drained(boot))
        cpu_after, consumed_after = service_cpu(stack), asyncio.run(consumed(boot))
        handled_after = handled_per_instance(stack)
        twice, opened, decided = duplicated_complaints(
            asyncio.run(read_all(boot, topics.CASE)), asyncio.run(read_all(boot, topics.DEADLINE))
        )
    finally:
        stack.stop()
        kafka.stop()
    ids = [k.decode() for k, _ in (*warm, *messages)]
    cases = database_counts(urls["routing"], "SELECT id, 1 FROM cases")
    terms = database_counts(
        urls["deadlines"], "SELECT case_id, COUNT(*) FROM terms WHERE kind = 'decision' GROUP BY case_id"
    )
    wrong = not_exactly_once(ids, cases) | not_exactly_once(ids, terms)
    # Complaints the topics carry more or less than once (not counted in `twice` when missing).
    absent = not_exactly_once(ids, opened) | not_exactly_once(ids, decided)
    handled = {s: consumed_after[s] - consumed_before[s] for s in SERVICES}
    used = {s: cpu_after[s] - cpu_before[s] for s in SERVICES}
    result = {
        "instances": instances,
        "rate": n / seconds,
        "seconds": seconds,
        "bad": twice | wrong | absent,
        "topic_twice": len(twice),
        "db_wrong": len(wrong),
        "complaints": len(ids),
        "handled": handled,
        "cpu": used,
        "per_instance": {k: round(handled_after[k] - handled_before[k]) for k in handled_after},
    }
    print(
        f"   {instances} instance(s): {n / seconds:,.0f} complaints/s ({seconds:.1f} s); "
        f"consumed routing {handled['routing']}, deadlines {handled['deadlines']}; CPU routing "
        f"{used['routing']:.1f} s, deadlines {used['deadlines']:.1f} s; doubled on topics {len(twice)}, "
        f"not exactly one in the databases {len(wrong)}; handled per instance {result['per_instance']}",
        flush=True,
    )
    return result


def row(name: str, value: float, unit: str, aim: float, direction: str, how: str) -> dict[str, Any]:
    return {"name": name, "value": round(float(value), 3), "unit": unit, "aim": aim, "direction": direction,
            "how": how}  # fmt: skip


def run() -> list[dict[str, Any]]:
    quick = os.environ.get("KLACHTSTROOM_BENCH_QUICK") == "1"
    n = int(os.environ.get("KLACHTSTROOM_BENCH_SCALEOUT_N", QUICK_N if quick else N))
    work = Path(tempfile.mkdtemp(prefix="klachtstroom-bench-scaleout-"))
    pg = postgres_server(work, "both phases on SQLite")
    try:
        one = phase(1, n, work / "one", pg)
        two = phase(2, n, work / "two", pg)
    finally:
        if pg:
            subprocess.run(
                ["bash", str(ROOT / "deploy" / "postgres.sh"), "stop", str(work / "pg")], check=False
            )
    shutil.rmtree(work, ignore_errors=True)  # kept when a phase failed: its service and Kafka logs
    db = (
        "PostgreSQL (one database per service, shared by its instances)"
        if pg
        else "SQLite (one file per service, shared by its instances)"
    )
    scale = "" if n >= N else f" [reduced scale: N={n:,}; full run is N={N:,}]"
    setup = (
        f"fresh Kafka node ({PARTITIONS} partitions per topic) and fresh databases per phase, {db}; "
        f"{WARMUP} complaints of warm-up first; same machine as the load{scale}"
    )
    rate_how = (
        f"N={n:,} complaint.received onto {topics.INTAKE} (idempotent producer, as pipeline_bench) until "
        f"every complaint has case.opened on {topics.CASE} and a decision deadline.set on {topics.DEADLINE}; "
        f"{{}}; {setup}"
    )
    bad = one["bad"] | two["bad"]
    split = ", ".join(f"{name} {count:,}" for name, count in sorted(two["per_instance"].items()))
    rows = [
        row("scaleout.one_instance_rate", one["rate"], "complaints/s", 0, "max",
            rate_how.format("one instance of routing and of deadlines")),
        row("scaleout.two_instances_rate", two["rate"], "complaints/s", one["rate"], "max",
            rate_how.format("two instances of routing and of deadlines, each pair in one consumer group "
                            "over one database (Stack.add_instance); events each instance handled "
                            f"(its /metrics): {split}")),
        row("scaleout.ratio_two_to_one", two["rate"] / one["rate"], "ratio", 1.0, "max",
            "scaleout.two_instances_rate / scaleout.one_instance_rate, same N, same run"),
        row("scaleout.duplicates", len(bad), "complaints", 0, "min",
            f"over both phases ({one['complaints'] + two['complaints']:,} complaints with warm-up): "
            f"complaints with more than one case.opened on {topics.CASE} or more than one decision "
            f"deadline.set on {topics.DEADLINE} (read whole), or without exactly one case in routing's "
            f"`cases` and one decision term in deadlines' `terms`, or missing on a topic; doubled on topics: "
            f"{one['topic_twice']} + {two['topic_twice']}, not exactly one in the databases: "
            f"{one['db_wrong']} + {two['db_wrong']}"),
    ]  # fmt: skip
    for service in SERVICES:
        cost = [p["cpu"][service] / max(1, p["handled"][service]) * 1000 for p in (one, two)]
        consumes = f"{topics.INTAKE} + {topics.DEADLINE}" if service == "routing" else topics.CASE
        rows.append(
            row(f"scaleout.{service}_cpu_ms_per_event", cost[0], "ms", CPU_BUDGET_MS, "min",
                f"user+system CPU seconds of the {service} process (/proc/<pid>/stat) while the N complaints "
                f"went through and its consumer group drained, divided by the records the group consumed "
                f"({consumes}: {one['handled'][service]:,}); one instance (everything it does: consume, "
                f"transaction, outbox, relay); two instances: {cost[1]:.3f} ms over "
                f"{two['handled'][service]:,} records; {setup}")
        )  # fmt: skip
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
