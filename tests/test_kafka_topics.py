"""Topics are created by the aiokafka admin client with the configs of DESIGN.md "Kafka in
production": event topics kept forever (so `reporting rebuild` works after years), dead-letter
topics 30 days. Checked on the real broker the test session started."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from kafka_node import KafkaNode

from klachtstroom.contracts import topics
from klachtstroom.platform.kafka_topics import design_topics, ensure_topics
from klachtstroom.platform.settings import PlatformSettings

pytestmark = pytest.mark.e2e


async def _retention(bootstrap: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [spec.name for spec in design_topics()]
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, {"retention.ms": None}) for name in names]
        )
    finally:
        await admin.close()
    found: dict[str, str] = {}
    for answer in answers:
        for resource in answer.resources:
            _code, _message, _type, name, entries = resource[:5]
            found[name] = next(entry[1] for entry in entries if entry[0] == "retention.ms")
    return found


def test_event_topics_are_kept_forever_and_dead_letters_thirty_days(kafka: KafkaNode) -> None:
    bootstrap = f"127.0.0.1:{kafka.port}"
    # Creating again changes nothing and fails nothing (every topic exists).
    assert asyncio.run(ensure_topics(PlatformSettings(kafka_bootstrap=bootstrap))) == []
    retention = asyncio.run(_retention(bootstrap))
    for topic in topics.ALL:
        assert retention[topic] == "-1", topic
        assert retention[topics.dlq(topic)] == str(30 * 24 * 3600 * 1000), topic
