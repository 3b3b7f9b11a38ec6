"""The development issuer: signs tokens with a key kept under the data dir (no identity provider).

Every service of one installation shares `KLACHTSTROOM_DATA_DIR`, so all of them verify tokens
against the same key. The key is created once, atomically: several services starting at the
same moment end up with one key, never with a half-written one. Never for production (see
`AccessSettings.check_issuer`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Role

DEVELOPMENT_ISSUER = "urn:klachtstroom:development-issuer"
ALGORITHM = "RS256"
KEY_FILE = Path("auth") / "development-issuer-key.pem"
# `make run`'s dev token: long-lived on purpose (a developer's machine, never production).
DEV_TOKEN_SECONDS = 365 * 24 * 3600
TOKEN_SECONDS = 12 * 3600


class DevelopmentIssuer:
    def __init__(self, data_dir: Path, audience: str) -> None:
        self.path = data_dir / KEY_FILE
        self.audience = audience
        self.issuer = DEVELOPMENT_ISSUER
        self._private: rsa.RSAPrivateKey | None = None

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        if self._private is None:
            self._private = _load_or_create(self.path)
        return self._private

    @property
    def key_id(self) -> str:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(public).hexdigest()[:16]

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def mint(
        self,
        roles: Iterable[Role | str],
        *,
        subject: str,
        name: str | None = None,
        municipalities: Iterable[str] = (ALL_MUNICIPALITIES,),
        provider: str | None = None,
        seconds: int = TOKEN_SECONDS,
        now: float | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "name": name or subject,
            "roles": [str(Role(r)) for r in roles],
            "municipalities": list(municipalities),
            "iat": issued,
            "nbf": issued,
            "exp": issued + seconds,
            "jti": str(uuid.uuid4()),
        }
        if provider:
            claims["provider"] = provider
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.key_id})

    def dev_token(self) -> str:
        """Every role, every municipality: what `make run` writes to `<data dir>/dev-token`."""
        return self.mint(list(Role), subject="ontwikkelaar", name="Ontwikkelaar", seconds=DEV_TOKEN_SECONDS)


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, pem)
            os.fsync(handle)
            os.close(handle)
            # link() fails when another process was first: then its key is the one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} holds no RSA private key")
    return loaded
