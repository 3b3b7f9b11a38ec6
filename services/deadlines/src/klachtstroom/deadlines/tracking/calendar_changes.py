"""A change of the calendar moves only the terms that run across it, in the background.

Adding a decree day or a local closing day (or removing one) changes a term only when the day
falls inside it: between its start and its due date (a due date that falls on the new day moves
to the next working day, so the due date itself counts). The request stores the days and one
`calendar_changes` row and answers at once; `CalendarChanges.run` then recomputes the cases with
such a term, a chunk of cases per transaction, and keeps its place in the row (`cursor`), so a
restart goes on where it stopped. A suspended term is always recomputed: its due date is only
known again when the case resumes.

Recomputing is idempotent (terms follow from the case's facts and the calendar), so a case done
twice, by a crash between chunks or by two instances, ends the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Select, and_, or_, select

from klachtstroom.contracts.vocabulary import DeadlineState
from klachtstroom.deadlines.store import CalendarChangeRecord, TermRecord
from klachtstroom.deadlines.tracking.tracker import TermTracker
from klachtstroom.platform.db import Database

log = logging.getLogger(__name__)

PENDING, DONE = "pending", "done"
IDLE_SECONDS = 30.0  # a change made by another instance is picked up within this time


class CalendarChanges:
    def __init__(
        self,
        db: Database,
        tracker: TermTracker,
        now: Callable[[], dt.datetime],
        *,
        chunk: int = 500,
        after_chunk: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._tracker = tracker
        self._now = now
        self._chunk = chunk
        self._after_chunk = after_chunk  # wake the outbox relay and the timer engine
        self._wake = asyncio.Event()

    async def request(self, days: Sequence[dt.date]) -> CalendarChangeRecord:
        """Record that these days changed (call after the days themselves are stored)."""
        async with self._db.transaction() as session:
            change = CalendarChangeRecord(
                first_day=min(days),
                last_day=max(days),
                state=PENDING,
                cursor="",
                recomputed=0,
                requested_at=self._now(),
            )
            session.add(change)
            await session.flush()
        self._wake.set()
        return change

    async def get(self, change_id: int) -> CalendarChangeRecord | None:
        async with self._db.reading() as session:
            return await session.get(CalendarChangeRecord, change_id)

    async def run_pending(self) -> int:
        """Work through every pending change, oldest first; the number of cases recomputed."""
        total = 0
        while True:
            async with self._db.reading() as session:
                change = await session.scalar(
                    select(CalendarChangeRecord)
                    .where(CalendarChangeRecord.state == PENDING)
                    .order_by(CalendarChangeRecord.id)
                    .limit(1)
                )
            if change is None:
                return total
            total += await self._work_through(change)

    async def _work_through(self, change: CalendarChangeRecord) -> int:
        cursor, done = change.cursor, 0
        while True:
            async with self._db.reading() as session:
                ids = (await session.scalars(self._affected(change, cursor))).all()
            async with self._db.transaction() as session:
                if ids:
                    for case_id in ids:  # the calendar is read once per session (load_calendar)
                        await self._tracker.recompute(session, case_id)
                    cursor, done = ids[-1], done + len(ids)
                row = await session.get(CalendarChangeRecord, change.id, with_for_update=True)
                if row is None:
                    return done
                row.cursor, row.recomputed = cursor, row.recomputed + len(ids)
                if not ids:
                    row.state, row.finished_at = DONE, self._now()
            if ids:
                self._after_chunk()
            if not ids:
                log.info("calendar change %s done: %d cases recomputed", change.id, done)
                return done

    def _affected(self, change: CalendarChangeRecord, after: str) -> Select[str]:
        still_open = or_(
            TermRecord.state == DeadlineState.running.value,
            and_(TermRecord.state == DeadlineState.breached.value, TermRecord.closed_on.is_(None)),
        )
        crosses = and_(still_open, TermRecord.start <= change.last_day, TermRecord.due >= change.first_day)
        return (
            select(TermRecord.case_id)
            .where(
                or_(crosses, TermRecord.state == DeadlineState.suspended.value), TermRecord.case_id > after
            )
            .distinct()
            .order_by(TermRecord.case_id)
            .limit(self._chunk)
        )

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """The background task: recompute whenever a change is requested (or another instance's is)."""
        while True:
            self._wake.clear()
            try:
                await self.run_pending()
            except Exception:  # a database hiccup must not end the task; try again later
                log.exception("calendar changes: recompute failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=IDLE_SECONDS)
