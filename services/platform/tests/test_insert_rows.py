"""insert_rows stores exactly what SQLAlchemy's executemany stores (SQLite text of dates and times,
JSON, binary, encrypted columns), and falls back to it when it cannot take the short way."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME

from klachtstroom.platform import db as db_module
from klachtstroom.platform.db import Database, insert_rows
from klachtstroom.platform.encrypted import EncryptedText, attach_key_ring
from klachtstroom.platform.keys import KeyRing

metadata = MetaData()
MINUTES = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d"


def _table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(50)),
        Column("at", DateTime(timezone=True)),
        Column("naive", DateTime),
        Column("day", Date),
        Column("data", JSON),
        Column("blob", LargeBinary),
        Column("secret", EncryptedText),
        Column("flavour", String(20), default="plain"),  # a Python-side default
        # Another storage format than SQLite's default: SQLAlchemy's own conversion is kept.
        Column("minute", DateTime().with_variant(SQLITE_DATETIME(storage_format=MINUTES), "sqlite")),
    )


PLAIN, FAST = _table("plain_rows"), _table("fast_rows")

ROWS: list[dict[str, Any]] = [
    {
        "label": "a",
        "at": datetime(2026, 12, 7, 6, 55, 9, 395124, tzinfo=UTC),
        "naive": datetime(2026, 12, 7, 7, 0),
        "day": date(2026, 12, 14),
        "data": ["Einddatum: maandag 14 december 2026", {"n": 1}],
        "blob": b"\x00\x01",
        "secret": "geheim",
        "flavour": "x",
        "minute": datetime(2026, 12, 7, 6, 55, 9, 395124),
    },
    {
        "label": None,
        "at": datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        "naive": datetime(2027, 1, 18, 23, 0, 0, 1),
        "day": datetime(2027, 1, 4, 12, 30),  # a datetime in a Date column: SQLAlchemy keeps the day
        "data": None,
        "blob": None,
        "secret": None,
        "flavour": "y",
        "minute": None,
    },
    {
        "label": "c",
        "at": date(2026, 1, 1),  # a date in a DateTime column: midnight
        "naive": None,
        "day": None,
        "data": {"é": "ü"},
        "blob": b"",
        "secret": "",
        "flavour": "z",
        "minute": datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    },
    {  # the same instant as the first row's `at`, in another zone: another text
        "label": "d",
        "at": datetime(2026, 12, 7, 8, 55, 9, 395124, tzinfo=timezone(timedelta(hours=2))),
        "naive": datetime(2026, 12, 7, 7, 0),
        "day": date(2026, 12, 14),
        "data": [],
        "blob": b"x",
        "secret": "x",
        "flavour": "w",
        "minute": datetime(2027, 1, 18, 23, 59),
    },
]


@pytest.fixture
async def database(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}"
    database = Database(url)
    async with database.write_engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    attach_key_ring(database.write_engine.dialect, KeyRing([Fernet.generate_key().decode()]))
    yield database, tmp_path / "rows.db"
    await database.dispose()


def _stored(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT id, label, at, naive, day, data, blob, flavour, minute, secret IS NULL"
            f" FROM {table} ORDER BY id"
        ).fetchall()


async def test_the_same_rows_are_stored_as_by_sqlalchemy(database: Any) -> None:
    db, path = database
    async with db.transaction() as session:
        await session.execute(insert(PLAIN), ROWS)
        await insert_rows(session, FAST, ROWS)
    assert _stored(path, "fast_rows") == _stored(path, "plain_rows")
    assert [row[2] for row in _stored(path, "fast_rows")][::3] == [
        "2026-12-07 06:55:09.395124",
        "2026-12-07 08:55:09.395124",
    ]
    assert db_module._insert_plans[(FAST, tuple(ROWS[0]), db.write_engine.dialect)] is not None
    assert [row[8] for row in _stored(path, "fast_rows")] == [
        "2026-12-07 06:55",
        None,
        "0999-01-02 03:04",
        "2027-01-18 23:59",
    ]


async def test_a_column_left_to_its_python_default_takes_sqlalchemys_way(database: Any) -> None:
    db, path = database
    rows = [{k: v for k, v in row.items() if k != "flavour"} for row in ROWS]
    async with db.transaction() as session:
        await session.execute(insert(PLAIN), rows)
        await insert_rows(session, FAST, rows)
    assert _stored(path, "fast_rows") == _stored(path, "plain_rows")
    assert {row[7] for row in _stored(path, "fast_rows")} == {"plain"}


async def test_encrypted_columns_are_encrypted_with_the_services_key(database: Any) -> None:
    db, path = database
    async with db.transaction() as session:
        await insert_rows(session, FAST, ROWS)
    with sqlite3.connect(path) as connection:
        stored = [row[0] for row in connection.execute("SELECT secret FROM fast_rows ORDER BY id")]
    assert stored[0] is not None and "geheim" not in stored[0]
    async with db.transaction() as session:
        assert list((await session.execute(select(FAST.c.secret).order_by(FAST.c.id))).scalars()) == [
            "geheim",
            None,
            "",
            "x",
        ]
