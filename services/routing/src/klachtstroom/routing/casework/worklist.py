"""The case worker's work list: what needs attention today, and who is working on what.

Every term that matters for a person's day — personal contact (5 working days), the decision
(Awb 9:11) and a provider's response — is listed when it ends within the horizon or has passed
while the case is still open; not only the decision term. Open cases are grouped by handler,
so nobody has to know a colleague's exact name to see their cases. Filters narrow both lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.vocabulary import OPEN_CASE_STATES, CaseState, DeadlineKind, DeadlineState
from klachtstroom.routing.tables import CaseRow, DeadlineRow

# The stored values (the columns hold plain strings), named through the vocabulary's enums.
ATTENTION_KINDS = tuple(
    k.value for k in (DeadlineKind.contact, DeadlineKind.decision, DeadlineKind.provider_response)
)
OPEN_STATES = tuple(s.value for s in CaseState if s in OPEN_CASE_STATES)
CHASED_TERM_STATES = (DeadlineState.running.value, DeadlineState.breached.value)
UNASSIGNED = "Nog niet toegewezen"


@dataclass(frozen=True)
class WorkFilter:
    handler: str | None = None  # a handler's name
    unit: str | None = None  # a unit or a provider
    municipality: str | None = None
    term: str | None = None  # one of ATTENTION_KINDS

    def cases(self, query: Any) -> Any:
        for column, value in (
            (CaseRow.handler_name, self.handler),
            (CaseRow.municipality, self.municipality),
        ):
            if value:
                query = query.where(func.lower(column) == value.strip().lower())
        if self.unit:
            wanted = self.unit.strip().lower()
            unit, provider = func.lower(CaseRow.unit), func.lower(CaseRow.provider)
            query = query.where((unit == wanted) | (provider == wanted))
        return query


@dataclass(frozen=True)
class TermDue:
    case_id: str
    reference: str
    kind: str
    due: date
    late: bool
    handler_name: str | None
    unit: str | None
    municipality: str | None
    urgent: bool


async def terms_needing_attention(
    session: AsyncSession, today: date, where: WorkFilter, horizon_days: int = 7
) -> list[TermDue]:
    """Running or passed terms of open cases that end within `horizon_days`, the earliest first."""
    kinds = [where.term] if where.term in ATTENTION_KINDS else list(ATTENTION_KINDS)
    query = (
        select(DeadlineRow, CaseRow)
        .join(CaseRow, CaseRow.id == DeadlineRow.case_id)
        .where(
            DeadlineRow.kind.in_(kinds),
            DeadlineRow.state.in_(CHASED_TERM_STATES),
            DeadlineRow.due <= today + timedelta(days=horizon_days),
            CaseRow.state.in_(OPEN_STATES),
        )
        .order_by(DeadlineRow.due, CaseRow.reference)
        .limit(500)
    )
    rows = (await session.execute(where.cases(query))).all()
    return [
        TermDue(
            case_id=case.id,
            reference=case.reference,
            kind=term.kind,
            due=term.due,
            late=term.due < today,
            handler_name=case.handler_name,
            unit=case.provider or case.unit,
            municipality=case.municipality,
            urgent=case.urgent,
        )
        for term, case in rows
    ]


async def open_cases_by_handler(session: AsyncSession, where: WorkFilter) -> list[tuple[str, list[CaseRow]]]:
    """Open cases grouped by handler name (unassigned first), each group by reference."""
    query = select(CaseRow).where(CaseRow.state.in_(OPEN_STATES)).order_by(CaseRow.reference).limit(2000)
    groups: dict[str, list[CaseRow]] = {}
    for row in (await session.execute(where.cases(query))).scalars():
        groups.setdefault(row.handler_name or UNASSIGNED, []).append(row)
    return sorted(groups.items(), key=lambda item: (item[0] != UNASSIGNED, item[0].casefold()))


async def filter_choices(session: AsyncSession) -> dict[str, Sequence[str]]:
    """The values the filters offer: those of the open cases."""

    async def distinct(column: Any) -> list[str]:
        query = select(column).where(CaseRow.state.in_(OPEN_STATES), column.is_not(None)).distinct()
        return sorted({str(v) for v in (await session.execute(query)).scalars() if v}, key=str.casefold)

    units = sorted({*await distinct(CaseRow.unit), *await distinct(CaseRow.provider)}, key=str.casefold)
    return {
        "handlers": await distinct(CaseRow.handler_name),
        "units": units,
        "municipalities": await distinct(CaseRow.municipality),
    }
