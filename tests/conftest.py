"""Fixtures for cross-service tests: a real Kafka node and the running stack, on free ports."""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "deploy" / "kafka"))

from kafka_node import KafkaNode  # noqa: E402
from stack import SERVICES, Stack  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    node = KafkaNode(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


def make_stack(data_dir: Path, kafka: KafkaNode, **extra_env: str) -> Stack:
    return Stack(
        data_dir=data_dir,
        kafka_port=kafka.port,
        controller_port=kafka.controller_port,
        ports={name: free_port() for name in SERVICES},
        smtp_port=free_port(),
        extra_env={"KLACHTSTROOM_TEST_CLOCK": "true", **extra_env},
    )


@pytest.fixture(scope="session")
def stack(kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services over the session's Kafka, supervised like `make run` does."""
    running = make_stack(tmp_path_factory.mktemp("stack"), kafka, **_database_env(tmp_path_factory))
    running.write_dev_token()
    running.start_services()
    running.supervise()
    try:
        running.wait_healthy(timeout=120)
        running.wait_ready(timeout=120)
        yield running
    finally:
        running.stop()


def _database_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """With KLACHTSTROOM_TEST_POSTGRES set (a server URL), every service gets its own PG database."""
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if not server:
        return {}
    from postgres import create_databases

    names = create_databases(server, [f"e2e_{name}" for name in SERVICES])
    return {f"KLACHTSTROOM_{svc.upper()}_DATABASE_URL": url for svc, url in zip(SERVICES, names, strict=True)}


class Api:
    """A tiny JSON client for the public HTTP API (standard library, like an outside caller)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, object]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
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

    def get(self, path: str) -> tuple[int, dict[str, object]]:
        return self.call("GET", path)

    def post(self, path: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
        return self.call("POST", path, body, headers)


@pytest.fixture(scope="session")
def apis(stack: Stack) -> dict[str, Api]:
    return {name: Api(proc.url) for name, proc in stack.services.items()}
