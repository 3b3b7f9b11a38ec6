"""Columns encrypted at rest: the code reads and writes plain values, the database holds tokens.

A column declared `EncryptedText`, `EncryptedBytes` or `EncryptedJSON` is encrypted with the
service's key ring (keys.py) when written and decrypted when read, by SQLAlchemy's type
system, so no query site can forget it. The ring belongs to the engine it was attached to
(`attach_key_ring`), not to the process: two services in one test process keep their own keys.

The stored shapes stay those of the plain columns (text, binary, JSON), so no schema changes:
rows written before encryption read as they are and `rotate-keys` encrypts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, LargeBinary, MetaData, Table, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from klachtstroom.platform.keys import KeyRing, is_token

_RINGS: WeakKeyDictionary[Dialect, KeyRing] = WeakKeyDictionary()
_JSON_MARK = "enc"


def attach_key_ring(dialect: Dialect, ring: KeyRing) -> None:
    _RINGS[dialect] = ring


def _ring(dialect: Dialect) -> KeyRing:
    ring = _RINGS.get(dialect)
    if ring is None:
        raise RuntimeError("no encryption keys attached to this database engine")
    return ring


class EncryptedText(TypeDecorator[str]):
    """Text (descriptions, notes, reports) stored as a Fernet token in a text column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _ring(dialect).encrypt(value.encode()).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_token(value):
            return value  # written before encryption; rotate-keys encrypts it
        return _ring(dialect).decrypt(value.encode("ascii")).decode()


class EncryptedBytes(TypeDecorator[bytes]):
    """Files (attachments, uploaded registers, request bodies) stored as a Fernet token."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _ring(dialect).encrypt(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        raw = bytes(value)
        return _ring(dialect).decrypt(raw) if is_token(raw) else raw


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document with free text in it, stored as `{"enc": token}` in the JSON column."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        token = _ring(dialect).encrypt(json.dumps(value, default=str).encode()).decode("ascii")
        return {_JSON_MARK: token}

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dict) and set(value) == {_JSON_MARK} and is_token(value[_JSON_MARK]):
            return json.loads(_ring(dialect).decrypt(value[_JSON_MARK].encode("ascii")))
        return value


ENCRYPTED_TYPES = (EncryptedText, EncryptedBytes, EncryptedJSON)


def encrypted_columns(metadata: MetaData) -> Iterator[tuple[Table, list[str]]]:
    """Every table with encrypted columns, and those columns' names."""
    for table in metadata.sorted_tables:
        names = [column.name for column in table.columns if isinstance(column.type, ENCRYPTED_TYPES)]
        if names:
            yield table, names
