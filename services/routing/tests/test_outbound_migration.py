"""Deliveries and Zaken API calls queued before the platform's outbound queue are carried over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from klachtstroom.platform.db import ALEMBIC_DIR
from klachtstroom.routing.tables import Base

MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "klachtstroom" / "routing" / "migrations"


def _upgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS))
    config.attributes["target_metadata"] = Base.metadata
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_pending_and_finished_calls_move_to_the_outbound_queue(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'routing.db'}")
    _upgrade(engine, "0002")
    at = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(
            sa.text(
                "INSERT INTO deliveries (provider_key, case_id, kind, body, status, attempts,"
                " next_attempt_at, created_at) VALUES"
                " ('zorg bv', 'c-1', 'case.referred', :body, 'pending', 2, :at, :at),"
                " ('zorg bv', 'c-2', 'case.referred', :body, 'failed', 6, :at, :at)"
            ),
            {"body": b'{"case_id": "c-1"}', "at": at},
        )
        db.execute(
            sa.text(
                "INSERT INTO zgw_calls (case_id, operation, payload, status, attempts, next_attempt_at,"
                " created_at) VALUES ('c-1', 'create_zaak', :payload, 'pending', 0, :at, :at)"
            ),
            {"payload": '{"identificatie": "K-1"}', "at": at},
        )
    _upgrade(engine, "head")
    with engine.connect() as db:
        rows = db.execute(
            sa.text(
                "SELECT kind, subject, recipient, sequence_key, state, attempts, body FROM outbound_calls"
            )
        ).all()
        tables = sa.inspect(db).get_table_names()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("case.referred", "c-1", "zorg bv", "provider:c-1", "pending", 2, b'{"case_id": "c-1"}'),
        ("case.referred", "c-2", "zorg bv", "provider:c-2", "dead", 6, b'{"case_id": "c-1"}'),
        ("zgw.create_zaak", "c-1", None, "zgw:c-1", "pending", 0, b'{"identificatie": "K-1"}'),
    ]
    assert "deliveries" not in tables and "zgw_calls" not in tables
