"""Encryption at rest: a service's keys come from a secret, never from nowhere.

Where the keys come from, first found wins:

1. `KLACHTSTROOM_<SERVICE>_ENCRYPTION_KEYS` — Fernet keys, comma-separated, newest first
   (a Kubernetes Secret mapped into the environment);
2. `KLACHTSTROOM_<SERVICE>_ENCRYPTION_KEY_FILE` — a file with one key a line, newest first
   (a Secret mounted as a file);
3. `<data dir>/<service>/encryption.keys` — the development key file (and intake's older
   `personal-data.key`).

When none is there the service creates a development key file only if it holds no encrypted
data yet and development keys are allowed (`KLACHTSTROOM_DEV_KEYS`, default on; switch it off in
production). With encrypted data and no key it refuses to start: a new key would make every
stored contact detail unreadable, silently.

Rotation works like MultiFernet: new data is encrypted with the newest key, every listed key
still decrypts, and the service's `rotate-keys` command re-encrypts what is stored with the
newest key, after which the old key can be removed from the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

DEV_KEY_FILE = "encryption.keys"
LEGACY_KEY_FILES = ("personal-data.key",)
# Every Fernet token starts with version byte 0x80, which base64 writes as "gAAAAA".
TOKEN_PREFIX = b"gAAAAA"


class MissingKeys(RuntimeError):
    """Encrypted data exists but no key was configured: refuse to start rather than lose it."""


class KeyRing:
    """The service's encryption keys, newest first."""

    def __init__(self, keys: Sequence[str], source: str = "configured") -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.source = source
        self._keys = [key.strip() for key in keys]
        self._fernet = MultiFernet([Fernet(key.encode()) for key in self._keys])
        self._hash_keys = [hashlib.sha256(b"klachtstroom-match:" + k.encode()).digest() for k in self._keys]

    def __len__(self) -> int:
        return len(self._keys)

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext, encrypted with the newest key (MultiFernet.rotate)."""
        return self._fernet.rotate(token)

    def is_current(self, token: bytes) -> bool:
        """Whether the newest key alone decrypts this token (nothing to rotate)."""
        try:
            Fernet(self._keys[0].encode()).decrypt(token)
        except InvalidToken:
            return False
        return True

    def match_hash(self, value: str | None) -> str | None:
        """A keyed hash (HMAC-SHA256) under the newest key: equal inputs match, the hash alone
        reveals nothing, and without the key nobody can test a guessed BSN against it."""
        if not value:
            return None
        return hmac.new(self._hash_keys[0], value.encode(), hashlib.sha256).hexdigest()

    def match_hashes(self, value: str | None) -> list[str]:
        """The hashes of `value` under every key: finds rows hashed before a rotation too."""
        if not value:
            return []
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in self._hash_keys]


def is_token(data: bytes | str) -> bool:
    raw = data.encode("ascii", "ignore") if isinstance(data, str) else data
    return raw.startswith(TOKEN_PREFIX)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def configured_keys(service: str, service_dir: Path) -> tuple[list[str], str] | None:
    """The keys an operator (or an earlier development run) provided, and where they came from."""
    prefix = f"KLACHTSTROOM_{service.upper()}_"
    listed = os.environ.get(prefix + "ENCRYPTION_KEYS") or os.environ.get(prefix + "ENCRYPTION_KEY")
    if listed:
        return _split(listed), "environment"
    key_file = os.environ.get(prefix + "ENCRYPTION_KEY_FILE")
    if key_file:
        path = Path(key_file)
        if not path.exists():
            raise MissingKeys(f"{service}: key file {path} does not exist")
        return _split(path.read_text()), "key file"
    for name in (DEV_KEY_FILE, *LEGACY_KEY_FILES):
        path = service_dir / name
        if path.exists():
            return _split(path.read_text()), "development key file"
    return None


def load_key_ring(
    service: str,
    service_dir: Path,
    *,
    has_encrypted_data: Callable[[], bool],
    allow_dev_key: bool,
) -> KeyRing:
    """The service's keys; a development key only where no encrypted data could be lost."""
    found = configured_keys(service, service_dir)
    if found is not None:
        keys, source = found
        return KeyRing(keys, source)
    if has_encrypted_data():
        raise MissingKeys(
            f"{service}: encrypted data exists but no key is configured "
            f"(KLACHTSTROOM_{service.upper()}_ENCRYPTION_KEYS or ..._ENCRYPTION_KEY_FILE); "
            "refusing to start instead of making a new key that cannot read it"
        )
    if not allow_dev_key:
        raise MissingKeys(
            f"{service}: no encryption key configured and development keys are switched off "
            f"(set KLACHTSTROOM_{service.upper()}_ENCRYPTION_KEYS)"
        )
    path = service_dir / DEV_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")
    log.warning("%s: created a development encryption key in the data dir (not for production)", service)
    return KeyRing(_split(path.read_text()), "development key file")
