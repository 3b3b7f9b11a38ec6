"""Keeping the stored terms and timers of a case in step with its facts (the unit of work of
this service). Used by the case-event handlers, the calendar API and the timer engine's sweep.

Everything happens inside the caller's transaction: the terms, the `deadline.set`/`deadline.met`
events in the outbox and the timers change together or not at all. The case row is locked
(FOR UPDATE on PostgreSQL) so two instances never recompute one case at the same time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.deadline_events import DeadlineMet, DeadlineSet
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import DeadlineState, Handler
from klachtstroom.deadlines.store import CaseRecord, StateRecord, TermRecord, TimerRecord, load_calendar, utc
from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar, default_decree_days
from klachtstroom.deadlines.terms.compute import Term, TermError, compute_terms
from klachtstroom.deadlines.terms.facts import fact_from_json, fact_to_json, facts_of
from klachtstroom.deadlines.timers.schedule import (
    PlannedTimer,
    TimerPlan,
    missed_before_start,
    plan_timers,
    term_keys,
)
from klachtstroom.platform.db import Database, insert_rows
from klachtstroom.platform.outbox import Outbox

log = logging.getLogger(__name__)

# Core executemany on the tables: the ORM-enabled bulk insert costs far more per statement, and
# nothing here needs the new rows as objects (a later query of the case loads them).
TERMS, TIMERS, CASES = (cast(Table, r.__table__) for r in (TermRecord, TimerRecord, CaseRecord))

PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"
WAITING_FOR_OPENING = (
    "Nog geen opening van de zaak ontvangen; de termijnen worden berekend zodra die binnen is."
)


@dataclass
class NewRows:
    """Rows of new cases, terms and timers of a run, inserted together (see batches.py)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)

    async def insert(self, session: AsyncSession) -> None:
        for table, rows in ((CASES, self.cases), (TERMS, self.terms), (TIMERS, self.timers)):
            if rows:
                await insert_rows(session, table, rows)
        self.cases, self.terms, self.timers = [], [], []


class TermTracker:
    def __init__(self, plan: TimerPlan, outbox: Outbox, now: Callable[[], dt.datetime]) -> None:
        self.plan = plan
        self.outbox = outbox
        self._clock = now
        # Timer plans by what they depend on: most new cases of a batch plan the same dates.
        self._plans: dict[tuple[Any, ...], list[PlannedTimer]] = {}
        self._plans_for: tuple[TermijnenwetCalendar, TimerPlan] | None = None

    def now(self) -> dt.datetime:
        """The service clock in UTC (SQLite keeps wall times: store UTC only)."""
        return utc(self._clock())

    # -- a case event --------------------------------------------------------------------------

    async def record(self, session: AsyncSession, event: ev.CaseChange, event_id: str) -> None:
        """Add the event's facts to the case and recompute its terms."""
        # Locked (FOR UPDATE always reads the row). No populate_existing: in the consumer's
        # session a case row is only ever loaded here, locked, so the copy it holds is current.
        case = await session.get(CaseRecord, event.case_id, with_for_update=True)
        now = self.now()
        fresh = case is None  # nothing stored for it yet: no terms or timers to compare with
        if case is None:
            case = CaseRecord(
                case_id=event.case_id, opened=False, facts=[], rejected=[], reachable=True, updated_at=now
            )
            session.add(case)
        await self.apply(session, case, event, event_id, now, fresh=fresh)

    async def apply(
        self,
        session: AsyncSession,
        case: CaseRecord,
        event: ev.CaseChange,
        event_id: str,
        now: dt.datetime,
        *,
        fresh: bool,
        sink: NewRows | None = None,
    ) -> None:
        """`record` once the case is at hand; with a `sink`, new term and timer rows are collected
        there (the caller inserts them, and a fresh case, together with other cases)."""
        _update_handler(case, event)
        new = [fact_to_json(f) | {"event_id": event_id} for f in facts_of(event)]
        if any(f.get("event_id") == event_id for f in (*case.facts, *case.rejected)):
            return  # already recorded (the inbox dedupes too; this guards a replay after a DLQ move)
        case.updated_at = now
        if isinstance(event, ev.CaseOpened):
            if case.opened:
                return  # opened twice: the first opening stands
            # An opening that arrives late (replayed from the dead-letter topic) goes first; the
            # facts that waited for it are then checked one event at a time.
            case.opened = True
            accepted: list[dict[str, Any]] = []
            groups = [new, *_by_event(case.facts)]
        else:
            accepted, groups = list(case.facts), [new] if new else []
        if not groups:
            return
        if not case.opened:
            case.facts, case.error, case.error_at = [*accepted, *new], WAITING_FOR_OPENING, now
            return
        terms: list[Term] | None = None
        for group in groups:
            try:
                terms = await self._compute(session, [*accepted, *group], now)
            except TermError as error:
                # A fact the term rules refuse must not stop the consumer: keep it aside with the
                # reason, and keep computing the case from the facts that were accepted.
                case.rejected = [*case.rejected, *({**f, "error": str(error)} for f in group)]
                case.error, case.error_at = str(error), now
                log.warning("deadlines: case %s: fact refused by the term rules: %s", case.case_id, error)
                continue
            accepted += group
        case.facts = accepted
        if case.error == WAITING_FOR_OPENING:
            case.error, case.error_at = None, None  # a refusal stays visible; only the wait is over
        if terms is not None:
            await self._store(session, case, terms, now, fresh=fresh, sink=sink)

    # -- recomputing (calendar change, the clock passing a due date) ----------------------------

    async def recompute(self, session: AsyncSession, case_id: str) -> bool:
        """Recompute one case from its stored facts; False when the rules now refuse them."""
        case = await session.get(CaseRecord, case_id, with_for_update=True, populate_existing=True)
        if case is None or not case.opened:
            return True
        now = self.now()
        try:
            terms = await self._compute(session, case.facts, now)
        except TermError as error:
            case.error, case.error_at = str(error), now
            log.warning("deadlines: case %s cannot be recomputed: %s", case_id, error)
            return False
        await self._store(session, case, terms, now)
        return True

    async def _compute(
        self, session: AsyncSession, facts: Sequence[dict[str, Any]], now: dt.datetime
    ) -> list[Term]:
        calendar = await load_calendar(session)
        return compute_terms([fact_from_json(f) for f in facts], self.plan.policy, calendar, local_date(now))

    # -- storing terms, events and timers -------------------------------------------------------

    async def _store(
        self,
        session: AsyncSession,
        case: CaseRecord,
        terms: list[Term],
        now: dt.datetime,
        *,
        fresh: bool = False,
        sink: NewRows | None = None,
    ) -> None:
        stored: dict[str, TermRecord] = {}
        if not fresh:
            query = select(TermRecord).where(TermRecord.case_id == case.case_id)
            stored = {t.key: t for t in (await session.scalars(query)).all()}
        events: list[Payload] = []
        added: list[dict[str, Any]] = []
        keys = term_keys(terms)
        for key, term in zip(keys, terms, strict=True):
            record = stored.get(key)
            if record is None:
                added.append(
                    {"case_id": case.case_id, "key": key, "kind": term.kind.value, **_columns(term, now)}
                )
                changed, met = True, term.state is DeadlineState.met
            else:
                changed = (record.due, record.state, record.start) != (term.due, term.state.value, term.start)
                met = term.state is DeadlineState.met and record.state != DeadlineState.met.value
                if changed or _details_differ(record, term):
                    for name, value in _columns(term, now).items():
                        setattr(record, name, value)
            if changed:
                events.append(_deadline_set(case.case_id, term, now))
            if met and term.met_on is not None:
                events.append(
                    DeadlineMet(
                        case_id=case.case_id, kind=term.kind, due=term.due, at=now, met_on=term.met_on
                    )
                )
        if sink is not None:
            sink.terms += added
        elif added:  # one Core executemany for all new rows (the hot path: every new case)
            await insert_rows(session, TERMS, added)
        for payload in events:
            await self.outbox.add(session, payload, subject=case.case_id)
        await self._reconcile_timers(session, case, terms, keys, now, fresh=fresh, sink=sink)

    async def _reconcile_timers(
        self,
        session: AsyncSession,
        case: CaseRecord,
        terms: list[Term],
        keys: list[str],
        now: dt.datetime,
        *,
        fresh: bool,
        sink: NewRows | None = None,
    ) -> None:
        """Make the pending timers of the case exactly the planned ones.

        Fired timers are history and never touched. A planned timer that exists as cancelled
        (the due date came back) is made pending again. A warning for a term already past its
        due date is not started, but one that is pending (missed while the service was down)
        is kept: after downtime every missed timer fires once.
        """
        calendar = await load_calendar(session)
        today = local_date(now)
        wanted: dict[tuple[str, str, dt.date], tuple[Term, PlannedTimer]] = {}
        skipped: set[tuple[str, str, dt.date]] = set()
        for key, term in zip(keys, terms, strict=True):
            planned = self._plan_timers(term, calendar, sensitive=case.sensitive)
            skipped |= {(key, t.step, t.due) for t in missed_before_start(planned, now)}
            for timer in planned:
                wanted[(key, timer.step, timer.due)] = (term, timer)
        have: dict[tuple[str, str, dt.date], TimerRecord] = {}
        if not fresh:
            # Locked and re-read: a timer the engine fires right now is seen as fired, never cancelled.
            query = (
                select(TimerRecord)
                .where(TimerRecord.case_id == case.case_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            have = {(t.term_key, t.step, t.due): t for t in (await session.scalars(query)).all()}
        for ident, row in have.items():
            if row.state == FIRED:
                continue  # history: each step fires once per due date
            if ident not in wanted:
                if row.state == PENDING:
                    row.state = CANCELLED
                continue
            term, timer = wanted[ident]
            if row.state == CANCELLED and not timer.is_stale(today):
                row.state = PENDING
            if row.state == PENDING and utc(row.fire_at) != timer.fire_at:
                row.fire_at = timer.fire_at
        added = [
            {
                "case_id": case.case_id,
                "term_key": ident[0],
                "kind": term.kind.value,
                "step": timer.step,
                "due": timer.due,
                "fire_at": timer.fire_at,
                "state": PENDING,
                "created_at": now,
            }
            for ident, (term, timer) in wanted.items()
            # A new timer for a step already long past is not started (back-dated registration).
            if ident not in have and not timer.is_stale(today) and ident not in skipped
        ]
        if sink is not None:
            sink.timers += added
        elif added:
            await insert_rows(session, TIMERS, added)

    def _plan_timers(
        self, term: Term, calendar: TermijnenwetCalendar, *, sensitive: bool
    ) -> list[PlannedTimer]:
        """`plan_timers`, remembered per calendar and plan (a plan depends on no more than the key)."""
        source = self._plans_for
        if (
            source is None
            or source[0] is not calendar
            or source[1] is not self.plan
            or len(self._plans) > 10_000
        ):
            self._plans, self._plans_for = {}, (calendar, self.plan)
        key = (term.kind, term.is_open, term.state, term.start, term.due, sensitive)
        planned = self._plans.get(key)
        if planned is None:
            planned = self._plans[key] = plan_timers(term, self.plan, calendar, sensitive=sensitive)
        return planned


def _by_event(facts: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Stored facts grouped by the event that brought them, in order."""
    groups: dict[object, list[dict[str, Any]]] = {}
    for fact in facts:
        groups.setdefault(fact.get("event_id", id(fact)), []).append(fact)
    return list(groups.values())


def _update_handler(case: CaseRecord, event: ev.CaseChange) -> None:
    """Who handles the case, for the addresses of warnings and escalations."""
    case.state = event.state
    match event:
        case ev.CaseOpened():
            case.kind, case.reachable = event.kind.value, event.complainant_reachable
            case.reference = event.reference
            case.handler, case.handler_name = event.handler.value, event.handler_name
            case.provider, case.municipality, case.unit = event.provider, event.municipality, event.unit
            case.sensitive = case.sensitive or event.urgent or event.flagged_for_coordinator
        case ev.CaseAssigned():
            case.handler, case.handler_name = event.handler.value, event.handler_name
            case.unit = event.unit or case.unit
            case.provider = event.provider if event.handler is Handler.provider else case.provider
        case ev.CaseReferred():
            case.handler, case.provider = Handler.provider.value, event.provider
        case ev.CaseForwarded(keep_complaint=True):
            case.kind = "complaint"  # handled as a complaint too: its terms are chased like any other


def _details_differ(record: TermRecord, term: Term) -> bool:
    return (
        record.explanation != term.explanation
        or record.extended_weeks != term.extended_weeks
        or record.met_on != term.met_on
        or record.closed_on != term.closed_on
        or record.unmoved_due != term.unmoved_due
    )


def _columns(term: Term, now: dt.datetime) -> dict[str, Any]:
    return {
        "start": term.start,
        "due": term.due,
        "unmoved_due": term.unmoved_due,
        "state": term.state.value,
        "extended_weeks": term.extended_weeks,
        "met_on": term.met_on,
        "closed_on": term.closed_on,
        "provider": term.provider,
        "explanation": list(term.explanation),
        "updated_at": now,
    }


def _deadline_set(case_id: str, term: Term, now: dt.datetime) -> DeadlineSet:
    return DeadlineSet(
        case_id=case_id,
        kind=term.kind,
        due=term.due,
        at=now,
        start=term.start,
        unmoved_due=term.unmoved_due,
        state=term.state,
        extended_weeks=term.extended_weeks,
        explanation=list(term.explanation),
    )


# -- recomputing every open case (a calendar change, new rules after a release) -------------------

_OPEN_STATES = (DeadlineState.running.value, DeadlineState.suspended.value)


async def recompute_open_cases(db: Database, tracker: TermTracker, chunk: int = 200) -> int:
    """Recompute every case with a term still open, in transactions of `chunk` cases."""
    total, after = 0, ""
    while True:
        async with db.reading() as session:
            ids = (
                await session.scalars(
                    select(TermRecord.case_id)
                    .where(
                        or_(
                            TermRecord.state.in_(_OPEN_STATES),
                            and_(
                                TermRecord.state == DeadlineState.breached.value,
                                TermRecord.closed_on.is_(None),
                            ),
                        ),
                        TermRecord.case_id > after,
                    )
                    .distinct()
                    .order_by(TermRecord.case_id)
                    .limit(chunk)
                )
            ).all()
        if not ids:
            return total
        async with db.transaction() as session:
            for case_id in ids:
                await tracker.recompute(session, case_id)
        total += len(ids)
        after = ids[-1]


def rules_fingerprint(plan: TimerPlan) -> str:
    """A hash of everything terms and timers are computed by, apart from the stored calendar days."""
    text = json.dumps(
        {
            "policy": asdict(plan.policy),
            "ladder": list(plan.ladder),
            "hours": [plan.warning_hour, plan.escalation_hour],
            "kinds": sorted(plan.kinds),
            "decrees": [(d.isoformat(), name) for d, name in default_decree_days()],
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


async def recompute_if_rules_changed(db: Database, tracker: TermTracker) -> int:
    """After a release or a settings change (new decrees shipped, another warning period):
    recompute the open cases once, so their terms and timers follow the new rules."""
    fingerprint = rules_fingerprint(tracker.plan)
    async with db.reading() as session:
        stored = await session.get(StateRecord, "rules_fingerprint")
    if stored is not None and stored.value == fingerprint:
        return 0
    count = await recompute_open_cases(db, tracker)
    async with db.transaction() as session:
        record = await session.get(StateRecord, "rules_fingerprint", with_for_update=True)
        if record is None:
            session.add(StateRecord(name="rules_fingerprint", value=fingerprint))
        else:
            record.value = fingerprint
    if count:
        log.info("deadlines: rules changed; %d open cases recomputed", count)
    return count
