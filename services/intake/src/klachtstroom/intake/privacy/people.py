"""Finding a person's complaints by keyed hashes of what identifies them, without decrypting.

A request names a complaint, an e-mail address, a phone number or a BSN. The complaint's own
complainant counts, and so does every other complainant record whose e-mail address, phone
number or BSN hashes the same (the same person through another channel). Names alone are not
used: two people share a name too often to hand one of them the other's file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.store import Complainant, Complaint

IDENTIFIERS = ("email", "phone", "bsn")


@dataclass(frozen=True)
class Request:
    complaint_id: str | None = None
    email: str | None = None
    phone: str | None = None
    bsn: str | None = None


async def complainants_of(session: AsyncSession, vault: Vault, request: Request) -> list[Complainant]:
    """Every complainant record of the person the request names (empty when unknown)."""
    hashes: dict[str, set[str]] = {
        kind: set(vault.identifier_hashes(kind, getattr(request, kind))) for kind in IDENTIFIERS
    }
    if request.complaint_id:
        complaint = await session.get(Complaint, request.complaint_id)
        if complaint is not None:
            own = await session.get(Complainant, complaint.complainant_id)
            if own is not None:
                hashes["id"] = {own.id}
                for kind in IDENTIFIERS:
                    value = getattr(own, f"{kind}_hash")
                    if value:
                        hashes[kind].add(value)
    conditions = [
        getattr(Complainant, f"{kind}_hash").in_(values)
        for kind, values in hashes.items()
        if kind != "id" and values
    ]
    if "id" in hashes:
        conditions.append(Complainant.id.in_(hashes["id"]))
    if not conditions:
        return []
    found = await session.scalars(
        select(Complainant).where(or_(*conditions)).order_by(Complainant.created_at)
    )
    return list(found.all())


async def complaints_of(session: AsyncSession, complainants: list[Complainant]) -> list[Complaint]:
    ids = [c.id for c in complainants]
    if not ids:
        return []
    found = await session.scalars(
        select(Complaint)
        .where(Complaint.complainant_id.in_(ids))
        .order_by(Complaint.received_at, Complaint.id)
    )
    return list(found.all())
