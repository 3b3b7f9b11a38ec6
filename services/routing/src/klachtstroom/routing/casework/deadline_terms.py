"""Terms from the deadlines service kept with the cases, a run of events at a time.

A term (case, kind) holds the latest DeadlineSet/Met/Breached; a DeadlineSet of the decision
term also moves the case's decision due date. `keep_terms` applies a run of such events with a
few statements: one query for the terms that exist, one for the cases whose decision term
moves, then inserts and updates for all. Events apply in order; a later event of the same term
overrides an earlier one, as it would one by one. A provider that did not respond in time is
escalated on the case: that event takes the one-by-one path (`handlers.deadline_state` and
`handlers.provider_too_late`), in its turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts.envelope import Envelope
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.platform.db import insert_rows
from klachtstroom.platform.telemetry import propagating
from klachtstroom.routing.case.codec import json_with
from klachtstroom.routing.case.domain import CLOSED_STATES, CaseState
from klachtstroom.routing.tables import CaseRow, DeadlineRow

DeadlineEvent = de.DeadlineSet | de.DeadlineMet | de.DeadlineBreached
OneByOne = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

_TERMS = cast(Table, DeadlineRow.__table__)
_CASES = cast(Table, CaseRow.__table__)


def one_by_one(event: DeadlineEvent) -> bool:
    """Events that do more than keep the term (they write the case's history)."""
    return isinstance(event, de.DeadlineBreached) and event.kind == DeadlineKind.provider_response


async def keep_terms(
    session: AsyncSession,
    run: Sequence[tuple[Envelope, DeadlineEvent]],
    now: datetime,
    single: OneByOne,
) -> None:
    segment: list[DeadlineEvent] = []
    for envelope, event in run:
        if one_by_one(event):
            await _keep(session, segment, now)
            segment = []
            with propagating(envelope.traceparent):
                await single(session, envelope, event)
        else:
            segment.append(event)
    await _keep(session, segment, now)


async def _keep(session: AsyncSession, events: Sequence[DeadlineEvent], now: datetime) -> None:
    if not events:
        return
    await session.flush()  # what the ORM holds is in the database before it is read here
    case_ids = list({event.case_id for event in events})
    found = await session.execute(
        select(DeadlineRow.case_id, DeadlineRow.kind).where(DeadlineRow.case_id.in_(case_ids))
    )
    stored = {(case_id, kind) for case_id, kind in found}
    new: dict[tuple[str, str], dict[str, Any]] = {}
    changed: dict[tuple[str, str], dict[str, Any]] = {}
    decision_due: dict[str, date] = {}
    for event in events:
        key = (event.case_id, event.kind.value)
        values = _term_values(event, now)
        if key in new:
            new[key].update(values)
        elif key in stored:
            changed.setdefault(key, {}).update(values)
        else:
            new[key] = _new_term(event) | values
        if isinstance(event, de.DeadlineSet) and event.kind == DeadlineKind.decision:
            decision_due[event.case_id] = event.due
    if new:
        await insert_rows(session, _TERMS, list(new.values()))
    await _update_terms(session, changed)
    await _move_decision_due(session, decision_due, now)
    _expire(session, set(new) | set(changed), set(decision_due))


def _term_values(event: DeadlineEvent, now: datetime) -> dict[str, Any]:
    """What one event sets on its term (the rest of the row stays as it is)."""
    if isinstance(event, de.DeadlineSet):
        return {
            "start": event.start,
            "due": event.due,
            "unmoved_due": event.unmoved_due,
            "state": event.state.value,
            "extended_weeks": event.extended_weeks,
            "explanation": list(event.explanation),
            "updated_at": now,
        }
    values: dict[str, Any] = {
        "due": event.due,
        "state": (DeadlineState.met if isinstance(event, de.DeadlineMet) else DeadlineState.breached).value,
        "updated_at": now,
    }
    if isinstance(event, de.DeadlineMet):
        values["met_on"] = event.met_on
    return values


def _new_term(event: DeadlineEvent) -> dict[str, Any]:
    """A term first heard of now: every column, as the one-event handlers create it."""
    return {
        "case_id": event.case_id,
        "kind": event.kind.value,
        "start": event.due,
        "due": event.due,
        "unmoved_due": None,
        "state": "",
        "extended_weeks": 0,
        "explanation": [],
        "met_on": None,
        "updated_at": None,
    }


async def _update_terms(session: AsyncSession, changed: dict[tuple[str, str], dict[str, Any]]) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for (case_id, kind), values in changed.items():
        columns = tuple(sorted(values))
        by_columns.setdefault(columns, []).append(
            {f"v_{c}": values[c] for c in columns} | {"k_case_id": case_id, "k_kind": kind}
        )
    for columns, rows in by_columns.items():
        statement = (
            update(_TERMS)
            .where(
                and_(
                    _TERMS.c.case_id == _param("k_case_id", _TERMS), _TERMS.c.kind == _param("k_kind", _TERMS)
                )
            )
            .values({c: bindparam(f"v_{c}", type_=_TERMS.c[c].type) for c in columns})
        )
        await session.execute(statement, rows)


async def _move_decision_due(session: AsyncSession, due: dict[str, date], now: datetime) -> None:
    """The case's decision due date as the deadlines service computed it (Termijnenwet); an
    extension before this date is allowed (Awb 9:11 lid 2). Version-checked, like the ORM."""
    if not due:
        return
    rows = (
        await session.execute(
            select(CaseRow.id, CaseRow.state, CaseRow.data, CaseRow.version, CaseRow.resolved_at).where(
                CaseRow.id.in_(list(due))
            )
        )
    ).all()
    updates = []
    for row in rows:
        updates.append(
            {
                "k_id": row.id,
                "k_version": row.version,
                "v_version": row.version + 1,
                "v_decision_due": due[row.id],
                # with_decision_due(case, due), stored: only that field of the case changes
                "v_data": json_with(row.data, decision_due=due[row.id]),
                "v_resolved_at": row.resolved_at if CaseState(row.state) in CLOSED_STATES else None,
                "v_updated_at": now,
            }
        )
    if not updates:
        return  # no case yet: opening the case picks the term up
    statement = (
        update(_CASES)
        .where(and_(_CASES.c.id == _param("k_id", _CASES), _CASES.c.version == _param("k_version", _CASES)))
        .values(
            {
                column: _param(f"v_{column}", _CASES)
                for column in ("version", "decision_due", "data", "resolved_at", "updated_at")
            }
        )
    )
    result = await session.execute(statement, updates)
    if result.rowcount != len(updates):  # type: ignore[attr-defined]
        raise StaleDataError("a case changed while its decision term was kept; trying again")


def _param(name: str, table: Table) -> Any:
    """A bound parameter typed as its column (`k_id`, `v_data`, ...), for executemany."""
    return bindparam(name, type_=table.c[name[2:]].type)


def _expire(session: AsyncSession, terms: set[tuple[str, str]], cases: set[str]) -> None:
    """Rows written here behind the ORM's back are read afresh if the ORM holds them."""
    if not terms and not cases:
        return
    for instance in list(session.identity_map.values()):
        if (isinstance(instance, DeadlineRow) and (instance.case_id, instance.kind) in terms) or (
            isinstance(instance, CaseRow) and instance.id in cases
        ):
            session.expire(instance)
