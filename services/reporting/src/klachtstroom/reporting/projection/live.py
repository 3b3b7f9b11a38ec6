"""Keeps the projection and the signals current: fold after each batch, trends on a timer.

- After each consumed batch: fold the complaints with new events and raise urgent signals
  for them, in one transaction with their outbox events.
- Trends: after a batch at most every `trend_min_gap_seconds`, and every
  `trend_interval_seconds` in any case (also when the test clock moves), as of today's Dutch date.
- A timer also folds what a failed round left behind, so nothing waits for the next event.
"""

from __future__ import annotations

import asyncio
import logging
import time

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.service import Service
from klachtstroom.reporting.projection.queries import live_set, refold_pending
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals.desk import SignalDesk

log = logging.getLogger(__name__)

FOLD_POLL_SECONDS = 2.0


class Refresher:
    def __init__(self, service: Service, desk: SignalDesk, settings: ReportingSettings) -> None:
        self.service = service
        self.desk = desk
        self.settings = settings
        self._lock = asyncio.Lock()
        self._last_trends = 0.0
        self.folded = 0

    async def fold_pending(self) -> int:
        """Fold every complaint with unfolded events; returns how many rows were refreshed."""
        total = raised = 0
        async with self._lock:
            while True:
                async with self.service.db.transaction() as session:
                    pset = await live_set(session, lock="share")
                    folded = await refold_pending(session, pset)
                    raised += await self.desk.raise_urgent(session, folded.facts)
                if not folded.complaints:
                    break
                total += folded.complaints
        self.folded += total
        if raised:
            self.service.outbox.notify()
            self.desk.wake_sender()
        return total

    async def detect_trends(self) -> int:
        self._last_trends = time.monotonic()
        as_of = local_date(self.service.clock.now())
        async with self._lock, self.service.db.transaction() as session:
            raised = await self.desk.raise_trends(session, as_of)
        if raised:
            self.service.outbox.notify()
            self.desk.wake_sender()
        return raised

    async def after_batch(self) -> None:
        """Consumer hook: runs after each committed batch; a failure here waits for the timer."""
        try:
            await self.fold_pending()
            if time.monotonic() - self._last_trends >= self.settings.trend_min_gap_seconds:
                await self.detect_trends()
        except Exception as error:
            log.warning("reporting: refresh after batch failed (%s); the timer retries", type(error).__name__)

    async def on_clock_moved(self) -> None:
        await self.fold_pending()
        await self.detect_trends()

    async def run(self) -> None:
        """Background task: fold leftovers, and detect trends every `trend_interval_seconds`."""
        while True:
            try:
                await self.fold_pending()
                if time.monotonic() - self._last_trends >= self.settings.trend_interval_seconds:
                    await self.detect_trends()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("reporting: refresh failed (%s); retrying", type(error).__name__)
            await asyncio.sleep(FOLD_POLL_SECONDS)
