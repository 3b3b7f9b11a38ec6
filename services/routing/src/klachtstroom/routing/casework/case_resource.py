"""The Case resource of DESIGN.md (plus extra fields a case worker needs), and case lists."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.vocabulary import Handler
from klachtstroom.routing.case.actions import api_action
from klachtstroom.routing.case.domain import OPEN_STATES, STATE_LABELS, Case, CaseState
from klachtstroom.routing.case.flags import Flag, Opened, case_flags
from klachtstroom.routing.case.lifecycle import allowed_actions
from klachtstroom.routing.casework.case_rows import (
    case_of,
    deadline_entry,
    deadlines_of,
    history_entry,
    history_of,
    load_row,
)
from klachtstroom.routing.casework.complaint_text import ComplaintText
from klachtstroom.routing.outbound.providers import HANDOVER_KINDS, provider_key
from klachtstroom.routing.resident.record import resident_fields
from klachtstroom.routing.tables import CaseRow, HistoryRow, ProviderRow, ZaakRow, outbound_calls, utc

OPEN = [s.value for s in OPEN_STATES]


def is_overdue(row: CaseRow, today: date) -> bool:
    return row.state in OPEN and row.decision_due is not None and row.decision_due < today


def case_summary(row: CaseRow, today: date) -> dict[str, Any]:
    """The fields every list shows; the full resource adds deadlines, history and more."""
    return {
        "id": row.id,
        "complaint_id": row.id,
        "reference": row.reference,
        "state": row.state,
        "state_label": STATE_LABELS[CaseState(row.state)],
        "kind": row.kind,
        "category": row.category,
        "urgent": row.urgent,
        "channel": row.channel,
        "municipality": row.municipality,
        "unit": row.unit,
        "provider": row.provider,
        "handler": row.handler,
        "handler_name": row.handler_name,
        "resolution": row.resolution,
        "outcome": row.outcome,
        "received_at": utc(row.received_at).isoformat(),
        "resolved_at": utc(row.resolved_at).isoformat() if row.resolved_at else None,
        "decision_due": row.decision_due.isoformat() if row.decision_due else None,
        "overdue": is_overdue(row, today),
        "flagged_for_coordinator": row.flagged,
        "merged_into": row.merged_into,
    }


# The states of the platform's outbound queue as this API has always named them.
DELIVERY_STATUS = {"pending": "pending", "sent": "delivered", "dead": "failed"}


def delivery_entry(row: Any) -> dict[str, Any]:
    """A hand-over to a provider (a row of `outbound_calls`)."""
    status = DELIVERY_STATUS.get(row.state, row.state)
    return {
        "id": row.id,
        "provider": row.recipient,
        "case_id": row.subject,
        "kind": row.kind,
        "status": status,
        "attempts": row.attempts,
        "next_attempt_at": utc(row.next_attempt_at).isoformat() if status == "pending" else None,
        "last_error": row.last_error,
        "last_status_code": row.last_status_code,
        "created_at": utc(row.created_at).isoformat(),
        "finished_at": utc(row.finished_at).isoformat() if row.finished_at else None,
    }


async def case_resource(session: AsyncSession, case_id: str, today: date) -> dict[str, Any]:
    """The case as routing holds it; `with_complaint_text` adds the texts intake keeps."""
    row = await load_row(session, case_id)
    case = case_of(row)
    calls = outbound_calls.c
    deliveries = await session.execute(
        select(outbound_calls)
        .where(calls.subject == case_id, calls.kind.in_(HANDOVER_KINDS))
        .order_by(calls.id)
    )
    zaak = await session.get(ZaakRow, case_id)
    history = await history_of(session, case_id)
    entries = [history_entry(h) for h in history]
    resident = await resident_fields(session, case_id, entries)
    registered = case.provider is None or (
        await session.get(ProviderRow, provider_key(case.provider)) is not None
    )
    return case_summary(row, today) | {
        "deadlines": [deadline_entry(d) for d in await deadlines_of(session, case_id)],
        "history": entries,
        "flags": [flag.resource() for flag in flags_of(case, row, history, registered)]
        + resident.pop("flags"),
        "formal_requested": case.formal_requested,
        "acknowledged_on": case.acknowledged_on.isoformat() if case.acknowledged_on else None,
        "extended_weeks": case.extended_weeks,
        "hearing_held": case.hearing_held,
        "advisory_committee": case.advisory_committee,
        "ombudsman_referred": case.ombudsman_referred,
        "reopened_count": case.reopened_count,
        "routing": {
            "rule_id": row.rule_id,
            "rule_version": row.rule_version,
            "explanation": row.routing_explanation,
        },
        "allowed_actions": [api_action(a) for a in allowed_actions(case)],
        "deliveries": [delivery_entry(d) for d in deliveries.all()],
        "zaak_url": zaak.zaak_url if zaak else None,
        **resident,
        "version": row.version,
    }


def flags_of(
    case: Case, row: CaseRow, history: list[HistoryRow], provider_registered: bool = True
) -> list[Flag]:
    first = history[0] if history and history[0].action == "open" else None
    opened = None
    if first is not None:
        data = first.data or {}
        unknown = list(data.get("unknown_fields") or [])
        check = data.get("check_triage")
        confidence = check.get("confidence") if isinstance(check, dict) else None
        opened = Opened(
            utc(first.at),
            unknown,
            str(data.get("explanation") or ""),
            float(confidence) if isinstance(confidence, (int, float)) else None,
        )
    return case_flags(
        case, routed_by_person=not row.flagged, opened=opened, provider_registered=provider_registered
    )


def with_complaint_text(resource: dict[str, Any], text: ComplaintText | None) -> dict[str, Any]:
    """The case resource with the complaint's texts from intake (claim check); when intake cannot
    answer now, the texts are empty and `texts_available` is false."""
    return resource | {
        "description": text.description if text else None,
        "about_employee": text.about_employee if text else None,
        "handover_note": text.handover_note if text else None,
        "desired_outcome": text.desired_outcome if text else None,
        "texts_available": text is not None,
    }


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    unit: str | None = None
    provider: str | None = None
    municipality: str | None = None
    handler: str | None = None
    kind: str | None = None
    category: str | None = None
    urgent: bool | None = None
    overdue: bool | None = None
    flagged: bool | None = None
    # The caller's scope (its municipalities, or its own provider); None: every case.
    visible: ColumnElement[bool] | None = None

    def apply(self, query: Select[Any], today: date) -> Select[Any]:
        if self.visible is not None:
            query = query.where(self.visible)
        if self.status:
            query = query.where(CaseRow.state.in_([s.strip() for s in self.status.split(",") if s.strip()]))
        for column, value in (
            (CaseRow.unit, self.unit),
            (CaseRow.provider, self.provider),
            (CaseRow.municipality, self.municipality),
        ):
            if value:
                query = query.where(func.lower(column) == value.strip().lower())
        if self.handler:
            if self.handler in {h.value for h in Handler}:
                query = query.where(CaseRow.handler == self.handler)
            else:
                query = query.where(func.lower(CaseRow.handler_name) == self.handler.strip().lower())
        if self.kind:
            query = query.where(CaseRow.kind == self.kind)
        if self.category:
            query = query.where(CaseRow.category == self.category)
        if self.urgent is not None:
            query = query.where(CaseRow.urgent == self.urgent)
        if self.flagged is not None:
            query = query.where(CaseRow.flagged == self.flagged)
        if self.overdue is not None:
            late = and_(
                CaseRow.state.in_(OPEN), CaseRow.decision_due.is_not(None), CaseRow.decision_due < today
            )
            query = query.where(late if self.overdue else ~late)
        return query


def encode_cursor(row: CaseRow) -> str:
    raw = json.dumps([utc(row.received_at).isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    received, case_id = json.loads(raw)
    return datetime.fromisoformat(received), str(case_id)


async def list_cases(
    session: AsyncSession, where: CaseFilter, today: date, *, limit: int, cursor: str | None
) -> tuple[list[CaseRow], str | None]:
    """Newest first; keyset paging on (received_at, id), so pages stay stable while cases arrive."""
    query = where.apply(select(CaseRow), today)
    if cursor:
        received, case_id = decode_cursor(cursor)
        query = query.where(
            or_(CaseRow.received_at < received, and_(CaseRow.received_at == received, CaseRow.id < case_id))
        )
    query = query.order_by(CaseRow.received_at.desc(), CaseRow.id.desc()).limit(limit + 1)
    rows: list[CaseRow] = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None
