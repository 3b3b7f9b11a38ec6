"""`rotate-keys`: re-encrypt everything a service stores with its newest key.

Run it after putting a new key in front of the old one in the secret; afterwards the old key
can be removed. Rows written before encryption existed are encrypted on the way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, MetaData, column, create_engine, select, table, update

from klachtstroom.platform.db import sync_url
from klachtstroom.platform.encrypted import EncryptedBytes, EncryptedJSON, EncryptedText, encrypted_columns
from klachtstroom.platform.keys import KeyRing, is_token

# A service's own step after the tokens are rotated, e.g. recomputing keyed hashes.
RotationStep = Callable[[Connection, KeyRing], int]


def _rotated(ring: KeyRing, kind: type, value: Any) -> Any:
    """The stored value encrypted with the newest key, or None when it already is."""
    if value is None:
        return None
    if kind is EncryptedJSON:
        if isinstance(value, str):
            value = json.loads(value)
        if isinstance(value, dict) and set(value) == {"enc"} and is_token(value["enc"]):
            token = value["enc"].encode("ascii")
            return None if ring.is_current(token) else {"enc": ring.rotate(token).decode("ascii")}
        return {"enc": ring.encrypt(json.dumps(value, default=str).encode()).decode("ascii")}
    raw = value.encode() if isinstance(value, str) else bytes(value)
    if is_token(raw):
        if ring.is_current(raw):
            return None
        new = ring.rotate(raw)
    else:
        new = ring.encrypt(raw)
    return new.decode("ascii") if kind is EncryptedText else new


def rotate_keys(
    database_url: str,
    metadata: MetaData,
    ring: KeyRing,
    explicit: Sequence[tuple[str, Sequence[str]]] = (),
    steps: Sequence[RotationStep] = (),
) -> dict[str, int]:
    """Re-encrypt every encrypted column; returns the number of values rewritten per table.

    `explicit` names binary columns the service encrypts itself (tokens written by code).
    """
    work: list[tuple[str, list[str], list[type], list[str]]] = []
    for tbl, names in encrypted_columns(metadata):
        kinds = [type(tbl.c[name].type) for name in names]
        keys = [c.name for c in tbl.primary_key.columns]
        work.append((tbl.name, names, kinds, keys))
    for name, columns in explicit:
        keys = [c.name for c in metadata.tables[name].primary_key.columns]
        work.append((name, list(columns), [EncryptedBytes] * len(columns), keys))
    counts: dict[str, int] = {}
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            for name, names, kinds, keys in work:
                # Untyped columns: the stored tokens as they are, no decryption on the way.
                raw = table(name, *(column(n) for n in {*names, *keys}))
                rewritten = 0
                for row in connection.execute(select(*(raw.c[n] for n in keys + names))).mappings():
                    changes = {}
                    for n, kind in zip(names, kinds, strict=True):
                        new = _rotated(ring, kind, row[n])
                        if new is not None:
                            changes[n] = json.dumps(new) if kind is EncryptedJSON else new
                    if changes:
                        where = [raw.c[k] == row[k] for k in keys]
                        connection.execute(update(raw).where(*where).values(**changes))
                        rewritten += len(changes)
                counts[name] = rewritten
            for step in steps:
                counts[getattr(step, "__name__", "step")] = step(connection, ring)
    finally:
        engine.dispose()
    return counts
