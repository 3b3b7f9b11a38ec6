"""The projection in the database: log events, fold them into rows, read the rows back.

Consumed events are only *logged* inside the consumer's batch transaction (cheap inserts);
`refold_pending` then folds every complaint with unfolded events, once per batch, in one
transaction of its own. A crash between the two leaves the events marked unfolded, so the
next round (after the next batch, or the timer) picks them up: nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.reporting.projection.event_log import LogEntry, LoggedEvent
from klachtstroom.reporting.projection.fold import fold
from klachtstroom.reporting.projection.record import CaseRecord
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.store import POINTER, SETS, CaseRow, ProjectionSet, ProjectionState

REFOLD_CHUNK = 500


async def live_set(session: AsyncSession, *, lock: str | None = None) -> ProjectionSet:
    """The live table set. `lock="share"` for writers of events, `"update"` for the swap."""
    query = select(ProjectionState.live).where(ProjectionState.name == POINTER)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    live = (await session.execute(query)).scalar_one_or_none()
    return SETS[live or "a"]


async def append(
    session: AsyncSession,
    pset: ProjectionSet,
    event_id: str,
    time_us: int,
    type_: str,
    entries: Sequence[LogEntry],
) -> None:
    """Log the entries of one event; an event logged before (e.g. by a rebuild) is skipped."""
    await insert_log_rows(session, pset, log_rows(event_id, time_us, type_, entries))


def log_rows(
    event_id: str, time_us: int, type_: str, entries: Sequence[LogEntry], *, folded: bool = False
) -> list[dict[str, Any]]:
    """The log rows of one event: the first under its own id, a merge's copy under `id:stream`.
    `folded=True` only when the caller folds every complaint it logs before anyone reads them."""
    return [
        {
            "event_id": event_id if i == 0 else f"{event_id}:{entry.stream}",
            "complaint_id": entry.complaint_id,
            "stream": entry.stream,
            "time_us": time_us,
            "type": type_,
            "data": entry.data,
            "folded": folded,
        }
        for i, entry in enumerate(entries)
    ]


async def insert_log_rows(session: AsyncSession, pset: ProjectionSet, rows: Sequence[dict[str, Any]]) -> None:
    """Insert log rows in their order (one statement, many rows); event ids logged before are skipped."""
    if rows:
        await session.execute(_insert_ignore(session, pset), list(rows))


def _insert_ignore(session: AsyncSession, pset: ProjectionSet) -> Any:
    table = table_of(pset.log)  # Core: many rows in one executemany, no ORM bulk bookkeeping
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["event_id"])


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class: bulk statements on it skip the ORM's per-row work."""
    return cast(Table, model.__table__)


async def refold_pending(
    session: AsyncSession, pset: ProjectionSet, limit: int = REFOLD_CHUNK
) -> list[CaseRecord]:
    """Fold the complaints that have unfolded events (at most `limit`); returns their new rows."""
    log = pset.log
    pending = (
        await session.execute(
            select(log.complaint_id, func.max(log.seq))
            .where(log.folded.is_(False))
            .group_by(log.complaint_id)
            .order_by(func.min(log.seq))
            .limit(limit)
        )
    ).all()
    if not pending:
        return []
    ids = [row[0] for row in pending]
    top = max(int(row[1]) for row in pending)
    records = await refold(session, pset, ids)
    await session.execute(update(log).where(log.complaint_id.in_(ids), log.seq <= top).values(folded=True))
    return records


async def refold(
    session: AsyncSession, pset: ProjectionSet, complaint_ids: Sequence[str]
) -> list[CaseRecord]:
    """Recompute the rows of these complaints from their whole logged history."""
    log = pset.log
    events: dict[str, list[LoggedEvent]] = {cid: [] for cid in complaint_ids}
    result = await session.execute(
        select(log.complaint_id, log.stream, log.seq, log.time_us, log.type, log.data).where(
            log.complaint_id.in_(complaint_ids)
        )
    )
    for complaint_id, stream, seq, time_us, type_, data in result:
        events[complaint_id].append(LoggedEvent(stream, seq, time_us, type_, data))
    records = [fold(cid, history) for cid, history in events.items()]
    await write_records(session, pset, records)
    return records


async def write_records(
    session: AsyncSession, pset: ProjectionSet, records: Sequence[CaseRecord], *, replace: bool = True
) -> None:
    """Write these rows; `replace=False` when none of them exists yet (a rebuild's emptied set)."""
    if not records:
        return
    if replace:
        await session.execute(delete(pset.cases).where(pset.cases.id.in_([r.id for r in records])))
    await session.execute(insert(table_of(pset.cases)), [row_of(r) for r in records])


def row_of(record: CaseRecord) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(record, name) for name in _FIELDS}
    values["complete"] = record.complete
    values["urgent_reasons"] = list(record.urgent_reasons)
    return values


def record_of(row: CaseRow) -> CaseRecord:
    def enum(kind: Any, value: str | None) -> Any:
        return kind(value) if value is not None else None

    return CaseRecord(
        id=row.id,
        reference=row.reference,
        received_on=row.received_on,
        channel=enum(Channel, row.channel),
        kind=enum(Kind, row.kind),
        category=enum(Category, row.category),
        urgent=row.urgent,
        municipality=row.municipality,
        unit=row.unit,
        provider=row.provider,
        handler=Handler(row.handler),
        state=row.state,
        resolution=enum(Resolution, row.resolution),
        outcome=enum(Outcome, row.outcome),
        resolved_on=row.resolved_on,
        decision_due=row.decision_due,
        contact_due=row.contact_due,
        acknowledged_on=row.acknowledged_on,
        ombudsman=row.ombudsman,
        mediated_with_partner=row.mediated_with_partner,
        decision_state=row.decision_state,
        contact_state=row.contact_state,
        merged_into=row.merged_into,
        imported=row.imported,
        urgent_reasons=list(row.urgent_reasons or []),
    )


_FIELDS = tuple(name for name in CaseRecord.__dataclass_fields__ if name not in ("urgent_reasons",))


# --- reading -------------------------------------------------------------------------------


async def read_records(
    session: AsyncSession, *conditions: ColumnElement[bool] | None, pset: ProjectionSet | None = None
) -> list[CaseRecord]:
    """Complete, unmerged rows of the live set matching `conditions` (built with `cases_of`)."""
    pset = pset or await live_set(session)
    cases = pset.cases
    query = select(cases).where(cases.complete.is_(True), cases.merged_into.is_(None))
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    rows = (await session.execute(query.order_by(cases.id))).scalars()
    return [record_of(row) for row in rows]


async def read_facts(
    session: AsyncSession, first_year: int | None = None, last_year: int | None = None
) -> list[CaseFacts]:
    """CaseFacts of the live set, received in [first_year, last_year] when given."""
    pset = await live_set(session)
    cases = pset.cases
    records = await read_records(
        session,
        cases.received_on >= date(first_year, 1, 1) if first_year is not None else None,
        cases.received_on <= date(last_year, 12, 31) if last_year is not None else None,
        pset=pset,
    )
    return facts_of(records)


def facts_of(records: Iterable[CaseRecord]) -> list[CaseFacts]:
    return [f for f in (r.facts() for r in records) if f is not None]


async def cases_table(session: AsyncSession) -> type[CaseRow]:
    return (await live_set(session)).cases
