"""A run of case events of one consumed batch, handled with few statements.

Most events are openings of new cases (one per complaint). One query finds which of the run's
cases are stored already; a new case opened in the run is computed in memory and its row, terms
and timers are inserted together with those of the other new cases. Every other event (a case
that exists, a second event of a case in the run) goes through `TermTracker.record` in turn,
after the rows it may read are inserted: the outcome is that of the events one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.envelope import Envelope
from klachtstroom.deadlines.store import CaseRecord
from klachtstroom.deadlines.tracking.tracker import CASES, NewRows, TermTracker
from klachtstroom.platform.telemetry import propagating


async def record_run(
    tracker: TermTracker, session: AsyncSession, run: Sequence[tuple[Envelope, ev.CaseChange]]
) -> None:
    openings = {event.case_id for _envelope, event in run if isinstance(event, ev.CaseOpened)}
    # No lock needed here: a case found is locked by `record` when its event comes; a case not
    # found has no row to lock (another instance inserting it too fails the batch on the key).
    stored: set[str] = set()
    if openings:
        found = await session.execute(select(CaseRecord.case_id).where(CaseRecord.case_id.in_(openings)))
        stored = set(found.scalars())
    seen: set[str] = set()  # cases an earlier event of the run touched
    pending, waiting = NewRows(), set[str]()  # new cases not inserted yet
    for envelope, event in run:
        with propagating(envelope.traceparent):
            case_id = event.case_id
            if isinstance(event, ev.CaseOpened) and case_id not in stored and case_id not in seen:
                now = tracker.now()
                case = CaseRecord(
                    case_id=case_id, opened=False, sensitive=False, facts=[], rejected=[], updated_at=now
                )
                await tracker.apply(session, case, event, envelope.id, now, fresh=True, sink=pending)
                pending.cases.append({column.key: getattr(case, column.key) for column in CASES.columns})
                waiting.add(case_id)
            else:
                if case_id in waiting:  # its row, terms and timers must be there to be read
                    await pending.insert(session)
                    waiting.clear()
                await tracker.record(session, event, envelope.id)
            seen.add(case_id)
    await pending.insert(session)
