"""The measures providers reported, asked from their owner, routing, when a provider report is made.

Measures are free text a provider writes (they may name people), so they never travel in an
event (DESIGN.md "Personal data"); `ProviderStatusReported.has_measures` only says there are
some. The provider report asks routing's `GET /api/v1/cases/{id}` for the cases it covers and
takes the measures from their history, in the order the cases are listed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx

from klachtstroom.platform.peers import Peers

log = logging.getLogger(__name__)

CONCURRENT_REQUESTS = 8


class MeasuresUnavailable(RuntimeError):
    """Routing could not give the measures of a case now."""


async def measures_of_cases(peers: Peers, case_ids: Sequence[str]) -> list[str]:
    """Every measure text reported on these cases, in case order, each text once."""
    limit = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def one(case_id: str) -> list[str]:
        async with limit:
            return await _measures_of(peers, case_id)

    per_case = await asyncio.gather(*(one(case_id) for case_id in case_ids))
    seen: dict[str, None] = {}
    for texts in per_case:
        for text in texts:
            seen.setdefault(text, None)
    return list(seen)


async def _measures_of(peers: Peers, case_id: str) -> list[str]:
    try:
        response = await peers.client("routing").get(f"/api/v1/cases/{case_id}")
    except httpx.HTTPError as error:
        raise MeasuresUnavailable(type(error).__name__) from None
    if response.status_code == 404:
        return []  # a case routing does not (yet) know has no measures
    if response.status_code != 200:
        raise MeasuresUnavailable(f"HTTP {response.status_code}")
    texts = []
    for entry in response.json().get("history", []):
        data = entry.get("data") or {}
        measures = data.get("measures")
        if entry.get("event_type") == "provider_status" and isinstance(measures, str) and measures.strip():
            texts.append(measures.strip())
    return texts
