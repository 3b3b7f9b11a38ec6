"""Reading and writing cases: the domain Case in, rows out, history appended in order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.routing.case.codec import case_from_json, case_to_json
from klachtstroom.routing.case.domain import CLOSED_STATES, Case, CaseEvent
from klachtstroom.routing.tables import CaseRow, DeadlineRow, HistoryRow, utc


class CaseNotFound(LookupError):
    """No case with this id (yet): intake may have accepted it a moment ago (HTTP 404)."""


def case_of(row: CaseRow) -> Case:
    """The domain case of a row, without history (transitions only append to it)."""
    return case_from_json(row.data)


def _columns(case: Case) -> dict[str, Any]:
    return {
        "state": case.state.value,
        "kind": case.kind.value,
        "category": case.category.value,
        "channel": case.channel.value,
        "urgent": case.urgent,
        "municipality": case.municipality,
        "unit": case.unit,
        "provider": case.provider,
        "handler": case.handler.value,
        "handler_name": case.handler_name,
        "resolution": case.resolution.value if case.resolution else None,
        "outcome": case.outcome.value if case.outcome else None,
        "decision_due": case.decision_due,
        "data": case_to_json(case),
    }


def new_row(case: Case, *, reference: str, now: datetime, **extra: Any) -> CaseRow:
    return CaseRow(**case_values(case, reference=reference, now=now, **extra))


def case_values(case: Case, *, reference: str, now: datetime, **extra: Any) -> dict[str, Any]:
    """The columns of a new case row (for `new_row`, or a bulk insert of many at once)."""
    return {
        "id": case.id,
        "reference": reference,
        "received_at": case.received_at.astimezone(UTC),
        "created_at": now,
        "updated_at": now,
        **_columns(case),
        **extra,
    }


def store_case(row: CaseRow, case: Case, now: datetime, event: CaseEvent | None = None) -> None:
    """Copy the case onto its row; the version check happens when the session flushes."""
    for name, value in _columns(case).items():
        setattr(row, name, value)
    if case.state not in CLOSED_STATES:
        row.resolved_at = None
    elif event is not None and row.resolved_at is None:
        row.resolved_at = event.at.astimezone(UTC)
    row.updated_at = now


async def load_row(session: AsyncSession, case_id: str) -> CaseRow:
    row = await session.get(CaseRow, case_id, populate_existing=True)
    if row is None:
        raise CaseNotFound(case_id)
    return row


async def append_history(session: AsyncSession, case_id: str, event: CaseEvent, now: datetime) -> HistoryRow:
    last = (
        await session.execute(select(func.max(HistoryRow.seq)).where(HistoryRow.case_id == case_id))
    ).scalar_one_or_none()
    entry = HistoryRow(**history_values(case_id, (last or 0) + 1, event, now))
    session.add(entry)
    await session.flush()
    return entry


def history_values(case_id: str, seq: int, event: CaseEvent, now: datetime) -> dict[str, Any]:
    """The columns of history entry `seq` of a case (a new case's first entry is seq 1)."""
    return {
        "case_id": case_id,
        "seq": seq,
        "action": event.action,
        "event_type": event.event_type or None,
        "at": event.at.astimezone(UTC) if event.at.tzinfo else event.at,
        "actor": event.actor,
        "reason": event.reason,
        "data": _jsonable(event.data),
        "recorded_at": now,
    }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}


async def history_of(session: AsyncSession, case_id: str) -> list[HistoryRow]:
    rows = await session.execute(
        select(HistoryRow).where(HistoryRow.case_id == case_id).order_by(HistoryRow.seq)
    )
    return list(rows.scalars())


async def deadlines_of(session: AsyncSession, case_id: str) -> list[DeadlineRow]:
    rows = await session.execute(
        select(DeadlineRow)
        .where(DeadlineRow.case_id == case_id)
        .order_by(DeadlineRow.start, DeadlineRow.kind)
    )
    return list(rows.scalars())


def history_entry(row: HistoryRow) -> dict[str, Any]:
    return {
        "action": row.action.replace("_", "-"),  # as the API names it: refer-ombudsman
        "event_type": row.event_type,
        "at": utc(row.at).isoformat(),
        "actor": row.actor,
        "reason": row.reason,
        "data": row.data,
    }


def deadline_entry(row: DeadlineRow) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "kind": row.kind,
        "start": row.start.isoformat(),
        "due": row.due.isoformat(),
        "unmoved_due": row.unmoved_due.isoformat() if row.unmoved_due else None,
        "state": row.state,
        "extended_weeks": row.extended_weeks,
        "met_on": row.met_on.isoformat() if row.met_on else None,
        "explanation": list(row.explanation or []),
    }
