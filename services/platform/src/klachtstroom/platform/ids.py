"""Integer ids in paths: bounded to what a database integer holds.

SQLite integers and PostgreSQL BIGINT are 64-bit: a larger number in a path would overflow in the
driver (a 500). Bounded in the signature, it is a documented 422 with the field named.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID)]
