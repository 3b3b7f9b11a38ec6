"""Which database errors are passing (tried again, never dead-lettered) and which mean a full disk."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from klachtstroom.platform.db import is_storage_full, is_transient


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def wrapped(cause: BaseException) -> OperationalError:
    return OperationalError("INSERT INTO complaints ...", {}, cause)


@pytest.mark.parametrize(
    "cause",
    [
        sqlite3.OperationalError("database or disk is full"),
        OSError(28, "No space left on device"),
        PgError("53100"),
    ],
)
def test_a_full_disk_is_storage_full_and_passing(cause: BaseException) -> None:
    assert is_storage_full(wrapped(cause))
    assert is_transient(wrapped(cause))  # an event is tried again once space is freed, not dead-lettered


@pytest.mark.parametrize(
    ("cause", "transient"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (PgError("40001"), True),
        (sqlite3.OperationalError("no such table: complaints"), False),
        (PgError("23505"), False),
        (OSError(13, "Permission denied"), False),
    ],
)
def test_other_errors_are_not_a_full_disk(cause: BaseException, transient: bool) -> None:
    assert not is_storage_full(wrapped(cause))
    assert is_transient(wrapped(cause)) is transient
