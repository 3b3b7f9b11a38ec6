"""A caller's scope as a query condition: complaints and cases of its municipalities, or of its
own provider (DESIGN.md "Access and roles"). The same rule as `Access.sees`, for lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, or_
from sqlalchemy.orm import QueryableAttribute

from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Role
from klachtstroom.platform.auth.gate import Access

Column = ColumnElement[Any] | QueryableAttribute[Any]


def visible_to(
    access: Access, municipality: Column, provider: Column | None = None
) -> ColumnElement[bool] | None:
    """The condition for rows the caller may see; None when it sees everything."""
    if Role.system in access.granted:
        return None
    clauses: list[ColumnElement[bool]] = []
    if access.granted - {Role.provider}:
        if ALL_MUNICIPALITIES in access.caller.municipalities:
            return None
        names = sorted({m.strip().lower() for m in access.caller.municipalities if m.strip()})
        if names:
            clauses.append(func.lower(municipality).in_(names))
    if Role.provider in access.granted and access.caller.provider and provider is not None:
        clauses.append(func.lower(provider) == access.caller.provider.strip().lower())
    return or_(*clauses) if clauses else false()
