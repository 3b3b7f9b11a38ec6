"""Fixtures: the deadlines service on a fresh database (SQLite; PostgreSQL too when
KLACHTSTROOM_TEST_POSTGRES is set), driven without Kafka: case events go through the real
consumer (inbox and all), HTTP through ASGI, time through the service's test clock. Several
instances may share one database, like two processes of the service."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from deadlines_harness import RECEIVED, Instance

from klachtstroom.deadlines.app import create_service
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.platform.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

from postgres import backends, create_databases  # type: ignore[import-not-found]  # noqa: E402


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        [url] = create_databases(os.environ["KLACHTSTROOM_TEST_POSTGRES"], ["deadlines_unit"])
        return str(url)
    return f"sqlite+aiosqlite:///{tmp_path / 'deadlines.db'}"


@pytest.fixture
async def make_instance(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Any]]:
    """Start instances of the service on one shared database (and one data dir)."""
    monkeypatch.setenv("KLACHTSTROOM_DEADLINES_DATABASE_URL", database_url)
    started: list[Instance] = []

    async def start(clock: datetime = RECEIVED, **settings: Any) -> Instance:
        platform = PlatformSettings(data_dir=tmp_path / "data", test_clock=True, log_level="WARNING")
        service, app = create_service(platform, DeadlinesSettings(**settings))
        await asyncio.to_thread(service.migrate)
        instance = Instance(service, app)
        instance.set_clock(clock)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        await instance.close()


@pytest.fixture
async def deadlines(make_instance: Callable[..., Any]) -> Instance:
    instance: Instance = await make_instance()
    return instance
