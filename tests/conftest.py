"""Fixtures for cross-service tests: a real Kafka node and the running stack, on free ports."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "deploy" / "kafka"))
sys.path.insert(0, str(ROOT / "deploy" / "keycloak"))

from e2e import (  # noqa: E402,F401
    SENT_PERSONAL_DATA,
    Api,
    apis_for,
    bearer,
    empty_topics,
    eventually,
    every_record,
    free_port,
    make_stack,
    personal_data_hits,
    started_stack,
)
from kafka_node import KafkaNode  # noqa: E402
from keycloak_server import Keycloak  # noqa: E402
from stack import SERVICES, Stack  # noqa: E402


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    node = KafkaNode(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def modules_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    """The Kafka node the test modules with a stack of their own take turns on (`own_kafka`)."""
    node = KafkaNode(tmp_path_factory.mktemp("modules-kafka"), port=free_port(), controller_port=free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def own_kafka(modules_kafka: KafkaNode) -> KafkaNode:
    """A Kafka node for the test module's own stack: a second stack on the session's Kafka would
    join the same consumer groups and take half of the partitions from the session's services.

    One node serves every such module in turn (a JVM start per module took 15-90 s): the module
    before has stopped its stack, and every record it left is deleted here, so the module's
    topics hold only its own events and its consumer groups start at their (empty) ends."""
    modules_kafka.start(timeout=120)  # running already; started again if a chaos test left it down
    empty_topics(modules_kafka.bootstrap)
    return modules_kafka


@pytest.fixture(scope="session")
def keycloak(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Keycloak]:
    """Keycloak (the server distribution from Maven Central) with the realms of deploy/keycloak,
    once per test session, on a free port. Not there or not starting: the test fails, never skips."""
    server = Keycloak(tmp_path_factory.mktemp("keycloak"))
    server.start()
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nKeycloak started in {server.started_in:.1f}s on {server.url}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack(kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services over the session's Kafka, supervised like `make run` does: on SQLite, the
    default. (The deadlines and reporting end-to-end modules run theirs on PostgreSQL when
    `make test` provides one, so both storage engines are covered end to end.)"""
    running = make_stack(
        tmp_path_factory.mktemp("stack"),
        kafka,
        KLACHTSTROOM_OTEL_EXPORTER="console",  # every span into the log files, for the scan below
        OTEL_BSP_SCHEDULE_DELAY="200",
    )
    with started_stack(running) as started:
        yield started
    # The whole suite has run on this stack: not one value a test sent as personal data or free
    # text may be in a log line, a span or an event (DESIGN.md "Personal data"; issue 16).
    if not SENT_PERSONAL_DATA:
        return  # a run of a few modules that sent no personal data: nothing to look for
    logs = sorted((running.data_dir / "logs").glob("*.log"))
    records = asyncio.run(every_record(f"127.0.0.1:{kafka.port}"))
    hits = personal_data_hits(logs, records)
    assert logs and records, "nothing was scanned"
    assert hits == [], f"{len(hits)} personal values found after the suite: {hits[:20]}"


def _database_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """With KLACHTSTROOM_TEST_POSTGRES set (a server URL), every service gets its own PG database."""
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if not server:
        return {}
    from postgres import create_databases

    names = create_databases(server, [f"e2e_{name}" for name in SERVICES])
    return {f"KLACHTSTROOM_{svc.upper()}_DATABASE_URL": url for svc, url in zip(SERVICES, names, strict=True)}


@pytest.fixture(scope="session")
def apis(stack: Stack) -> dict[str, Api]:
    return apis_for(stack)
