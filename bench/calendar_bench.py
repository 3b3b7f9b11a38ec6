"""A change of the calendar with 100,000 open cases, in-process on SQLite.

An admin adds one decree day. Measured: how long `PUT /api/v1/calendar/days` takes to answer
(it only stores the day and queues the change), how long the background recompute takes and how
many cases it recomputes (only those with a running term across the day), against recomputing
every open case, the way the request did it before, in the same run (timed on a sample of
2,000 cases and scaled: the whole would take the better part of an hour on this machine).

The open cases are received over one year (one per ~5 minutes of office time); their terms and
timers are those the tracker computes, cloned per day of receipt.

Run: ``.venv/bin/python bench/calendar_bench.py`` (or ``make bench``).
``run()`` returns rows ``{"name", "value", "unit", "aim", "direction"}``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from klachtstroom.deadlines.app import create_service
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.store import CaseRecord, TermRecord, TimerRecord
from klachtstroom.deadlines.terms.compute import CaseOpened
from klachtstroom.deadlines.terms.facts import fact_to_json
from klachtstroom.platform.settings import PlatformSettings

OPEN_CASES = 20_000 if os.environ.get("KLACHTSTROOM_BENCH_QUICK") else 100_000
FIRST_DAY = date(2026, 1, 5)
DAYS = 365
NEW_DAY = date(2026, 10, 16)  # a Friday in the autumn: a decree day the municipality adds
AIM_ANSWER_MS = 200.0
BASELINE_SAMPLE = 2_000
AIM_SHARE = 0.25  # of the open cases, at most this share has a term across one day


def _columns(table: Any, row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in table.__table__.columns if c.key != "id"}


async def _seed(service: Any, tracker: Any) -> None:
    """One real case per day of receipt, computed by the tracker; cloned to OPEN_CASES."""
    db = service.db
    per_day = OPEN_CASES // DAYS + 1
    templates: dict[date, tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for d in range(DAYS):
        received = FIRST_DAY + timedelta(days=d)
        case_id = f"template-{d:03d}"
        now = datetime.now(UTC)
        async with db.transaction() as session:
            session.add(
                CaseRecord(
                    case_id=case_id, reference=f"KL-2026-T{d:05d}", opened=True, handler="municipality",
                    municipality="Voorbeeldstad", unit="Inkomen", state="assigned", kind="complaint",
                    facts=[fact_to_json(CaseOpened(received_on=received)) | {"event_id": f"e-{d}"}],
                    rejected=[], updated_at=now,
                )
            )  # fmt: skip
        async with db.transaction() as session:
            await tracker.recompute(session, case_id)
        async with db.reading() as session:
            case = await session.get(CaseRecord, case_id)
            terms = (await session.scalars(select(TermRecord).where(TermRecord.case_id == case_id))).all()
            timers = (await session.scalars(select(TimerRecord).where(TimerRecord.case_id == case_id))).all()
            templates[received] = (
                _columns(CaseRecord, case),
                [_columns(TermRecord, t) for t in terms],
                [_columns(TimerRecord, t) for t in timers],
            )
    cases: list[dict[str, Any]] = []
    terms_rows: list[dict[str, Any]] = []
    timer_rows: list[dict[str, Any]] = []
    n = 0
    for case, terms, timers in templates.values():
        for _ in range(per_day):
            if n >= OPEN_CASES - DAYS:
                break
            case_id = str(uuid.uuid4())
            cases.append(case | {"case_id": case_id, "reference": f"KL-2026-{n:06d}"})
            terms_rows.extend(t | {"case_id": case_id} for t in terms)
            timer_rows.extend(t | {"case_id": case_id} for t in timers)
            n += 1
    for table, values in ((CaseRecord, cases), (TermRecord, terms_rows), (TimerRecord, timer_rows)):
        for start in range(0, len(values), 10_000):
            async with db.transaction() as session:
                await session.execute(insert(table), values[start : start + 10_000])


async def _measure(work: Path) -> dict[str, float]:
    os.environ["KLACHTSTROOM_DEADLINES_DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'deadlines.db'}"
    service, app = create_service(PlatformSettings(data_dir=work, log_level="WARNING"), DeadlinesSettings())
    await asyncio.to_thread(service.migrate)
    runtime = app.state.deadlines
    service.clock.set(datetime(2026, 9, 1, 10, tzinfo=UTC), frozen=True)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://deadlines",
        headers=service.access.dev_headers(),
    )
    try:
        await _seed(service, runtime.tracker)
        day = {"date": NEW_DAY.isoformat(), "name": "Dag van de bench (besluit)", "source": "besluit"}
        body = {"days": [day]}
        began = time.perf_counter()
        answer = await client.put("/api/v1/calendar/days", json=body)
        answered_ms = (time.perf_counter() - began) * 1000
        if answer.status_code != 202:
            raise RuntimeError(f"PUT /api/v1/calendar/days answered {answer.status_code}")
        began = time.perf_counter()
        recomputed = await runtime.calendar_changes.run_pending()
        background_s = time.perf_counter() - began
        # The way the request did it before: every open case, in chunks of 200. Timed on a sample
        # of BASELINE_SAMPLE cases and scaled to all of them (the whole would take an hour here).
        async with service.db.reading() as session:
            open_ids = (await session.scalars(select(CaseRecord.case_id).where(CaseRecord.opened))).all()
        sample = open_ids[:BASELINE_SAMPLE]
        began = time.perf_counter()
        for start in range(0, len(sample), 200):
            async with service.db.transaction() as session:
                for case_id in sample[start : start + 200]:
                    await runtime.tracker.recompute(session, case_id)
        full_s = (time.perf_counter() - began) * len(open_ids) / max(1, len(sample))
        everything = len(open_ids)
    finally:
        await client.aclose()
        await runtime.sender.close()
        await service.db.dispose()
        service.tracer_provider.shutdown()
    return {
        "answered_ms": answered_ms,
        "recomputed": float(recomputed),
        "open": float(everything),
        "background_s": background_s,
        "full_s": full_s,
    }


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="klachtstroom-calendar-bench-") as tmp:
        f = asyncio.run(_measure(Path(tmp)))
    share = f["recomputed"] / f["open"] if f["open"] else 0.0
    print(
        f"   one decree day with {int(f['open']):,} open cases: answered in {f['answered_ms']:.1f} ms; "
        f"{int(f['recomputed']):,} cases recomputed in the background in {f['background_s']:.1f} s; "
        f"all open cases, as before inside the request (scaled from a sample): {f['full_s']:.0f} s"
    )
    return [
        {"name": "deadlines.calendar_change.answer_ms", "value": round(f["answered_ms"], 1), "unit": "ms",
         "aim": AIM_ANSWER_MS, "direction": "min"},
        {"name": "deadlines.calendar_change.recomputed_share", "value": round(share, 4), "unit": "ratio",
         "aim": AIM_SHARE, "direction": "min"},
        {"name": "deadlines.calendar_change.background_s", "value": round(f["background_s"], 1), "unit": "s",
         "aim": round(f["full_s"] * 0.5, 1), "direction": "min"},
        {"name": "deadlines.calendar_change.all_open_cases_scaled_s", "value": round(f["full_s"], 1),
         "unit": "s", "aim": 0.0, "direction": "max"},
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
