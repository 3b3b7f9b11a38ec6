"""Everything personal intake stores is encrypted at rest, with keys from a secret.

The database is read through SQLite (so rows still in the `-wal` file count), every table
and every column, as a thief with a copy of the data dir would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from intake_harness import Intake, start_intake

from klachtstroom.platform.keys import MissingKeys

PLANTED = ("Jan Jansen", "jan@example.nl", "0612345678", "123456782", "Dorpsstraat 1", "Pietje Puk")
COMPLAINT: dict[str, Any] = {
    "channel": "email",
    "description": "Klacht over de consulent Pietje Puk, ik woon aan de Dorpsstraat 1.",
    "about_employee": "Pietje Puk",
    "handover_note": "Jan Jansen belt terug op 0612345678",
    "complainant": {
        "name": "Jan Jansen",
        "email": "jan@example.nl",
        "phone": "0612345678",
        "address": "Dorpsstraat 1",
        "bsn": "123456782",
    },
}


def everything_stored(data_dir: Path) -> str:
    """Every value of every table, read through SQLite (WAL included), as one text.

    Not the outbox: what events carry is the event contract's business (no personal data in
    events, DESIGN.md), checked by the event tests; its rows are relayed and then kept only
    as long as the relay needs them.
    """
    with sqlite3.connect(data_dir / "intake" / "intake.db") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'outbox'")
        names = [r[0] for r in tables]
        values = [v for name in names for row in db.execute(f"SELECT * FROM {name}") for v in row]
    return "\n".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)


@pytest.fixture
def keys_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    keys = [Fernet.generate_key().decode()]
    monkeypatch.setenv("KLACHTSTROOM_INTAKE_ENCRYPTION_KEYS", ",".join(keys))
    yield keys


def description(intake: Intake, complaint_id: str) -> str:
    [row] = intake.rows("SELECT description FROM complaints WHERE id = ?", complaint_id)
    return str(row["description"])


def test_nothing_personal_is_readable_on_disk(keys_in_env: list[str], tmp_path: Path) -> None:
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        accepted = client.post("/api/v1/complaints", json=COMPLAINT).json()
        stored = everything_stored(tmp_path)
        assert "Klacht over de consulent" not in stored
        for planted in PLANTED:
            assert planted not in stored, planted
        # ... and the service still reads it in the clear with its key.
        assert "Pietje Puk" in description(Intake(service, app, client, tmp_path), accepted["id"])


def test_a_missing_key_with_encrypted_data_refuses_to_start(
    keys_in_env: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        assert client.post("/api/v1/complaints", json=COMPLAINT).status_code == 202
    monkeypatch.delenv("KLACHTSTROOM_INTAKE_ENCRYPTION_KEYS")
    service, app = start_intake(tmp_path)
    with pytest.raises(MissingKeys), TestClient(app):
        pass
    assert not (tmp_path / "intake" / "encryption.keys").exists()  # no new key made up


def test_the_serve_command_exits_when_the_key_is_missing(keys_in_env: list[str], tmp_path: Path) -> None:
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        assert client.post("/api/v1/complaints", json=COMPLAINT).status_code == 202
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLACHTSTROOM_")}
    env.update(KLACHTSTROOM_DATA_DIR=str(tmp_path), KLACHTSTROOM_INTAKE_PORT="9")
    serve = Path(sys.executable).parent / "klachtstroom-intake"
    done = subprocess.run([str(serve), "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "encrypted data exists but no key is configured" in done.stderr


def test_rotation_keeps_old_data_readable_and_reencrypts_it(
    keys_in_env: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = keys_in_env[0]
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        first = client.post("/api/v1/complaints", json=COMPLAINT).json()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("KLACHTSTROOM_INTAKE_ENCRYPTION_KEYS", f"{new},{old}")
    service, app = start_intake(tmp_path)
    # The previous key still reads what it wrote.
    with TestClient(app, headers=service.access.dev_headers()) as client:
        assert "Pietje Puk" in description(Intake(service, app, client, tmp_path), first["id"])
    counts = service.rotate_keys()
    assert counts["complaints"] >= 3 and counts["complainants"] >= 5 and counts["rehash_complainants"] == 1
    monkeypatch.setenv("KLACHTSTROOM_INTAKE_ENCRYPTION_KEYS", new)  # the old key is gone
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        assert "Pietje Puk" in description(Intake(service, app, client, tmp_path), first["id"])
        # The same person is still recognised by keyed hash after the rotation.
        second = client.post("/api/v1/complaints", json=COMPLAINT).json()
        duplicates = client.get(f"/api/v1/complaints/{second['id']}/duplicates").json()
        assert [d["id"] for d in duplicates["items"]] == [first["id"]]
