"""The units the public form and the KCC screen offer come from routing's rules.

A form must not offer a unit routing does not know (it would route the complaint to the
coordinator, flagged). Routing answers `GET /api/v1/routing-rules/units`; the list is kept
for a minute. When routing knows no units (it then accepts every unit) or cannot be reached
before it ever answered, intake's configured list is used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from klachtstroom.platform.peers import Peers

log = logging.getLogger(__name__)

KEEP_SECONDS = 60.0


class RoutingUnits:
    def __init__(
        self, peers: Peers, configured: list[str], now: Callable[[], float] = time.monotonic
    ) -> None:
        self.peers = peers
        self.configured = list(configured)
        self._known: list[str] | None = None
        self._fetched_at = -KEEP_SECONDS
        self._now = now

    @property
    def current(self) -> list[str]:
        return self._known or self.configured

    async def refresh(self) -> list[str]:
        if self._now() - self._fetched_at < KEEP_SECONDS:
            return self.current
        self._fetched_at = self._now()
        try:
            response = await self.peers.client("routing").get("/api/v1/routing-rules/units", timeout=2.0)
            response.raise_for_status()
            items = response.json().get("items")
            if isinstance(items, list):
                self._known = [str(item) for item in items]
        except (httpx.HTTPError, ValueError):
            log.warning("routing's unit list could not be read; the last known list stays")
        return self.current
