"""Upgrading from the previous release keeps the data: every service's database at its first
migration (the 0.1.0 schema) is filled with a row in every table, migrated to the newest
revision, and every row is still there with every value that still has a column.

Runs on SQLite, and on PostgreSQL when `make test` provides a server.
"""

from __future__ import annotations

import importlib
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    create_engine,
)
from sqlalchemy import inspect as inspect_db
from sqlalchemy import types as sqltypes

from klachtstroom.platform.db import ALEMBIC_DIR, sync_url

SERVICES = ("intake", "routing", "deadlines", "reporting")
# Tables a later migration replaced, moving their rows: (service, old table) -> new table.
MOVED = {
    ("routing", "deliveries"): "outbound_calls",
    ("routing", "zgw_calls"): "outbound_calls",
    ("reporting", "signal_deliveries"): "outbound_calls",
}
FIRST = "0001"
MOMENT = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def _urls(tmp_path: Path, service: str) -> list[str]:
    urls = [f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"]
    server = os.environ.get("KLACHTSTROOM_TEST_POSTGRES")
    if server:
        from postgres import create_databases

        urls += create_databases(server, [f"upgrade_{service}"])
    return urls


def _upgrade(url: str, service: str, revision: str) -> None:
    # The module that declares the service's tables (routing names it for what it holds).
    store = importlib.import_module(f"klachtstroom.{service}.{'tables' if service == 'routing' else 'store'}")
    package = importlib.import_module(f"klachtstroom.{service}")
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(Path(str(package.__file__)).parent / "migrations"))
    config.attributes["target_metadata"] = store.Base.metadata
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _value(column: Any, n: int) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 7 + n
    if isinstance(kind, Float | Numeric):
        return 1.5
    if isinstance(kind, DateTime):
        return MOMENT
    if isinstance(kind, Date):
        return date(2025, 3, 3)
    if isinstance(kind, JSON):
        return {"kept": n}
    if isinstance(kind, LargeBinary):
        return b"kept"
    if isinstance(kind, sqltypes.String):
        length = getattr(kind, "length", None) or 32
        return f"v{n}"[:length]
    return f"v{n}"


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_from_the_first_release_keeps_every_row(service: str, tmp_path: Path) -> None:
    for url in _urls(tmp_path, service):
        _upgrade(url, service, FIRST)
        engine = create_engine(sync_url(url))
        before = MetaData()
        before.reflect(engine)
        written: dict[str, dict[str, Any]] = {}
        with engine.begin() as connection:
            for table in before.sorted_tables:
                if table.name == "alembic_version":
                    continue
                row: dict[str, Any] = {}
                for n, column in enumerate(table.columns):
                    reference = next(iter(column.foreign_keys), None)
                    if reference is not None and reference.column.table.name in written:
                        row[column.name] = written[reference.column.table.name][reference.column.name]
                    else:
                        row[column.name] = _value(column, n)
                connection.execute(table.insert().values(**row))
                written[table.name] = row
        engine.dispose()

        _upgrade(url, service, "head")

        engine = create_engine(sync_url(url))
        after = MetaData()
        after.reflect(engine)
        names = set(inspect_db(engine).get_table_names())
        with engine.connect() as connection:
            for table_name, row in written.items():
                if table_name not in names:
                    target = MOVED.get((service, table_name))
                    assert target, f"{service}: table {table_name} lost in the upgrade"
                    moved = [old for (svc, old), into in MOVED.items() if (svc, into) == (service, target)]
                    count = len(list(connection.execute(after.tables[target].select())))
                    assert count >= len(moved), f"{service}: rows of {table_name} not moved into {target}"
                    continue
                table = after.tables[table_name]
                key = [c.name for c in before.tables[table_name].primary_key.columns] or list(row)
                found = [
                    dict(r._mapping)
                    for r in connection.execute(table.select())
                    if all(r._mapping[k] == row[k] for k in key if not isinstance(row[k], datetime))
                ]
                assert len(found) == 1, f"{service}.{table_name}: the row is gone after the upgrade"
                for name, value in row.items():
                    if name not in table.columns:
                        continue
                    stored = found[0][name]
                    if isinstance(value, datetime) and isinstance(stored, datetime):
                        stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
                    assert stored == value, f"{service}.{table_name}.{name} changed in the upgrade"
        engine.dispose()


def test_pending_resident_messages_move_onto_the_outbound_queue(tmp_path: Path) -> None:
    """0010: a message still pending gets its outbound call (a reference, no text or address) with
    its attempts and next attempt; sent or printed messages get none; the API's fields stay."""
    later = datetime(2025, 3, 3, 9, 45, tzinfo=UTC)
    for url in _urls(tmp_path, "intake"):
        _upgrade(url, "intake", "0009")
        engine = create_engine(sync_url(url))
        old = MetaData()
        old.reflect(engine)
        messages = old.tables["resident_messages"]
        common = {"complaint_id": "c-1", "channel": "email", "subject": "receipt", "created_at": MOMENT}
        with engine.begin() as connection:
            for row in [
                {**common, "id": 11, "kind": "receipt", "seq": 0, "state": "sent", "attempts": 1,
                 "recipient_enc": b"sealed-1", "body_enc": None, "next_attempt_at": MOMENT,
                 "sent_at": MOMENT},
                {**common, "id": 12, "kind": "handler_changed", "seq": 0, "state": "pending", "attempts": 4,
                 "recipient_enc": b"sealed-2", "body_enc": b"sealed-body", "next_attempt_at": later,
                 "last_error": "SMTPConnectError", "claimed_by": "old-host:1", "claimed_until": MOMENT},
                {**common, "id": 13, "kind": "receipt", "seq": 1, "channel": "letter", "state": "print",
                 "attempts": 1, "recipient_enc": b"sealed-3", "body_enc": b"sealed-letter",
                 "next_attempt_at": MOMENT},
            ]:  # fmt: skip
                connection.execute(messages.insert().values(**row))
        engine.dispose()

        _upgrade(url, "intake", "head")

        engine = create_engine(sync_url(url))
        new = MetaData()
        new.reflect(engine)
        with engine.connect() as connection:
            kept = [dict(r._mapping) for r in connection.execute(new.tables["resident_messages"].select())]
            calls = [dict(r._mapping) for r in connection.execute(new.tables["outbound_calls"].select())]
        engine.dispose()
        assert {"next_attempt_at", "claimed_by", "claimed_until"}.isdisjoint(
            new.tables["resident_messages"].c
        )
        by_id = {row["id"]: row for row in kept}
        assert [(by_id[i]["state"], by_id[i]["attempts"]) for i in (11, 12, 13)] == [
            ("sent", 1),
            ("pending", 4),
            ("print", 1),
        ]
        assert by_id[12]["body_enc"] == b"sealed-body" and by_id[13]["body_enc"] == b"sealed-letter"
        [call] = calls
        assert (call["message_id"], call["kind"], call["body"], call["subject"]) == (
            "msg_intake_resident_12",
            "resident.message",
            b"12",
            "c-1",
        )
        assert (call["state"], call["attempts"], call["last_error"]) == ("pending", 4, "SMTPConnectError")
        due = call["next_attempt_at"]
        assert (due if due.tzinfo else due.replace(tzinfo=UTC)) == later
        assert call["recipient"] is None and call["claimed_by"] is None
