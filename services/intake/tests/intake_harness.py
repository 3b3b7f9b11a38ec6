"""Intake in-process for unit tests: SQLite in a temporary data dir, no Kafka, no SMTP port."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from klachtstroom.intake.app import create_service
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.platform.keys import is_token
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings


@dataclass
class Intake:
    service: Service
    app: FastAPI
    client: TestClient
    data_dir: Path

    def rows(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """Read intake's database directly, with what is encrypted at rest decrypted."""
        ring = self.service.load_keys()
        return [
            {k: ring.decrypt(_raw(v)).decode() if _encrypted(v) else v for k, v in row.items()}
            for row in self.raw_rows(sql, *params)
        ]

    def raw_rows(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """Read intake's database as stored on disk (tokens where encrypted)."""
        with sqlite3.connect(self.data_dir / "intake" / "intake.db") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, params)]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The events waiting in the outbox (Kafka is not running), oldest first."""
        found = [json.loads(r["value"]) for r in self.rows("SELECT value FROM outbox ORDER BY id")]
        return [e for e in found if kind is None or e["type"].endswith(f".{kind}.v1")]

    def form_tokens(self, path: str = "/") -> dict[str, str]:
        page = self.client.get(path).text
        tokens = {"csrf_token": _hidden(page, "csrf_token")}
        if 'name="formulier_id"' in page:
            tokens["formulier_id"] = _hidden(page, "formulier_id")
        return tokens


def _raw(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _encrypted(value: object) -> bool:
    return isinstance(value, str | bytes) and is_token(value)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def start_intake(data_dir: Path, **intake_settings: Any) -> tuple[Service, FastAPI]:
    settings = PlatformSettings(data_dir=data_dir, kafka_bootstrap="127.0.0.1:9", log_level="WARNING")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("klachtstroom.platform.service").setLevel(logging.ERROR)
    defaults: dict[str, Any] = {"smtp_enabled": False, "mail_enabled": False}
    return create_service(settings, IntakeSettings(**{**defaults, **intake_settings}))
