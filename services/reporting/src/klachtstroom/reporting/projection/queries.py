"""The projection in the database: log events, fold them into rows, read the rows back.

Consumed events are only *logged* inside the consumer's batch transaction (cheap inserts);
`refold_pending` then folds every complaint with unfolded events, once per batch, in one
transaction of its own. A crash between the two leaves the events marked unfolded, so the
next round (after the next batch, or the timer) picks them up: nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from typing import cast as type_cast

from sqlalchemy import JSON, Table, Text, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from klachtstroom.contracts.vocabulary import CaseState, Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.reporting.projection.event_log import LogEntry, LoggedEvent
from klachtstroom.reporting.projection.fold import fold
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
    """Insert log rows in their order (one statement, many rows); event ids logged before are skipped.
    Their `data` is JSON text (`log_rows`)."""
    if rows:
        await session.execute(_insert_ignore(session, pset), list(rows))


def _insert_ignore(session: AsyncSession, pset: ProjectionSet) -> Any:
    table = table_of(pset.log)  # Core: many rows in one executemany, no ORM bulk bookkeeping
    # The data is JSON text already (`log_entries`): bound as text, not encoded again.
    data = bindparam("data", type_=Text())
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).values(data=cast(data, JSON))
        return statement.on_conflict_do_nothing(index_elements=["event_id"])
    return sqlite.insert(table).values(data=data).on_conflict_do_nothing(index_elements=["event_id"])


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class: bulk statements on it skip the ORM's per-row work."""
    return type_cast(Table, model.__table__)


@dataclass(frozen=True, slots=True)
class Refolded:
    """One round of folding: how many complaints were folded again, and their rows now."""

    complaints: int
    facts: list[CaseFacts]  # the complaints an event names yet (`fold.fold`), merged ones included


async def refold_pending(session: AsyncSession, pset: ProjectionSet, limit: int = REFOLD_CHUNK) -> Refolded:
    """Fold the complaints that have unfolded events (at most `limit`)."""
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
        return Refolded(0, [])
    ids = [row[0] for row in pending]
    top = max(int(row[1]) for row in pending)
    facts = await refold(session, pset, ids)
    await session.execute(update(log).where(log.complaint_id.in_(ids), log.seq <= top).values(folded=True))
    return Refolded(len(ids), facts)


async def refold(session: AsyncSession, pset: ProjectionSet, complaint_ids: Sequence[str]) -> list[CaseFacts]:
    """Recompute the rows of these complaints from their whole logged history; a complaint no
    event names yet has no row."""
    events: dict[str, list[LoggedEvent]] = {cid: [] for cid in complaint_ids}
    for complaint_id, logged in await read_log(session, pset, pset.log.complaint_id.in_(complaint_ids)):
        events[complaint_id].append(logged)
    folded = [fold(cid, history) for cid, history in events.items()]
    facts = [f for f in folded if f is not None]
    await session.execute(delete(pset.cases).where(pset.cases.id.in_(list(complaint_ids))))
    await write_facts(session, pset, facts)
    return facts


async def read_log(
    session: AsyncSession, pset: ProjectionSet, *conditions: ColumnElement[bool]
) -> list[tuple[str, LoggedEvent]]:
    """The logged events matching `conditions`, each with its complaint id. The data comes back
    as the stored JSON text, read once into the event's typed view by the fold (no dict between)."""
    log = table_of(pset.log).c  # Core columns: plain tuples back, no ORM loading
    result = await session.execute(
        select(log.complaint_id, log.stream, log.seq, log.time_us, log.type, cast(log.data, Text)).where(
            *conditions
        )
    )
    return [
        (complaint_id, LoggedEvent(stream, seq, time_us, type_, data))
        for complaint_id, stream, seq, time_us, type_, data in result
    ]


async def write_facts(session: AsyncSession, pset: ProjectionSet, facts: Sequence[CaseFacts]) -> None:
    """Insert these rows (none of them exists: `refold` deleted them, a rebuild's set is empty)."""
    if facts:
        await session.execute(insert(table_of(pset.cases)), [row_of(f) for f in facts])


_COLUMNS = tuple(f.name for f in fields(CaseFacts))


def row_of(facts: CaseFacts) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(facts, name) for name in _COLUMNS}
    values["complete"] = True  # a row exists once an event names the complaint (`fold.fold`)
    values["urgent_reasons"] = list(facts.urgent_reasons)
    return values


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value is not None else None


def facts_of_row(row: Any) -> CaseFacts:
    """A stored row (the ORM's `CaseRow` or a Core row of its columns) as `CaseFacts`."""
    return CaseFacts(
        id=row.id,
        reference=row.reference,
        received_on=row.received_on,
        channel=Channel(row.channel),
        kind=Kind(row.kind),
        category=Category(row.category),
        urgent=row.urgent,
        municipality=row.municipality,
        unit=row.unit,
        provider=row.provider,
        handler=Handler(row.handler),
        state=row.state or CaseState.received.value,
        resolution=_enum(Resolution, row.resolution),
        outcome=_enum(Outcome, row.outcome),
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
        urgent_reasons=tuple(row.urgent_reasons or ()),
    )


# --- reading -------------------------------------------------------------------------------


async def read_records(
    session: AsyncSession, *conditions: ColumnElement[bool] | None, pset: ProjectionSet | None = None
) -> list[CaseFacts]:
    """Complete, unmerged rows of the live set matching `conditions` (built with `cases_of`)."""
    pset = pset or await live_set(session)
    cases = table_of(pset.cases).c  # the conditions name the ORM class's columns: the same columns
    query = select(*(cases[name] for name in _COLUMNS)).where(
        cases.complete.is_(True), cases.merged_into.is_(None)
    )
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    rows = await session.execute(query.order_by(cases.id))
    return [facts_of_row(row) for row in rows]


async def read_facts(
    session: AsyncSession, first_year: int | None = None, last_year: int | None = None
) -> list[CaseFacts]:
    """CaseFacts of the live set, received in [first_year, last_year] when given."""
    pset = await live_set(session)
    cases = pset.cases
    return await read_records(
        session,
        cases.received_on >= date(first_year, 1, 1) if first_year is not None else None,
        cases.received_on <= date(last_year, 12, 31) if last_year is not None else None,
        pset=pset,
    )


def facts_of(facts: Iterable[CaseFacts]) -> list[CaseFacts]:
    """The rows reports count: every complaint except one merged into another."""
    return [f for f in facts if f.merged_into is None]


async def cases_table(session: AsyncSession) -> type[CaseRow]:
    return (await live_set(session)).cases
