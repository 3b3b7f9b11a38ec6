"""A backup restored into a fresh data dir holds the same complaints, readable with the keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from intake_harness import Intake, start_intake

from klachtstroom.platform.backup import BackupRefused, backup, restore
from klachtstroom.platform.keys import MissingKeys


def _complaints(intake: Intake) -> list[tuple[str, str]]:
    return [
        (r["reference"], r["description"]) for r in intake.rows("SELECT * FROM complaints ORDER BY reference")
    ]


def test_a_backup_restores_into_a_fresh_data_dir(tmp_path: Path) -> None:
    live, copy, fresh = tmp_path / "live", tmp_path / "backup", tmp_path / "fresh"
    service, app = start_intake(live)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        for text in ("Mijn uitkering is te laat.", "De consulent belde niet terug."):
            assert (
                client.post("/api/v1/complaints", json={"channel": "phone", "description": text}).status_code
                == 202
            )
        before = _complaints(Intake(service, app, client, live))
        # While the service runs (rows may still sit in the -wal file).
        written = backup(service, copy)
    assert {p.name for p in written} == {"intake.db", "encryption.keys"}

    service, app = start_intake(fresh)
    restore(service, copy)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        assert _complaints(Intake(service, app, client, fresh)) == before
        assert len(before) == 2 and before[0][1] == "Mijn uitkering is te laat."
        with pytest.raises(BackupRefused):
            restore(service, copy)  # never over an existing database


def test_a_restore_without_the_keys_refuses_to_start(tmp_path: Path) -> None:
    live, copy, fresh = tmp_path / "live", tmp_path / "backup", tmp_path / "fresh"
    service, app = start_intake(live)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        client.post("/api/v1/complaints", json={"channel": "phone", "description": "Te laat."})
        backup(service, copy)
    (copy / "intake" / "encryption.keys").unlink()  # the keys were not part of the backup
    service, app = start_intake(fresh)
    restore(service, copy)
    with pytest.raises(MissingKeys), TestClient(app):
        pass


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    live = tmp_path / "live"
    service, app = start_intake(live)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        client.post("/api/v1/complaints", json={"channel": "letter", "description": "Brief kwijt."})
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLACHTSTROOM_")}
    command = str(Path(sys.executable).parent / "klachtstroom-intake")
    env_live = {**env, "KLACHTSTROOM_DATA_DIR": str(live)}
    copy = str(tmp_path / "copy")
    done = subprocess.run([command, "backup", copy], env=env_live, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    env_fresh = {**env, "KLACHTSTROOM_DATA_DIR": str(tmp_path / "fresh")}
    done = subprocess.run([command, "restore", copy], env=env_fresh, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh" / "intake" / "intake.db").exists()
    assert (tmp_path / "fresh" / "intake" / "encryption.keys").read_text() == (
        live / "intake" / "encryption.keys"
    ).read_text()
