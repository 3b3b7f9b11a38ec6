"""Whose complaints a caller may see and change (DESIGN.md "Access and roles"): those of its
municipalities. Outside that scope a complaint is answered exactly as one that does not exist
(404), and lists leave it out. The rule itself is the platform's (`Access.sees`, `visible_to`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from sqlalchemy import ColumnElement, Select

from klachtstroom.intake.store import Complaint
from klachtstroom.platform.auth import optional_access
from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Role
from klachtstroom.platform.auth.scope import visible_to

Selected = TypeVar("Selected", bound=Select[*tuple[Any, ...]])

UNKNOWN = "Deze klacht kennen we niet."


def sees(request: Request, complaint: Complaint | None) -> bool:
    """The complaint exists and is among the caller's municipalities."""
    if complaint is None:
        return False
    access = optional_access(request)
    return access is not None and access.sees(complaint.municipality, complaint.provider)


def in_scope(request: Request, complaint: Complaint | None, detail: str = UNKNOWN) -> Complaint:
    """The complaint, or 404 when it does not exist or is outside the caller's scope."""
    if complaint is None or not sees(request, complaint):
        raise HTTPException(404, detail=detail)
    return complaint


def condition(request: Request) -> ColumnElement[bool] | None:
    """The condition for complaints the caller may see in a list; None when it sees all."""
    access = optional_access(request)
    if access is None:
        return Complaint.id.is_(None)  # no caller, nothing (the gate lets none through here)
    return visible_to(access, Complaint.municipality, Complaint.provider)


def scoped(request: Request, query: Selected) -> Selected:
    """The query limited to complaints in the caller's scope (the query must name Complaint)."""
    where = condition(request)
    return query if where is None else query.where(where)


def municipality_for_new(request: Request, municipality: str | None) -> tuple[str | None, bool]:
    """The municipality a staff member registers a complaint for, and whether it may.

    Staff limited to municipalities register only for those; one limited to a single
    municipality who names none registers for that one (else the complaint it just registered
    would be out of its sight). Machine clients (`system`) and staff of every municipality
    register for any, or none.
    """
    access = optional_access(request)
    if access is None or Role.system in access.granted:
        return municipality, True
    own = access.caller.municipalities
    if ALL_MUNICIPALITIES in own:
        return municipality, True
    if municipality is None or not municipality.strip():
        return (next(iter(own)), True) if len(own) == 1 else (municipality, False)
    return municipality, access.caller.sees_municipality(municipality)


def municipalities_of(request: Request) -> Callable[[str | None], bool] | None:
    """Which municipalities the caller may register or import complaints for; None: any."""
    access = optional_access(request)
    if access is None or Role.system in access.granted:
        return None
    if ALL_MUNICIPALITIES in access.caller.municipalities:
        return None
    return access.caller.sees_municipality
