"""What a caller's reports are made of (DESIGN.md "Access and roles"): the complaints and cases of
its municipalities, a provider those routed to it. A caller of every municipality ("*") sees
everything; one of some municipalities gets reports, the dashboard and signals counted over its
own cases only, and a report asked for another municipality is 404 (existence not revealed).
The rule itself is the platform's (`Access.sees`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar, cast

from fastapi import Request

from klachtstroom.platform.auth import Access, optional_access
from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Role
from klachtstroom.platform.problems import Problem


class Scoped(Protocol):
    @property
    def municipality(self) -> str | None: ...

    @property
    def provider(self) -> str | None: ...


Item = TypeVar("Item", bound=Scoped)
Linked = TypeVar("Linked", bound=Mapping[str, object])


def limited(request: Request) -> Access | None:
    """The caller when its scope is limited (some municipalities, or a provider); None: all."""
    access = optional_access(request)
    if access is None:
        return None  # public routes (open data) answer the same to everyone
    if Role.system in access.granted:
        return None
    if Role.provider not in access.granted and ALL_MUNICIPALITIES in access.caller.municipalities:
        return None
    return access


def in_scope(request: Request, items: Iterable[Item]) -> list[Item]:
    """The facts or case records of the caller's municipalities (or its provider)."""
    access = limited(request)
    if access is None:
        return list(items)
    return [item for item in items if access.sees(item.municipality, item.provider)]


def scope_rule(request: Request) -> Callable[[str | None, str | None], bool] | None:
    """The caller's rule `sees(municipality, provider)` when its scope is limited; None: all.

    For queries that filter in the database (reports/aggregates.py): the same rule as `in_scope`.
    """
    access = limited(request)
    return access.sees if access is not None else None


def check_municipality(request: Request, municipality: str | None) -> None:
    """A report of one municipality is for callers of that municipality: 404 for the others."""
    access = limited(request)
    if municipality is not None and access is not None and not access.caller.sees_municipality(municipality):
        raise Problem(404)


def measures_in_scope(request: Request, measures: Iterable[Linked], visible: set[str]) -> list[Linked]:
    """Measures linked to none of the caller's complaints are those of other municipalities."""
    if limited(request) is None:
        return list(measures)

    def ours(measure: Linked) -> bool:
        linked = cast(list[str], measure.get("complaint_ids") or [])
        return not linked or any(c in visible for c in linked)

    return [m for m in measures if ours(m)]


def signals_in_scope(request: Request, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Urgent signals of the caller's municipalities; trends are counts over all and stay."""
    access = limited(request)
    if access is None:
        return list(items)
    return [
        item for item in items if item.get("type") != "urgent" or access.sees(item.get("municipality"), None)
    ]
