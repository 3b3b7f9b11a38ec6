"""Personal data of complainants: BSN check, encryption at rest, keyed hashes for matching.

BSN and contact details never leave intake: events carry an opaque complainant id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from pathlib import Path

from cryptography.fernet import Fernet


def is_valid_bsn(value: str) -> bool:
    """The elfproef for a BSN: 9 digits, 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11."""
    digits = value.strip()
    if len(digits) == 8:
        digits = "0" + digits  # BSNs issued before 2007 may be written with 8 digits
    if not re.fullmatch(r"\d{9}", digits) or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0031"):
        digits = "0" + digits[4:]
    elif digits.startswith("31") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalise_name(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z]+", text))


class Vault:
    """Encrypts personal data with a key kept in the data dir (or given by the operator)."""

    def __init__(self, key_dir: Path) -> None:
        key = os.environ.get("KLACHTSTROOM_INTAKE_ENCRYPTION_KEY")
        key_file = key_dir / "personal-data.key"
        if key is None:
            if not key_file.exists():
                key_file.write_bytes(Fernet.generate_key())
                key_file.chmod(0o600)
            key = key_file.read_text().strip()
        self._fernet = Fernet(key.encode())
        self._hash_key = hashlib.sha256(b"klachtstroom-match:" + key.encode()).digest()

    def encrypt(self, value: str | None) -> bytes | None:
        return None if not value else self._fernet.encrypt(value.encode())

    def decrypt(self, value: bytes | None) -> str | None:
        return None if value is None else self._fernet.decrypt(value).decode()

    def match_hash(self, value: str | None) -> str | None:
        """A keyed hash: equal inputs match, and the hash alone reveals nothing."""
        if not value:
            return None
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
