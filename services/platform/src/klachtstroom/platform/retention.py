"""Retention across the services (Selectielijst gemeenten), one mechanism for all.

Routing owns the lifecycle, so routing decides which closed files passed their retention term
(`GET /api/v1/privacy/retention/due`). Every other service destroys its own copy of those
files: daily by itself (`daily_retention`), or at once when intake's admin endpoint asks
(`POST /api/v1/privacy/retention/run` with the ids, `retention_router`). Destroying removes
personal data and free text and keeps what reports count; doing it twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.service import Service

log = logging.getLogger(__name__)

# Destroys the service's personal data of these complaints; returns the ids it changed.
Destroyer = Callable[[Sequence[str], datetime], Awaitable[list[str]]]


class RetentionRun(BaseModel):
    as_of: date | None = None
    complaint_ids: list[str] | None = Field(default=None, max_length=100_000)


async def files_past_term(service: Service, as_of: date) -> list[str]:
    """The complaint ids whose retention term ended by `as_of`, as routing decides."""
    response = await service.peers.client("routing").get(
        "/api/v1/privacy/retention/due", params={"as_of": as_of.isoformat()}
    )
    response.raise_for_status()
    ids: list[str] = response.json()["complaint_ids"]
    return ids


async def run(service: Service, destroy: Destroyer, run: RetentionRun) -> dict[str, Any]:
    as_of = run.as_of or local_date(service.clock.now())
    ids = run.complaint_ids if run.complaint_ids is not None else await files_past_term(service, as_of)
    destroyed = await destroy(ids, service.clock.now()) if ids else []
    if destroyed:
        log.info("retention: personal data of %d files destroyed", len(destroyed))
    return {
        "service": service.name,
        "as_of": as_of.isoformat(),
        "destroyed": len(destroyed),
        "ids": destroyed,
    }


def retention_router(service: Service, destroy: Destroyer) -> APIRouter:
    router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])

    @router.post("/retention/run")
    async def retention_run(body: Annotated[RetentionRun | None, Body()] = None) -> dict[str, Any]:
        """Destroy this service's personal data of files past their term (ids given, or asked of routing)."""
        return await run(service, destroy, body or RetentionRun())

    return router


def daily_retention(
    service: Service, destroy: Destroyer, every_seconds: float = 86_400.0
) -> Callable[[], Coroutine[Any, Any, None]]:
    """The daily job: every `every_seconds` (a day) after the service started."""

    async def job() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await run(service, destroy, RetentionRun())
            except Exception as error:  # routing unreachable, a lock: the next round tries again
                log.warning("retention run failed (%s)", type(error).__name__)

    return job
