"""Personal data of complainants: BSN check, encryption at rest, keyed hashes for matching.

BSN and contact details never leave intake: events carry an opaque complainant id.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Connection, select, update

from klachtstroom.intake.store import Complainant
from klachtstroom.platform.keys import KeyRing
from klachtstroom.platform.service import Service


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


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_bsn(value: str) -> str:
    return value.strip().zfill(9)


# How each identifier is written before it is hashed, so every channel finds the same person.
MATCH_NORMALISERS = {
    "name": normalise_name,
    "email": normalise_email,
    "phone": normalise_phone,
    "bsn": normalise_bsn,
}


class Vault:
    """Encrypts contact details with the service's key ring (platform/keys.py) and makes the
    keyed hashes by which a person is found again without decrypting anything."""

    def __init__(self, service: Service) -> None:
        self._service = service

    @property
    def ring(self) -> KeyRing:
        return self._service.load_keys()

    def encrypt(self, value: str | None) -> bytes | None:
        return None if not value else self.ring.encrypt(value.encode())

    def decrypt(self, value: bytes | None) -> str | None:
        return None if value is None else self.ring.decrypt(bytes(value)).decode()

    def match_hash(self, value: str | None) -> str | None:
        """A keyed hash under the newest key: equal inputs match, the hash alone reveals nothing."""
        return self.ring.match_hash(value)

    def identifier_hash(self, kind: str, value: str | None) -> str | None:
        """The keyed hash of a name, e-mail address, phone number or BSN, normalised first."""
        return self.match_hash(MATCH_NORMALISERS[kind](value) if value else None)

    def identifier_hashes(self, kind: str, value: str | None) -> list[str]:
        return self.match_hashes(MATCH_NORMALISERS[kind](value) if value else None)

    def match_hashes(self, value: str | None) -> list[str]:
        """The hashes under every key, so a lookup also finds rows hashed before a rotation."""
        return self.ring.match_hashes(value)


def rehash_complainants(connection: Connection, ring: KeyRing) -> int:
    """After `rotate-keys`: the keyed hashes again under the newest key (a step of the rotation)."""
    table = Complainant.__table__.c
    names = {kind: f"{kind}_enc" for kind in MATCH_NORMALISERS}
    rehashed = 0
    for row in connection.execute(select(table.id, *(table[c] for c in names.values()))).mappings():
        hashes = {}
        for kind, column in names.items():
            value = row[column]
            plain = ring.decrypt(bytes(value)).decode() if value is not None else None
            hashes[f"{kind}_hash"] = ring.match_hash(MATCH_NORMALISERS[kind](plain) if plain else None)
        connection.execute(update(Complainant).where(Complainant.id == row["id"]).values(**hashes))
        rehashed += 1
    return rehashed
