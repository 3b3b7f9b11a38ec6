"""The complainant's contact details, for the people who must reach them and only for them.

`GET /api/v1/complaints/{id}/contact` answers name, e-mail, phone and address, decrypted, to
`kcc`, `handler` and `coordinator` of the complaint's municipality (404 outside it), and to the
services that show them to those people (routing's case page and API, its letters; as `system`).
Never to `college` or `manager` (auth/rules.py). Every answered read leaves a row in the audit
trail (platform/audit.py), with the person a service asked for when it says so. Not the BSN:
nobody needs it to reach a person. Nothing here is logged.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.store import Complainant, Complaint
from klachtstroom.platform.auth import access_of
from klachtstroom.platform.service import Service

router = APIRouter(prefix="/api/v1", tags=["complaints"])


class ContactDetailsOut(BaseModel):
    complaint_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


def _unknown() -> HTTPException:
    return HTTPException(404, detail="Deze klacht kennen we niet.")


@router.get("/complaints/{complaint_id}/contact", response_model=ContactDetailsOut)
async def contact_details(complaint_id: str, request: Request) -> ContactDetailsOut:
    """How to reach the complainant (for the 5-working-day call, a letter's address)."""
    service: Service = request.app.state.service
    vault: Vault = request.app.state.registrar.vault
    async with service.db.reading() as session:
        complaint = await session.get(Complaint, complaint_id)
        if complaint is None or complaint.destroyed_at is not None:
            raise _unknown()
        if not access_of(request).sees(complaint.municipality):
            raise _unknown()  # outside the caller's municipalities: as if it did not exist
        person = await session.get(Complainant, complaint.complainant_id)
    if person is None:
        raise _unknown()
    return ContactDetailsOut(
        complaint_id=complaint_id,
        name=vault.decrypt(person.name_enc),
        email=vault.decrypt(person.email_enc),
        phone=vault.decrypt(person.phone_enc),
        address=vault.decrypt(person.address_enc),
    )
