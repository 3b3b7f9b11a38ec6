"""The durable timer engine of deadlines, measured in-process on SQLite (no Kafka: writing the
outbox rows is the engine's whole job; the relay is measured by the pipeline bench).

lag:      100,000 active timers in the table; 2,000 of them fall due over 20 seconds of real
          time while the real engine loop runs. Lag = when a timer fired - when it was due.
catch-up: the engine has been down for an hour; 20,000 timers fell due during that hour
          (beside the 100,000 still active). Rate = missed timers fired per second, each with
          its outbox event and notification row, in due order, one transaction per batch.

Run: ``.venv/bin/python bench/deadlines_bench.py`` (or ``make bench``).
``run()`` returns rows ``{"name", "value", "unit", "aim", "direction"}``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from klachtstroom.deadlines.app import create_service
from klachtstroom.deadlines.notifications.recipients import EscalationConfig
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.store import CaseRecord, NotificationRecord, TermRecord, TimerRecord, utc
from klachtstroom.platform.settings import PlatformSettings

ACTIVE = 100_000
DUE_DURING_RUN = 2_000
RUN_SECONDS = 20.0
MISSED = 20_000
STEPS = ("warning", "breach", "handler", "coordinator", "manager")
AIM_P99_MS = 1000.0
AIM_P50_MS = 250.0
AIM_CATCH_UP = 1000.0  # timers/s: a backlog of 100,000 is gone in under two minutes


def _rows(n: int, first_fire: datetime, spacing: timedelta, tag: str) -> tuple[list[dict[str, Any]], ...]:
    """n timers of n/5 cases (5 steps of the decision term each), with their case and term rows."""
    now = datetime.now(UTC)
    due = (now + timedelta(days=60)).date()  # running terms, as in a live system
    cases, terms, timers = [], [], []
    for c in range(n // len(STEPS)):
        case_id = str(uuid.uuid4())
        cases.append(
            {
                "case_id": case_id, "reference": f"KL-2026-{tag}{c:06d}", "opened": True,
                "handler": "municipality", "handler_name": "Team Inkomen", "municipality": "Voorbeeldstad",
                "unit": "Inkomen", "sensitive": False, "facts": [], "rejected": [], "updated_at": now,
            }
        )  # fmt: skip
        terms.append(
            {
                "case_id": case_id, "key": "decision", "kind": "decision", "start": due - timedelta(weeks=6),
                "due": due, "unmoved_due": due, "state": "running", "extended_weeks": 0, "updated_at": now,
                "explanation": ["Beslistermijn: 6 weken na ontvangst (Awb 9:11 lid 1)", f"Einddatum: {due}"],
            }
        )  # fmt: skip
        for s, step in enumerate(STEPS):
            i = c * len(STEPS) + s
            timers.append({
                "case_id": case_id, "term_key": "decision", "kind": "decision", "step": step, "due": due,
                "fire_at": first_fire + i * spacing, "state": "pending", "created_at": now,
            })  # fmt: skip
    return cases, terms, timers


async def _insert(db: Any, rows: tuple[list[dict[str, Any]], ...]) -> None:
    for table, values in zip((CaseRecord, TermRecord, TimerRecord), rows, strict=True):
        for start in range(0, len(values), 10_000):
            async with db.transaction() as session:
                await session.execute(insert(table), values[start : start + 10_000])


async def _fired_lags(db: Any, since: datetime) -> list[float]:
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(TimerRecord.fire_at, TimerRecord.fired_at).where(
                    TimerRecord.state == "fired", TimerRecord.fire_at >= since
                )
            )
        ).all()
    return [(utc(r.fired_at) - utc(r.fire_at)).total_seconds() * 1000 for r in rows]


async def _measure(work: Path) -> dict[str, float]:
    os.environ["KLACHTSTROOM_DEADLINES_DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'deadlines.db'}"
    service, app = create_service(
        PlatformSettings(data_dir=work, log_level="WARNING"), DeadlinesSettings(timer_batch=500)
    )
    await asyncio.to_thread(service.migrate)
    runtime = app.state.deadlines
    await runtime.book.replace(
        EscalationConfig(
            default_handler="klachten@voorbeeldstad.example",
            levels={
                "coordinator": ["klachtcoordinator@voorbeeldstad.example"],
                "manager": ["hoofd@voorbeeldstad.example"],
            },
        )
    )
    engine, db = runtime.engine, service.db
    try:
        # 100,000 active timers, due in the coming months: the table the engine works against.
        later = datetime.now(UTC) + timedelta(days=30)
        await _insert(db, _rows(ACTIVE - DUE_DURING_RUN, later, timedelta(seconds=30), "A"))
        # 2,000 that fall due while we watch: one every 10 ms, from 2 s from now.
        start = datetime.now(UTC) + timedelta(seconds=2)
        await _insert(db, _rows(DUE_DURING_RUN, start, timedelta(seconds=RUN_SECONDS / DUE_DURING_RUN), "L"))
        loop = asyncio.create_task(engine.run())
        deadline = time.monotonic() + RUN_SECONDS + 60
        while engine.fired < DUE_DURING_RUN and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        lags = sorted(await _fired_lags(db, start))
        if len(lags) < DUE_DURING_RUN:
            raise RuntimeError(f"only {len(lags)} of {DUE_DURING_RUN} timers fired")

        # An hour of downtime: 20,000 timers fell due in the past hour and nobody fired them.
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        await _insert(db, _rows(MISSED, hour_ago, timedelta(hours=1) / MISSED, "M"))
        began = time.perf_counter()
        fired = await engine.run_due()
        elapsed = time.perf_counter() - began
        if fired != MISSED:
            raise RuntimeError(f"catch-up fired {fired} of {MISSED}")
        async with db.reading() as session:
            pending = (
                await session.execute(select(func.count()).where(TimerRecord.state == "pending"))
            ).scalar_one()
            notes = (await session.execute(select(func.count()).select_from(NotificationRecord))).scalar_one()
    finally:
        await runtime.sender.close()
        await db.dispose()
        service.tracer_provider.shutdown()
    return {
        "p50": statistics.median(lags),
        "p99": lags[int(len(lags) * 0.99) - 1],
        "max": lags[-1],
        "catch_up": MISSED / elapsed,
        "pending": float(pending),
        "notifications": float(notes),
    }


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="klachtstroom-deadlines-bench-") as tmp:
        figures = asyncio.run(_measure(Path(tmp)))
    print(
        f"   timer lag with {ACTIVE:,} active timers: p50 {figures['p50']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms, "
        f"max {figures['max']:.1f} ms; catch-up after an hour down: {figures['catch_up']:,.0f} timers/s "
        f"({int(figures['pending']):,} still pending, {int(figures['notifications']):,} notification rows)"
    )
    return [
        {"name": "deadlines.timer_lag_p50", "value": round(figures["p50"], 1), "unit": "ms",
         "aim": AIM_P50_MS, "direction": "min"},
        {"name": "deadlines.timer_lag_p99", "value": round(figures["p99"], 1), "unit": "ms",
         "aim": AIM_P99_MS, "direction": "min"},
        {"name": "deadlines.catch_up_rate", "value": round(figures["catch_up"], 1), "unit": "timers/s",
         "aim": AIM_CATCH_UP, "direction": "max"},
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
