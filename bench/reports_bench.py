"""Reports on years of data: the annual report (JSON and PDF) and the coordinator's dashboard over
1,000,000 cases across 10 years and 50 municipalities, in-process on SQLite.

The projection rows are written straight into reporting's live table (what the fold would have
written for so many complaints; folding them is the rebuild bench's job). Each request is made
three times through the ASGI app with a coordinator's dev token for every municipality; the row
is the median. Measured: the annual report of the last full year for one municipality (JSON and
PDF) and for all of them (JSON), and the dashboard for one municipality.

Run: ``.venv/bin/python bench/reports_bench.py`` (or ``make bench``; ``--quick``: 100,000 cases).
``run()`` returns rows ``{"name", "value", "unit", "aim", "direction"}``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from klachtstroom.platform.db import insert_rows
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.reporting.app import create_service, load_pdf_renderer
from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.reports.aggregates import CountsCache

CASES = 100_000 if os.environ.get("KLACHTSTROOM_BENCH_QUICK") else 1_000_000
YEARS = range(2016, 2026)
MUNICIPALITIES = [f"Gemeente {i:02d}" for i in range(1, 51)]
YEAR = 2025
AIM_JSON_MS, AIM_DASHBOARD_MS, AIM_PDF_MS = 200.0, 300.0, 3000.0
CHANNELS = ("web_form", "email", "phone", "letter", "in_person")
CATEGORIES = ("conduct", "information", "handling_time", "policy", "referral", "proactive", "other")
UNITS = ("Inkomen", "Werk", "Wmo", "Jeugd")
INDEXES_OF_TABLE = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
)
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "mutual_agreement", "withdrawn", "no_judgement")


def _rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    days = (date(YEARS[-1], 12, 31) - date(YEARS[0], 1, 1)).days
    rows = []
    for i in range(n):
        received = date(YEARS[0], 1, 1) + timedelta(days=rng.randrange(days))
        closed = rng.random() < 0.97 or received.year < YEAR
        resolved = received + timedelta(days=rng.randrange(3, 70)) if closed else None
        provider = f"Zorgaanbieder {rng.randrange(20)}" if rng.random() < 0.2 else None
        rows.append(
            {
                "id": f"c-{i:07d}", "complete": True, "reference": f"KL-{received.year}-{i:07d}",
                "received_on": received, "channel": rng.choice(CHANNELS), "kind": "complaint",
                "category": rng.choice(CATEGORIES), "urgent": rng.random() < 0.02,
                "municipality": rng.choice(MUNICIPALITIES), "unit": rng.choice(UNITS),
                "provider": provider, "handler": "provider" if provider else "municipality",
                "state": "resolved" if closed else "assigned", "resolution": "informal" if closed else None,
                "outcome": rng.choice(OUTCOMES) if closed else None, "resolved_on": resolved,
                "decision_due": received + timedelta(weeks=6), "contact_due": received + timedelta(days=7),
                "acknowledged_on": received + timedelta(days=rng.randrange(0, 9)), "ombudsman": False,
                "mediated_with_partner": False, "provider_measures": None,
                "decision_state": "met" if closed else "running", "contact_state": "met",
                "merged_into": None, "imported": False, "urgent_reasons": [],
            }
        )  # fmt: skip
    return rows


async def _seed(service: Any) -> None:
    """The rows, in batches, as one bulk load: the table's indexes are dropped first and built
    again at the end (SQLite sorts once instead of updating seven indexes per row: about half the
    seeding time). A freshly built index is denser than one grown row by row, which may make the
    cold figures slightly kinder than on a database that grew over the years (or was rebuilt)."""
    async with service.db.reading() as session:
        cases = (await live_set(session)).cases.__table__
    async with service.db.transaction() as session:
        indexes = (
            await session.execute(
                text(INDEXES_OF_TABLE),
                {"t": cases.name},
            )
        ).all()
        for name, _ in indexes:
            await session.execute(text(f'DROP INDEX "{name}"'))
    batch = 20_000
    for start in range(0, CASES, batch):
        rows = _rows(min(batch, CASES - start), seed=start)
        for i, row in enumerate(rows):
            row["id"] = f"c-{start + i:07d}"
        async with service.db.transaction() as session:
            await insert_rows(session, cases, rows)
    async with service.db.transaction() as session:
        for _, sql in indexes:
            await session.execute(text(sql))


async def _timed_ms(client: httpx.AsyncClient, app: Any, url: str) -> tuple[float, float]:
    """The first (cold) request's time, with reporting's count cache emptied before it, and the
    median of three (the second and third are served from the cache while nothing changes)."""
    app.state.reporting.counts = CountsCache()
    times = []
    for _ in range(3):
        began = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    # The first request is cold (reporting keeps report counts per projection version).
    print(f"   {url}: first {times[0]:.0f} ms, then {times[1]:.0f} and {times[2]:.0f} ms", flush=True)
    return times[0], statistics.median(times)


async def _measure(work: Path) -> dict[str, float]:
    os.environ["KLACHTSTROOM_REPORTING_DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'reporting.db'}"
    service, app = create_service(PlatformSettings(data_dir=work, log_level="WARNING"))
    await asyncio.to_thread(service.migrate)
    await load_pdf_renderer()  # what the served service does after its start (app.py)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://reporting",
        headers=service.access.dev_headers(),
        timeout=600,
    )
    one = MUNICIPALITIES[6]
    try:
        began = time.perf_counter()
        await _seed(service)
        print(f"   {CASES:,} cases written in {time.perf_counter() - began:.0f} s", flush=True)
        urls = {
            "annual_one": f"/api/v1/reports/annual/{YEAR}?municipality={one}",
            "annual_all": f"/api/v1/reports/annual/{YEAR}",
            "pdf_one": f"/api/v1/reports/annual/{YEAR}?municipality={one}&format=pdf",
            "dashboard_one": f"/?year={YEAR}&municipality={one}",
        }
        figures: dict[str, float] = {}
        for name, url in urls.items():
            figures[f"{name}_cold"], figures[name] = await _timed_ms(client, app, url)
        return figures
    finally:
        await client.aclose()
        await service.db.dispose()
        service.tracer_provider.shutdown()


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="klachtstroom-reports-bench-") as tmp:
        f = asyncio.run(_measure(Path(tmp)))
    print(
        f"   {CASES:,} cases, {len(YEARS)} years, {len(MUNICIPALITIES)} municipalities: annual JSON one "
        f"municipality {f['annual_one']:.0f} ms, all {f['annual_all']:.0f} ms; PDF {f['pdf_one']:.0f} ms; "
        f"dashboard {f['dashboard_one']:.0f} ms"
    )
    return [
        {"name": "reports.annual_json_one_municipality_ms", "value": round(f["annual_one"], 1), "unit": "ms",
         "aim": AIM_JSON_MS, "direction": "min"},
        {"name": "reports.annual_json_all_municipalities_ms", "value": round(f["annual_all"], 1),
         "unit": "ms", "aim": AIM_JSON_MS, "direction": "min"},
        {"name": "reports.annual_pdf_one_municipality_ms", "value": round(f["pdf_one"], 1), "unit": "ms",
         "aim": AIM_PDF_MS, "direction": "min"},
        {"name": "reports.dashboard_one_municipality_ms", "value": round(f["dashboard_one"], 1), "unit": "ms",
         "aim": AIM_DASHBOARD_MS, "direction": "min"},
        *(
            {"name": f"reports.{what}_cold_ms", "value": round(f[f"{key}_cold"], 1), "unit": "ms", "aim": aim,
             "direction": "min", "how": "the first request, with the count cache emptied before it: what a "
             "user sees after any new event (a live projection changes its version with every batch)"}
            for key, what, aim in (
                ("annual_one", "annual_json_one_municipality", AIM_JSON_MS),
                ("annual_all", "annual_json_all_municipalities", AIM_JSON_MS),
                ("pdf_one", "annual_pdf_one_municipality", AIM_PDF_MS),
                ("dashboard_one", "dashboard_one_municipality", AIM_DASHBOARD_MS),
            )
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
