"""The resident's own link: a random code of 256 bits, of which only a SHA-256 hash is kept."""

from __future__ import annotations

import hashlib
import re
import secrets

# token_urlsafe(32): 32 random bytes, 43 characters; DESIGN.md asks for at least 128 bits.
CODE_BYTES = 32
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22,128}$")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """A plain hash is enough: the code is random and long, so there is nothing to guess."""
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(code: str) -> bool:
    return bool(_CODE_SHAPE.match(code))


def status_url(base: str, code: str) -> str:
    return f"{base.rstrip('/')}/status/{code}"
