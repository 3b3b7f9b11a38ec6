"""Create fresh PostgreSQL databases on the test server (KLACHTSTROOM_TEST_POSTGRES)."""

from __future__ import annotations

import uuid

import psycopg


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
