"""`rebuild`: the projection again from the topics gives byte-identical reports."""

from __future__ import annotations

import io
import zlib
from collections.abc import AsyncIterator
from datetime import date

from register_2025 import register
from reporting_events import Story, interleave
from reporting_harness import Harness

from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.projection.rebuild import Record, rebuild_from

PARTITIONS = 3
REPORTS = (
    "/api/v1/reports/annual/2025",
    "/api/v1/reports/annual/2025?format=csv",
    "/api/v1/reports/annual/2025?format=html",
    "/api/v1/reports/annual/2025?format=pdf",
    "/api/v1/reports/annual/2025?municipality=Voorbeeldstad&format=csv",
    "/api/v1/reports/providers/Zorg Plus/2025-H1",
    "/api/v1/reports/mediated/2025",
    "/api/v1/open-data/2025.csv",
)


def topic_records(stories: list[Story]) -> list[Record]:
    """The events as Kafka holds them: per topic, partitioned by complaint id, offsets per partition."""
    offsets: dict[tuple[str, int], int] = {}
    records = []
    for story in stories:
        for topic, envelope in story.events:
            partition = zlib.crc32(story.id.encode()) % PARTITIONS
            offset = offsets.get((topic, partition), 0)
            offsets[(topic, partition)] = offset + 1
            records.append(Record(topic, partition, offset, envelope.model_dump_json().encode()))
    # Read partition by partition (each in offset order): an interleaving the live consumer never saw.
    return sorted(records, key=lambda r: (-r.partition, r.topic, r.offset))


async def batches(records: list[Record], size: int = 5) -> AsyncIterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


async def snapshot(harness: Harness) -> dict[str, bytes]:
    harness.routing_with_measures("Training bejegening")
    responses = {path: await harness.get(path) for path in REPORTS}
    assert all(r.status_code == 200 for r in responses.values())
    return {path: r.content for path, r in responses.items()}


async def test_a_rebuild_gives_byte_identical_reports(harness: Harness) -> None:
    stories = register()
    await harness.deliver(interleave(stories, 21))
    before = await snapshot(harness)

    records = topic_records(stories)
    progress = io.StringIO()
    live = await rebuild_from(harness.service.db, len(records), batches(records), progress)
    assert live.name == "b"
    assert "100%" in progress.getvalue() and f"{len(records)}/{len(records)}" in progress.getvalue()
    assert await snapshot(harness) == before

    live = await rebuild_from(harness.service.db, len(records), batches(records, 50), io.StringIO())
    assert live.name == "a"
    assert await snapshot(harness) == before


async def test_events_logged_live_during_a_rebuild_are_kept(harness: Harness) -> None:
    stories = register()
    late = Story(date(2025, 12, 30)).received().opened()  # arrives after the rebuild noted its end offsets
    await harness.deliver(interleave([*stories, late], 8))
    expected = await snapshot(harness)

    records = topic_records(stories)
    await rebuild_from(harness.service.db, len(records), batches(records), io.StringIO())
    assert await snapshot(harness) == expected
    async with harness.service.db.reading() as session:
        assert (await live_set(session)).name == "b"
    assert (await harness.json("/api/v1/reports/annual/2025"))["total"] == 11


async def test_after_a_rebuild_the_consumer_writes_into_the_new_set(harness: Harness) -> None:
    stories = register()
    lagging = stories.pop()  # the live consumer has not reached this one yet; the rebuild has
    await harness.deliver(interleave(stories, 2))
    records = topic_records([*stories, lagging])
    await rebuild_from(harness.service.db, len(records), batches(records), io.StringIO())
    # The live consumer catches up with events the rebuild already logged, then gets a new one.
    extra = Story(date(2025, 7, 1)).received().opened()
    await harness.deliver(lagging.events + extra.events)
    report = await harness.json("/api/v1/reports/annual/2025")
    assert report["total"] == 11
    assert report["by_municipality"]["Voorbeeldstad"]["2024"] == 2
