"""Each service's Alembic migrations build exactly the schema its tables module declares.

A change to a table without a migration fails here, on SQLite and (in `make test`) PostgreSQL.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from klachtstroom.platform.db import sync_url, upgrade_database

SERVICES = ("intake", "routing", "deadlines", "reporting")
# The module that declares a service's tables (routing names it for what it holds).
TABLES = {"intake": "store", "routing": "tables", "deadlines": "store", "reporting": "store"}


def _database_urls(tmp_path: Path, service: str) -> list[str]:
    urls = [f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"]
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if server:
        from postgres import create_databases

        urls += create_databases(server, [f"migrations_{service}"])
    return urls


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_declared_tables(service: str, tmp_path: Path) -> None:
    store = importlib.import_module(f"klachtstroom.{service}.{TABLES[service]}")
    migrations = Path(importlib.import_module(f"klachtstroom.{service}").__file__).parent / "migrations"  # type: ignore[arg-type]
    for url in _database_urls(tmp_path, service):
        upgrade_database(url, store.Base.metadata, migrations)
        upgrade_database(url, store.Base.metadata, migrations)  # a second start changes nothing
        engine = create_engine(sync_url(url))
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), store.Base.metadata)
        engine.dispose()
        where = f"{service} ({url.split(':')[0]})"
        assert differences == [], f"{where}: schema differs from its {TABLES[service]}.py"
