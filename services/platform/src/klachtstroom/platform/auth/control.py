"""Access control of one service, built from settings: the verifier, the gate, the machine token.

With `KLACHTSTROOM_OIDC_ISSUER` set, tokens come from that issuer (Keycloak, ...) and the
service calls its peers with a client-credentials token of its own (`KLACHTSTROOM_OIDC_CLIENT_ID`
and `_SECRET`). Without it, the development issuer under the data dir signs and verifies, and
mints the service's `system` token itself. `KLACHTSTROOM_ENVIRONMENT=production` refuses the
development issuer unless `KLACHTSTROOM_ALLOW_DEVELOPMENT_ISSUER=true`.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI

from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.auth.development import DevelopmentIssuer
from klachtstroom.platform.auth.gate import AccessGate, SessionReader
from klachtstroom.platform.auth.rules import Rule, rules_for
from klachtstroom.platform.auth.signin import SignIn
from klachtstroom.platform.auth.verification import DevelopmentVerifier, OidcVerifier, TokenVerifier
from klachtstroom.platform.settings import PlatformSettings

SYSTEM_TOKEN_SECONDS = 3600


class DevelopmentIssuerRefused(RuntimeError):
    """Production settings without a real issuer: nobody may mint tokens from a file."""


class AccessControl:
    def __init__(self, service: str, settings: PlatformSettings) -> None:
        self.service = service
        self.settings = settings
        self.development: DevelopmentIssuer | None = None
        self.verifier: TokenVerifier
        if settings.oidc_issuer:
            self.verifier = OidcVerifier(
                settings.oidc_issuer, settings.oidc_audience, settings.oidc_leeway_seconds
            )
        else:
            if settings.environment.lower() == "production" and not settings.allow_development_issuer:
                raise DevelopmentIssuerRefused(
                    "KLACHTSTROOM_ENVIRONMENT=production needs KLACHTSTROOM_OIDC_ISSUER; the development "
                    "issuer is refused (set KLACHTSTROOM_ALLOW_DEVELOPMENT_ISSUER=true to allow it anyway)"
                )
            self.development = DevelopmentIssuer(settings.data_dir, settings.oidc_audience)
            self.verifier = DevelopmentVerifier(self.development, settings.oidc_leeway_seconds)
        # The rules of this service (rules.py); a test of the platform may set its own.
        self.rules: tuple[Rule, ...] = rules_for(service)
        self.sign_in: SignIn | None = None
        self._machine_token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    def install(self, app: FastAPI, session: SessionReader | None = None) -> None:
        """Put the gate in front of every route of the app (see rules.py), with staff sign-in.

        A browser without a session is sent to `/aanmelden` (signin.py); the session cookie
        stands in for the bearer header.
        """
        self.sign_in = SignIn(self.service, self.settings, self.verifier, self.development)
        app.include_router(self.sign_in.router)
        app.add_middleware(
            AccessGate,
            rules=self.rules,
            verifier=self.verifier,
            session=session or self.sign_in.read,
            sign_in=self.sign_in.location,
        )

    def dev_token(self) -> str:
        """Every role, every municipality (development issuer only): for tests and `make run`."""
        if self.development is None:
            raise DevelopmentIssuerRefused("a real issuer is configured: its tokens come from the issuer")
        return self.development.dev_token()

    def dev_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.dev_token()}"}

    async def system_token(self) -> str | None:
        """A `system`-role token for calls to peer services (Peers.token_source)."""
        cached = self._machine_token
        if cached is not None and cached[1] > time.time() + 60:
            return cached[0]
        async with self._lock:
            cached = self._machine_token
            if cached is not None and cached[1] > time.time() + 60:
                return cached[0]
            if self.development is not None:
                token = self.development.mint(
                    [Role.system], subject=f"klachtstroom-{self.service}", seconds=SYSTEM_TOKEN_SECONDS
                )
                self._machine_token = (token, time.time() + SYSTEM_TOKEN_SECONDS)
                return token
            fetched = await self._client_credentials()
            if fetched is None:
                return None
            self._machine_token = fetched
            return fetched[0]

    async def _client_credentials(self) -> tuple[str, float] | None:
        """OAuth 2.0 client credentials grant (RFC 6749 4.4) at the issuer's token endpoint."""
        client_id, secret = self.settings.oidc_client_id, self.settings.oidc_client_secret
        if not client_id or secret is None or not isinstance(self.verifier, OidcVerifier):
            return None
        endpoint = (await self.verifier.metadata())["token_endpoint"]
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
            response = await client.post(
                endpoint,
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret.get_secret_value()),
            )
            response.raise_for_status()
            body = response.json()
        return str(body["access_token"]), time.time() + float(body.get("expires_in", 300))
