"""Who is calling: the roles of DESIGN.md ("Access and roles") and a verified caller's scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    kcc = "kcc"
    handler = "handler"
    coordinator = "coordinator"
    manager = "manager"
    college = "college"
    provider = "provider"
    admin = "admin"
    auditor = "auditor"
    system = "system"


ALL_MUNICIPALITIES = "*"


@dataclass(frozen=True)
class Caller:
    """A signed-in person or machine client, from a verified token's claims."""

    subject: str
    name: str
    roles: frozenset[Role]
    municipalities: frozenset[str] = field(default_factory=frozenset)
    provider: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        """`roles` and `municipalities` are lists; roles this system does not know are ignored."""
        known = {role.value for role in Role}
        roles = frozenset(Role(r) for r in _strings(claims.get("roles")) if r in known)
        municipalities = frozenset(_strings(claims.get("municipalities")))
        provider = claims.get("provider")
        subject = str(claims.get("sub") or "")
        name = claims.get("name") or claims.get("preferred_username") or subject
        return cls(
            subject=subject,
            name=str(name),
            roles=roles,
            municipalities=municipalities,
            provider=str(provider) if provider else None,
        )

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def sees_municipality(self, municipality: str | None) -> bool:
        """A complaint or case of this municipality is in the caller's scope.

        A complaint without a municipality (not yet known) is visible only to callers of every
        municipality ("*"), so nothing unassigned leaks to one municipality's staff.
        """
        if ALL_MUNICIPALITIES in self.municipalities:
            return True
        return municipality is not None and _fold(municipality) in {_fold(m) for m in self.municipalities}

    def sees_provider(self, provider: str | None) -> bool:
        """The caller is this provider (provider role): only cases routed to it."""
        return self.provider is not None and provider is not None and _fold(provider) == _fold(self.provider)

    @property
    def label(self) -> str:
        """How the caller is named in a case's history: the signed-in person's name."""
        return self.name or self.subject


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _fold(text: str) -> str:
    return " ".join(text.split()).lower()
