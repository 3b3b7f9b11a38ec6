"""The Kafka topics of DESIGN.md, created with explicit configs by the aiokafka admin client.

Event topics are kept forever (`retention.ms=-1`): `reporting rebuild` replays them, after a week
or after years. Dead-letter topics keep a poison message 30 days, long enough to look at it and
replay it. The replication factor is min(3, brokers) unless configured, so nothing assumes one
broker. Existing topics are left as they are (their configs are reported, not changed).

`python -m klachtstroom.platform.kafka_topics [--bootstrap HOST:PORT]` creates them; the
development node (deploy/kafka/kafka_node.py) uses the same function.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from klachtstroom.contracts import topics
from klachtstroom.platform.kafka_security import client_options
from klachtstroom.platform.settings import PlatformSettings

KEEP_FOREVER = "-1"
DLQ_RETENTION_MS = str(30 * 24 * 60 * 60 * 1000)  # 30 days
DLQ_PARTITIONS = 3
_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    configs: dict[str, str]


def design_topics(partitions: int = 6) -> list[TopicSpec]:
    """Every event topic of DESIGN.md and its dead-letter twin, with their configs."""
    specs = [TopicSpec(t, partitions, {"retention.ms": KEEP_FOREVER}) for t in topics.ALL]
    specs += [
        TopicSpec(topics.dlq(t), DLQ_PARTITIONS, {"retention.ms": DLQ_RETENTION_MS}) for t in topics.ALL
    ]
    return specs


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic (for a reason other than that it exists)."""


async def ensure_topics(
    settings: PlatformSettings,
    specs: list[TopicSpec] | None = None,
    *,
    bootstrap: str | None = None,
    validate_only: bool = False,
) -> list[str]:
    """Create the topics that are missing; return the names created (all of them when validating)."""
    specs = design_topics(settings.kafka_partitions) if specs is None else specs
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap or settings.kafka_bootstrap,
        client_id="klachtstroom-topics",
        request_timeout_ms=15000,
        **client_options(settings),
    )
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        replication = settings.kafka_replication_factor or min(3, brokers)
        response: Any = await admin.create_topics(
            [NewTopic(s.name, s.partitions, replication, topic_configs=s.configs) for s in specs],
            validate_only=validate_only,
        )
    finally:
        await admin.close()
    created, refused = [], []
    for error in response.topic_errors:
        name, code = error[0], error[1]
        if code == 0:
            created.append(name)
        elif code != _TOPIC_ALREADY_EXISTS:
            refused.append((name, for_code(code)))
    if refused:
        raise TopicCreationError("; ".join(f"{name}: {error.__name__}" for name, error in refused))
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create the klachtstroom Kafka topics if missing.")
    parser.add_argument("--bootstrap", help="host:port (default KLACHTSTROOM_KAFKA_BOOTSTRAP)")
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    created = asyncio.run(ensure_topics(settings, bootstrap=args.bootstrap))
    names = [spec.name for spec in design_topics(settings.kafka_partitions)]
    print(f"topics present: {', '.join(names)}" + (f" (created: {', '.join(created)})" if created else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
