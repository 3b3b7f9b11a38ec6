"""Verifying bearer tokens (PyJWT): against the OIDC issuer's published keys, or the development key.

PyJWT is a maintained JOSE library: it checks the signature, `exp`, `nbf`, `iat`, `aud` and
`iss` (with a leeway for clock skew), and its `PyJWKClient` fetches the issuer's JWKS, caches it
and fetches it again when a token names a key id it does not know yet (key rotation). Only
public-key algorithms are accepted, so a token can never be "signed" with a shared secret.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import httpx
import jwt

from klachtstroom.platform.auth.callers import Caller
from klachtstroom.platform.auth.development import ALGORITHM, DevelopmentIssuer

PUBLIC_KEY_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_CACHE_LIMIT = 4096


class InvalidToken(Exception):
    """The token is missing, malformed, expired, not yet valid, or not signed by the issuer."""


class TokenVerifier(Protocol):
    issuer: str

    async def verify(self, token: str) -> Caller: ...


class _Verified:
    """Tokens verified before, until they expire: a request costs one dict look-up, not an RSA check."""

    def __init__(self) -> None:
        self._callers: dict[str, tuple[Caller, float]] = {}

    def get(self, token: str) -> Caller | None:
        found = self._callers.get(token)
        if found is None:
            return None
        caller, expires = found
        if expires <= time.time():
            del self._callers[token]
            return None
        return caller

    def put(self, token: str, caller: Caller, expires: float) -> None:
        if len(self._callers) >= _CACHE_LIMIT:
            self._callers.clear()
        self._callers[token] = (caller, expires)


class DevelopmentVerifier:
    """Verifies tokens of the development issuer with its key under the data dir."""

    def __init__(self, issuer: DevelopmentIssuer, leeway_seconds: int) -> None:
        self.development = issuer
        self.issuer = issuer.issuer
        self.leeway = leeway_seconds
        self._verified = _Verified()

    async def verify(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None:
            return known
        try:
            claims = jwt.decode(
                token,
                self.development.public_key,
                algorithms=[ALGORITHM],
                audience=self.development.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(f"{type(error).__name__}: {error}") from None
        return _remember(self._verified, token, claims, self.leeway)


class OidcVerifier:
    """Verifies tokens of an OpenID Connect issuer (Keycloak, ...) by its discovery document and JWKS."""

    def __init__(
        self, issuer: str, audience: str, leeway_seconds: int, refetch_cooldown_seconds: float = 30.0
    ) -> None:
        self.issuer = issuer.rstrip("/")
        # An unknown key id fetches the JWKS again at most this often (tokens with made-up key
        # ids must not make every request hit the issuer).
        self.refetch_cooldown = refetch_cooldown_seconds
        self.audience = audience
        self.leeway = leeway_seconds
        self._metadata: dict[str, Any] | None = None
        self._keys: jwt.PyJWKClient | None = None
        self._verified = _Verified()
        self._lock = asyncio.Lock()

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (`/.well-known/openid-configuration`), fetched once."""
        if self._metadata is None:
            async with self._lock:
                if self._metadata is None:
                    url = f"{self.issuer}/.well-known/openid-configuration"
                    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
                        response = await client.get(url)
                        response.raise_for_status()
                        found: dict[str, Any] = response.json()
                    if found.get("issuer", "").rstrip("/") != self.issuer:
                        raise InvalidToken("discovery document names another issuer")
                    self._metadata = found
        return self._metadata

    async def key_client(self) -> jwt.PyJWKClient:
        if self._keys is None:
            metadata = await self.metadata()
            # The key set is kept 5 minutes (a withdrawn key stops being trusted after that).
            self._keys = jwt.PyJWKClient(
                metadata["jwks_uri"],
                cache_jwk_set=True,
                lifespan=300,
                timeout=10,
                cooldown_duration=self.refetch_cooldown,
            )
        return self._keys

    async def verify(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None:
            return known
        try:
            keys = await self.key_client()
            # PyJWKClient fetches with urllib (blocking): off the event loop. An unknown `kid`
            # makes it fetch the JWKS again, which is how rotated keys are picked up.
            signing_key = await asyncio.to_thread(keys.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=PUBLIC_KEY_ALGORITHMS,
                audience=self.audience,
                issuer=(await self.metadata())["issuer"],
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except (jwt.PyJWTError, httpx.HTTPError, KeyError, ValueError) as error:
            raise InvalidToken(f"{type(error).__name__}: {error}") from None
        return _remember(self._verified, token, claims, self.leeway)


def _remember(cache: _Verified, token: str, claims: dict[str, Any], leeway: int) -> Caller:
    caller = Caller.from_claims(claims)
    cache.put(token, caller, float(claims["exp"]) + leeway)
    return caller
