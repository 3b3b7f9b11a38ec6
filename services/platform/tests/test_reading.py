"""Readers on SQLite: a long read leaves the event loop free, and reads run side by side."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import text

from klachtstroom.platform.db import Database

# SQLite work without a table: counting to `n` (2,000,000: about half a second here).
COUNT_TO = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) SELECT count(*) FROM n"
)


async def _read_long(db: Database) -> int:
    async with db.reading() as session:
        return int((await session.execute(COUNT_TO, {"n": 2_000_000})).scalar_one())


async def test_a_long_read_leaves_the_event_loop_free(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reading.db'}")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    began = time.perf_counter()
    try:
        assert await _read_long(db) == 2_000_000
    finally:
        ticker.cancel()
        await db.dispose()
    elapsed = time.perf_counter() - began
    assert elapsed > 0.1  # long enough to tell a free loop from a held one
    # Run on the event loop's thread, the read would let the ticker in once at most.
    assert ticks >= 10, (ticks, elapsed)


async def test_reads_apart_run_side_by_side_on_sqlite_only(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reading.db'}")
    try:
        apart = db.reads_apart
        assert apart is not None

        async def read() -> int:
            async with apart() as session:
                return int((await session.execute(COUNT_TO, {"n": 100_000})).scalar_one())

        # More at once than the pool keeps, while a session holds a connection of its own.
        async with db.reading() as held:
            await held.execute(text("SELECT 1"))
            found = await asyncio.wait_for(asyncio.gather(*(read() for _ in range(12))), 60)
        assert found == [100_000] * 12
    finally:
        await db.dispose()
    shared = Database("postgresql+psycopg://klachtstroom@127.0.0.1:1/none")  # never connected
    assert shared.reads_apart is None
    await shared.dispose()
