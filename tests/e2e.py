"""Helpers for end-to-end tests: free ports, a stack on them, a plain JSON client, polling."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from kafka_node import KafkaNode
from stack import SERVICES, Stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_stack(data_dir: Path, kafka: KafkaNode, **extra_env: str) -> Stack:
    return Stack(
        data_dir=data_dir,
        kafka_port=kafka.port,
        controller_port=kafka.controller_port,
        ports={name: free_port() for name in SERVICES},
        smtp_port=free_port(),
        extra_env={"KLACHTSTROOM_TEST_CLOCK": "true", **extra_env},
    )


# The dev token of each running stack by service URL, so that `Api(url)` sends it by default.
_DEV_TOKENS: dict[str, str] = {}


@contextmanager
def started_stack(stack: Stack) -> Iterator[Stack]:
    """Start a stack's services under the supervisor, wait until they are ready, stop them after."""
    stack.write_dev_token()
    stack.start_services()
    if (stack.data_dir / "dev-token").exists():
        _DEV_TOKENS.update({proc.url: stack.dev_token() for proc in stack.services.values()})
    stack.supervise()
    try:
        # Generous: on a loaded two-core CI machine intake's start (triage model) took over 120 s.
        stack.wait_healthy(timeout=300)
        stack.wait_ready(timeout=300)
        yield stack
    finally:
        stack.stop()


def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll until `check` returns something truthy; the pipeline is asynchronous by design."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def apis_for(stack: Stack) -> dict[str, Api]:
    """A client per service, each sending the stack's dev token (every role, every municipality)."""
    token = stack.dev_token()
    return {name: Api(proc.url, token) for name, proc in stack.services.items()}


def bearer(stack: Stack) -> dict[str, str]:
    """The `Authorization` header with the stack's dev token, for clients other than `Api`."""
    return {"Authorization": f"Bearer {stack.dev_token()}"}


# Personal data and free text the tests sent to the services, as it went out: after the whole
# suite, the session stack's logs (spans included) and events are scanned for every value
# (tests/conftest.py, DESIGN.md "Personal data"). Short values are left out: "Jan" is a word.
SENT_PERSONAL_DATA: set[str] = set()
_CONTACT_FIELDS = ("name", "email", "phone", "bsn", "address")
_TEXT_FIELDS = ("description", "about_employee", "handover_note", "desired_outcome", "report", "summary",
                "note", "explanation", "remark", "comment")  # fmt: skip


def remember_personal_data(path: str, body: object) -> None:
    if not isinstance(body, dict):
        return
    values: list[object] = [body.get(name) for name in _TEXT_FIELDS]
    person = body.get("complainant")
    if isinstance(person, dict) and path.startswith("/api/v1/complaints"):
        values += [person.get(name) for name in _CONTACT_FIELDS]
    for value in values:
        if isinstance(value, str) and len(value.strip()) >= 8:
            SENT_PERSONAL_DATA.add(value.strip())


def personal_data_hits(logs: list[Path], records: list[Record]) -> list[str]:
    """Where a sent value turns up: "<file or topic>: <value>" (empty: nowhere)."""
    hits: list[str] = []
    for log in logs:
        content = log.read_text(errors="replace")
        hits += [f"{log.name}: {value}" for value in sorted(SENT_PERSONAL_DATA) if value in content]
    for topic, _key, value, headers in records:
        text = (value + b" ".join(v for _k, v in headers)).decode(errors="replace")
        hits += [f"{topic}: {found}" for found in sorted(SENT_PERSONAL_DATA) if found in text]
    return hits


class Api:
    """A tiny JSON client for the public HTTP API (standard library, like an outside caller).

    Every call sends `Authorization: Bearer <token>`: the given token, else the dev token of the
    stack serving `base` (every role, every municipality). `anonymous=True` sends none.
    """

    def __init__(self, base: str, token: str | None = None, anonymous: bool = False) -> None:
        self.base = base
        self.token = None if anonymous else (token or _DEV_TOKENS.get(base))

    def call(
        self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, object]]:
        data = None if body is None else json.dumps(body).encode()
        if method == "POST":
            remember_personal_data(path, body)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, {"raw": raw.decode(errors="replace")}
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            # The service is down (being restarted by the supervisor): status 0, like a browser.
            return 0, {"error": str(error)}

    def get(self, path: str) -> tuple[int, dict[str, object]]:
        return self.call("GET", path)

    def post(
        self, path: str, body: object, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, object]]:
        return self.call("POST", path, body, headers)


Record = tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers


async def every_record(bootstrap: str) -> list[Record]:
    """Every record on every topic of the broker, from the first offset to the end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if not t.startswith("__"))
        consumer.subscribe(topics)  # without a group: every partition of every topic
        records: list[Record] = []
        while not consumer.assignment():
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                records += [(tp.topic, m.key, m.value or b"", list(m.headers or ())) for m in messages]
        partitions = sorted(consumer.assignment())
        assert {tp.topic for tp in partitions} == set(topics)
        ends = await consumer.end_offsets(partitions)

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, messages in batch.items():
                fresh = [m for m in messages if m.offset < ends[tp]]
                records += [(tp.topic, m.key, m.value or b"", list(m.headers or ())) for m in fresh]
        return records
    finally:
        await consumer.stop()


def empty_topics(bootstrap: str) -> None:
    """Delete every record of every topic on the broker (the topics and their partitions stay).

    Readers from the earliest offset then see only what is written after; a consumer group's
    committed offset is at the old end, which is the new start, so nothing is read again.
    """

    async def empty() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await consumer.start()
        await admin.start()
        try:
            names = sorted(t for t in await admin.list_topics() if not t.startswith("__"))
            partitions = [
                TopicPartition(topic["topic"], part["partition"])
                for topic in await admin.describe_topics(names)
                for part in topic["partitions"]
            ]
            assert names and partitions, "no topics on the broker"
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            todo = {tp: RecordsToDelete(before_offset=end) for tp, end in ends.items() if end > starts[tp]}
            if todo:
                await admin.delete_records(todo, timeout_ms=30_000)
            left = await consumer.beginning_offsets(partitions)
            assert all(left[tp] == ends[tp] for tp in partitions), "records left on the broker"
        finally:
            await admin.close()
            await consumer.stop()

    asyncio.run(empty())
