"""Calls from one klachtstroom service to another's public HTTP API (never to its database).

A service that needs a fact another service owns (the complaint text for a case page, everything
held about a person for a request for access) asks that service's API, as a machine client.
`Peers` holds one httpx client per peer service: base URL from `KLACHTSTROOM_<SERVICE>_URL`
(default `http://127.0.0.1:<port>`), timeouts, no redirects, and a bearer token from the
configured `token_source` (the access-control module sets it; none means no header).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import httpx

DEFAULT_PORTS = {"intake": 8000, "routing": 8001, "deadlines": 8002, "reporting": 8003}

TokenSource = Callable[[], Awaitable[str | None]]


def peer_url(service: str) -> str:
    """Where a peer service answers: `KLACHTSTROOM_<SERVICE>_URL`, else its default local port."""
    configured = os.environ.get(f"KLACHTSTROOM_{service.upper()}_URL")
    if configured:
        return configured.rstrip("/")
    port = os.environ.get(f"KLACHTSTROOM_{service.upper()}_PORT", str(DEFAULT_PORTS[service]))
    return f"http://127.0.0.1:{port}"


async def _no_token() -> str | None:
    return None


class _BearerFromSource(httpx.Auth):
    """Adds `Authorization: Bearer <token>` from the token source, asked anew for each request."""

    def __init__(self, source: TokenSource) -> None:
        self._source = source

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        token = await self._source()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


class Peers:
    """One lazily created HTTP client per peer service, closed with the service."""

    def __init__(self, token_source: TokenSource | None = None, timeout_seconds: float = 10.0) -> None:
        self.token_source: TokenSource = token_source or _no_token
        self._timeout = httpx.Timeout(timeout_seconds)
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, service: str) -> httpx.AsyncClient:
        client = self._clients.get(service)
        if client is None:
            client = httpx.AsyncClient(
                base_url=peer_url(service),
                timeout=self._timeout,
                follow_redirects=False,
                auth=_BearerFromSource(lambda: self.token_source()),
            )
            self._clients[service] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
