"""Whose terms a caller may see (DESIGN.md "Access and roles"): those of the cases of its
municipalities, a provider those of the cases routed to it. A case outside that scope is
answered as one that does not exist (404), and lists leave its terms, timers and notifications
out. Deadlines knows each case's municipality and provider from routing's case events
(CaseRecord, tracking/tracker.py); the rule itself is the platform's (`Access.sees`, `visible_to`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import InstrumentedAttribute

from klachtstroom.deadlines.store import CaseRecord
from klachtstroom.platform.auth import optional_access
from klachtstroom.platform.auth.scope import visible_to

Selected = TypeVar("Selected", bound=Select[*tuple[Any, ...]])


def sees(request: Request, case: CaseRecord | None) -> bool:
    """The case is known and among the caller's municipalities (or routed to its provider)."""
    if case is None:
        return False
    access = optional_access(request)
    return access is not None and access.sees(case.municipality, case.provider)


def condition(request: Request) -> ColumnElement[bool] | None:
    """The condition on CaseRecord for the cases the caller may see; None when it sees all."""
    access = optional_access(request)
    if access is None:
        return false()
    return visible_to(access, CaseRecord.municipality, CaseRecord.provider)


def scoped(request: Request, query: Selected, case_id: InstrumentedAttribute[str]) -> Selected:
    """The query limited to rows (`case_id` column) of cases in the caller's scope."""
    where = condition(request)
    if where is None:
        return query
    return query.where(case_id.in_(select(CaseRecord.case_id).where(where)))
