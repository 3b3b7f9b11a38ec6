"""The complainant's contact details, asked from their owner, intake, for the people who need them.

`handler`, `coordinator` and `kcc` see how to reach the complainant on the case page and in the
case API (the 5-working-day call), and letters are addressed with them when they are produced.
Routing asks intake's `GET /api/v1/complaints/{id}/contact` with its own `system` token, naming
the signed-in person it asks for (intake's audit trail records both), and keeps nothing: not in
its database, not in a log. `college`, `manager`, `auditor` and providers never get them here;
a provider receives them only in the hand-over of its own case, and only when the complainant
agreed to be contacted (outbound/providers.py `with_contact_details`, asked with routing's own token).
When intake cannot answer, the case still loads and says the details are not available now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from klachtstroom.platform.audit import on_behalf_of
from klachtstroom.platform.auth import Access, Role
from klachtstroom.platform.peers import Peers

log = logging.getLogger(__name__)

# Who must be able to reach the complainant (DESIGN.md "Access and roles").
CONTACT_ROLES = frozenset({Role.kcc, Role.handler, Role.coordinator})
UNAVAILABLE = "Contactgegevens zijn nu niet op te vragen bij intake. Probeer het later opnieuw."


@dataclass(frozen=True)
class ContactDetails:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "address": self.address}


def may_reach(access: Access | None) -> bool:
    """Does this caller see the complainant's contact details?"""
    return access is not None and not access.granted.isdisjoint(CONTACT_ROLES)


async def fetch_contact(peers: Peers, complaint_id: str, access: Access | None) -> ContactDetails | None:
    """The contact details from intake; None when intake cannot give them now."""
    try:
        response = await peers.client("intake").get(
            f"/api/v1/complaints/{complaint_id}/contact", headers=on_behalf_of(access)
        )
    except httpx.HTTPError as error:
        log.warning("contact details not available from intake (%s)", type(error).__name__)
        return None
    if response.status_code != 200:
        log.warning("contact details not available from intake (HTTP %s)", response.status_code)
        return None
    body = response.json()
    return ContactDetails(
        name=_text(body.get("name")),
        email=_text(body.get("email")),
        phone=_text(body.get("phone")),
        address=_text(body.get("address")),
    )


async def with_contact(
    resource: dict[str, Any], peers: Peers, access: Access | None
) -> dict[str, Any]:
    """The case resource with `contact` for those who may reach the complainant (else unchanged);
    when intake cannot answer, `contact` is null and `contact_note` says so."""
    if not may_reach(access):
        return resource
    found = await fetch_contact(peers, str(resource["id"]), access)
    if found is None:
        return resource | {"contact": None, "contact_available": False, "contact_note": UNAVAILABLE}
    return resource | {"contact": found.as_dict(), "contact_available": True, "contact_note": None}


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
