"""The durable timer engine: fires warnings, breaches and escalations from the `timers` table.

Firing a timer is one database transaction: the due rows are claimed (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so a second instance skips what the first holds; on SQLite every write
transaction is exclusive), the event goes into the outbox, the notifications are written and
queued on the outbound queue (notifications/delivery.py), and the timer is marked fired. A crash before the
commit leaves the timer pending, so it fires after the restart; a commit makes it fired for
every instance. Each timer therefore fires exactly once, and after downtime the missed ones
fire in the order they were due.

Who hears of it: one e-mail per person per firing round — a digest when several cases need
the same person — and none for a case that routing closed, merged or forwarded (its pending
timers are cancelled instead of fired), nor for one that is not a complaint or whose
complainant cannot be reached (the event is still written: the term did pass).

The loop sleeps until the next timer is due (or midnight, or a change wakes it). After the
test clock moves, `service.clock_hooks` runs it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.deadline_events import DeadlineBreached, DeadlineEscalated, DeadlineWarning
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.deadlines.notifications.messages import TermNotice, compose, compose_digest
from klachtstroom.deadlines.notifications.recipients import EscalationBook, EscalationConfig
from klachtstroom.deadlines.store import (
    CaseRecord,
    TermRecord,
    TimerRecord,
    load_calendar,
    utc,
)
from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar
from klachtstroom.deadlines.timers.schedule import BREACH, WARNING, local_moment
from klachtstroom.deadlines.tracking.tracker import CANCELLED, FIRED, PENDING, TermTracker
from klachtstroom.platform.db import Database
from klachtstroom.platform.metrics import timer_lag
from klachtstroom.platform.outbox import Outbox

log = logging.getLogger(__name__)

# Writes a firing round's notifications and queues their delivery, in the round's transaction.
RecordNotifications = Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]]

# Routing's states after which a term needs no chasing (merged and forwarded included: a merged
# duplicate lives on in the kept case, a forwarded objection or question left the procedure).
SILENT_STATES = frozenset({"resolved", "declined", "withdrawn", "merged", "forwarded"})


class TimerEngine:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        tracker: TermTracker,
        book: EscalationBook,
        *,
        now: Callable[[], dt.datetime],
        batch: int = 500,
        max_sleep: float = 30.0,
        instance: str | None = None,
        record_notifications: RecordNotifications,
        on_fired: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.tracker = tracker
        self.book = book
        self._clock = now
        self.batch = batch
        self.max_sleep = max_sleep
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.record_notifications = record_notifications
        self.on_fired = on_fired
        self.fired = 0
        self.wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._swept_on = dt.date.min

    def now(self) -> dt.datetime:
        """The service clock in UTC (SQLite compares wall times: never store another zone)."""
        return utc(self._clock())

    # -- the loop ------------------------------------------------------------------------------------

    def wake(self) -> None:
        self.wakeup.set()

    async def wake_async(self) -> None:
        """For hooks that expect a coroutine (a consumer's after_commit)."""
        self.wake()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                fired = await self.run_due()
                delay = await self.seconds_to_next()
                if delay == 0 and not fired:
                    delay = 0.05  # due timers held by another instance: let it commit first
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: keep the timers, try again
                log.exception("timer engine: run failed; retrying in %.1fs", backoff)
                delay, backoff = backoff, min(backoff * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=delay)
            self.wakeup.clear()

    async def run_due(self, *, clock_moved: bool = False) -> int:
        """Fire every due timer (in batches, in due order), then recompute terms the day passed."""
        async with self._lock:
            fired = 0
            while True:
                n = await self.fire_batch()
                fired += n
                if n < self.batch:
                    break
            swept = await self.sweep(force=clock_moved)
        if fired or swept:
            self.outbox.notify()
        if fired:
            self.on_fired()
        return fired

    async def on_clock_moved(self) -> None:
        await self.run_due(clock_moved=True)

    async def seconds_to_next(self) -> float:
        async with self.db.reading() as session:
            next_at = (
                await session.execute(
                    select(func.min(TimerRecord.fire_at)).where(TimerRecord.state == PENDING)
                )
            ).scalar_one_or_none()
        now = self.now()
        midnight = local_moment(local_date(now) + dt.timedelta(days=1))
        candidates = [self.max_sleep, (midnight - now).total_seconds()]
        if next_at is not None:
            candidates.append((utc(next_at) - now).total_seconds())
        return max(0.0, min(candidates))

    # -- firing --------------------------------------------------------------------------------------

    async def fire_batch(self) -> int:
        now = self.now()
        async with self.db.transaction() as session:
            timers = (
                await session.scalars(
                    select(TimerRecord)
                    .where(TimerRecord.state == PENDING, TimerRecord.fire_at <= now)
                    .order_by(TimerRecord.fire_at, TimerRecord.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not timers:
                return 0
            config = await self.book.current(session)
            context = await _FiringContext.load(session, {t.case_id for t in timers}, config)
            notifications: list[dict[str, Any]] = []
            fired: list[TimerRecord] = []
            for timer in timers:
                if context.is_silent(timer.case_id):
                    timer.state = CANCELLED  # closed, merged or forwarded: nothing to chase
                    continue
                fired.append(timer)
                payload = context.event(timer, now)
                envelope = await self.outbox.add(session, payload, subject=timer.case_id)
                notifications += context.notifications(timer, envelope, now)
                timer.state, timer.fired_at, timer.fired_by, timer.event_id = (
                    FIRED,
                    now,
                    self.instance,
                    envelope.id,
                )
            await self.record_notifications(session, one_mail_per_person(notifications))
        for timer in fired:  # how late each fired, after its transaction committed
            timer_lag.record(max(0.0, (now - utc(timer.fire_at)).total_seconds()))
        self.fired += len(timers)
        return len(timers)

    # -- the day passing -----------------------------------------------------------------------------

    async def sweep(self, *, force: bool = False) -> int:
        """Recompute cases whose running terms passed their due date (state -> breached, or a
        decline term lapsing), so the stored terms and `deadline.set` follow the clock.

        Once per Dutch calendar day is enough — only a new day turns a running term into a late
        one; everything else that changes a term recomputes it right away — and again whenever
        the test clock moved (`force`)."""
        today = local_date(self.now())
        if today == self._swept_on and not force:
            return 0
        total, after = 0, ""
        while True:
            async with self.db.reading() as session:
                found = (
                    await session.scalars(
                        select(TermRecord.case_id)
                        .where(
                            TermRecord.state == DeadlineState.running.value,
                            TermRecord.due < today,
                            TermRecord.case_id > after,
                        )
                        .distinct()
                        .order_by(TermRecord.case_id)
                        .limit(200)
                    )
                ).all()
            if not found:
                break
            after = found[-1]
            async with self.db.transaction() as session:
                for case_id in found:
                    await self.tracker.recompute(session, case_id)
            total += len(found)
        self._swept_on = today
        return total


class _FiringContext:
    """What the timers of one batch need to know about their cases, read once per batch."""

    def __init__(
        self,
        cases: dict[str, Any],
        explanations: dict[tuple[str, str], list[str]],
        calendar: TermijnenwetCalendar,
        config: EscalationConfig,
    ) -> None:
        self.cases = cases
        self.explanations = explanations
        self.calendar = calendar
        self.config = config

    @classmethod
    async def load(
        cls, session: AsyncSession, case_ids: set[str], config: EscalationConfig
    ) -> _FiringContext:
        ids = list(case_ids)
        cases = {
            row.case_id: row
            for row in (
                await session.execute(
                    select(
                        CaseRecord.case_id,
                        CaseRecord.reference,
                        CaseRecord.handler_name,
                        CaseRecord.provider,
                        CaseRecord.municipality,
                        CaseRecord.unit,
                        CaseRecord.state,
                        CaseRecord.kind,
                        CaseRecord.reachable,
                    ).where(CaseRecord.case_id.in_(ids))
                )
            ).all()
        }
        explanations: dict[tuple[str, str], list[str]] = {}
        if config.handlers or config.default_handler or config.levels:
            rows = await session.execute(
                select(TermRecord.case_id, TermRecord.key, TermRecord.explanation).where(
                    TermRecord.case_id.in_(ids)
                )
            )
            explanations = {(r.case_id, r.key): list(r.explanation or []) for r in rows}
        return cls(cases, explanations, await load_calendar(session), config)

    def is_silent(self, case_id: str) -> bool:
        case = self.cases.get(case_id)
        return case is not None and case.state in SILENT_STATES

    def mails_wanted(self, case_id: str) -> bool:
        """Only complaints whose complainant can be reached are chased by e-mail."""
        case = self.cases.get(case_id)
        return case is None or ((case.kind in (None, "complaint")) and case.reachable is not False)

    def event(self, timer: TimerRecord, now: dt.datetime) -> Payload:
        case = self.cases.get(timer.case_id)
        kind = DeadlineKind(timer.kind)
        handler = case.handler_name if case else None
        if timer.step == WARNING:
            left = self.calendar.working_days_between(local_date(now), timer.due)
            return DeadlineWarning(
                case_id=timer.case_id, kind=kind, due=timer.due, at=now, working_days_left=left,
                recipient=handler or "handler",
            )  # fmt: skip
        if timer.step == BREACH:
            return DeadlineBreached(
                case_id=timer.case_id, kind=kind, due=timer.due, at=now,
                handler=handler or (case.unit if case else None), provider=case.provider if case else None,
            )  # fmt: skip
        recipient = (handler or "handler") if timer.step == "handler" else timer.step
        return DeadlineEscalated(
            case_id=timer.case_id, kind=kind, due=timer.due, at=now, level=timer.step, recipient=recipient
        )

    def notifications(self, timer: TimerRecord, envelope: Envelope, now: dt.datetime) -> list[dict[str, Any]]:
        case = self.cases.get(timer.case_id)
        rows: list[dict[str, Any]] = []
        base = {"timer_id": timer.id, "case_id": timer.case_id, "step": timer.step, "created_at": now}
        where = (case.municipality, case.unit) if case else (None, None)
        if not self.mails_wanted(timer.case_id):
            addresses: list[str] = []
        elif timer.step in (WARNING, BREACH, "handler"):
            names = (case.handler_name, case.provider, case.unit) if case else ()
            addresses = self.config.handler_addresses(*names, municipality=where[0], unit=where[1])
        else:
            addresses = self.config.level_addresses(timer.step, municipality=where[0], unit=where[1])
        if addresses:
            today = local_date(now)
            days = (
                self.calendar.working_days_between(today, timer.due)
                if timer.step == WARNING
                else self.calendar.working_days_between(timer.due, today)
            )
            organisation = " / ".join(p for p in (case.municipality, case.unit) if p) if case else None
            subject, body = compose(
                TermNotice(
                    step=timer.step, kind=DeadlineKind(timer.kind), case_id=timer.case_id,
                    reference=case.reference if case else None, due=timer.due, working_days=days,
                    explanation=self.explanations.get((timer.case_id, timer.term_key), ()),
                    organisation=(case.provider if case and case.provider else None) or organisation or None,
                )
            )  # fmt: skip
            notice = TermNotice(
                step=timer.step, kind=DeadlineKind(timer.kind), case_id=timer.case_id,
                reference=case.reference if case else None, due=timer.due, working_days=days,
                organisation=(case.provider if case and case.provider else None) or organisation or None,
            )  # fmt: skip
            for address in dict.fromkeys(addresses):
                rows.append(
                    {**base, "channel": "email", "target": address, "subject": subject, "body": body}
                    | {_NOTICE: notice}
                )
        for hook in dict.fromkeys(w.url for w in self.config.webhooks):
            rows.append(
                {
                    **base,
                    "channel": "webhook",
                    "target": hook,
                    "subject": envelope.type,
                    "body": envelope.model_dump_json(),
                }
            )
        return rows


_NOTICE = "_notice"  # the notice behind an e-mail row, until the mails of a round are merged


def one_mail_per_person(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One e-mail per address per round: several notices for one person become one digest."""
    by_address: dict[str, list[dict[str, Any]]] = {}
    others: list[dict[str, Any]] = []
    for row in rows:
        if row["channel"] == "email":
            by_address.setdefault(row["target"], []).append(row)
        else:
            others.append(row)
    mails: list[dict[str, Any]] = []
    for address, group in by_address.items():
        first = {k: v for k, v in group[0].items() if k != _NOTICE}
        if len(group) == 1:
            mails.append(first)
            continue
        subject, body = compose_digest([row[_NOTICE] for row in group])
        mails.append(first | {"step": "digest", "target": address, "subject": subject, "body": body})
    return mails + others


__all__ = ["FIRED", "PENDING", "TimerEngine", "one_mail_per_person"]
