"""`backup <dir>` and `restore <dir>`: a service's own database and development keys, consistently.

SQLite (the default) is copied with SQLite's online backup API, so a running service can be
backed up without stopping it and rows still in the `-wal` file are included. PostgreSQL is
backed up with `pg_dump` (deploy/backup.md). Keys from a secret (`..._ENCRYPTION_KEYS`, a key
file) belong in the secret store's own backup; a development key file in the data dir is
copied along. Kafka topics are backed up separately (deploy/backup.md): reporting rebuilds
from them, the other services only need their own databases.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from klachtstroom.platform.db import is_sqlite
from klachtstroom.platform.keys import DEV_KEY_FILE, LEGACY_KEY_FILES
from klachtstroom.platform.service import Service


class BackupRefused(RuntimeError):
    pass


def _sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def _copy_database(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def backup(service: Service, target_dir: Path) -> list[Path]:
    """Copy the service's database and development keys under `target_dir/<service>/`."""
    if not is_sqlite(service.database_url):
        raise BackupRefused("PostgreSQL: back up with pg_dump (deploy/backup.md)")
    own = target_dir / service.name
    database = _sqlite_path(service.database_url)
    written = [own / database.name]
    _copy_database(database, written[0])
    for name in (DEV_KEY_FILE, *LEGACY_KEY_FILES):
        key = service.settings.service_dir(service.name) / name
        if key.exists():
            shutil.copy2(key, own / name)
            written.append(own / name)
    return written


def restore(service: Service, source_dir: Path) -> list[Path]:
    """Put a backup in place in an empty data dir (never over an existing database)."""
    if not is_sqlite(service.database_url):
        raise BackupRefused("PostgreSQL: restore with pg_restore (deploy/backup.md)")
    own = source_dir / service.name
    database = _sqlite_path(service.database_url)
    if database.exists():
        raise BackupRefused(f"{database} exists: restore into a fresh data dir")
    written = [database]
    _copy_database(own / database.name, database)
    for name in (DEV_KEY_FILE, *LEGACY_KEY_FILES):
        if (own / name).exists():
            target = service.settings.service_dir(service.name) / name
            shutil.copy2(own / name, target)
            target.chmod(0o600)
            written.append(target)
    return written
