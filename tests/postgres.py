"""Create fresh PostgreSQL databases on the test server (KLACHTSTROOM_TEST_POSTGRES), and point
a service's unit tests at one of them or at its SQLite file."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest


def backends() -> list[str]:
    """SQLite always; PostgreSQL too when KLACHTSTROOM_TEST_POSTGRES names a server."""
    return ["sqlite", "postgres"] if os.environ.get("KLACHTSTROOM_TEST_POSTGRES") else ["sqlite"]


def use_backend(backend: str, service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point `service` at a fresh PostgreSQL database (`backend` "postgres"), else at its SQLite file."""
    variable = f"KLACHTSTROOM_{service.upper()}_DATABASE_URL"
    if backend == "postgres":
        [url] = create_databases(os.environ["KLACHTSTROOM_TEST_POSTGRES"], [f"{service}_unit"])
        monkeypatch.setenv(variable, url)
    else:
        monkeypatch.delenv(variable, raising=False)


def create_databases(server_url: str, names: list[str]) -> list[str]:
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    base = plain.rsplit("/", 1)[0]
    urls = []
    with psycopg.connect(plain, autocommit=True) as conn:
        for name in names:
            db = f"{name}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{db}"')
            urls.append(f"postgresql+psycopg://{base.split('://', 1)[1]}/{db}")
    return urls
