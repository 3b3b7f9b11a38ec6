"""The complainant's contact details: asked from intake for handler, coordinator and KCC (case API,
case page, letters), never shown to manager or auditor, and the case still loads without them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from klachtstroom.platform.auth.callers import Role

if TYPE_CHECKING:
    from conftest import Harness

CONTACT = {
    "name": "Jan Jansen",
    "email": "jan@example.nl",
    "phone": "06 12345678",
    "address": "Stationsstraat 1, 3511 AB Utrecht",
}


def bearer(routing: Harness, role: Role, subject: str = "emp-1", name: str = "H. de Vries") -> dict[str, str]:
    assert routing.service.access.development is not None
    token = routing.service.access.development.mint([role], subject=subject, name=name)
    return {"Authorization": f"Bearer {token}"}


async def case_as(routing: Harness, case_id: str, role: Role, **who: str) -> dict[str, Any]:
    response = await routing.http.get(f"/api/v1/cases/{case_id}", headers=bearer(routing, role, **who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_handler_coordinator_and_kcc_see_the_contact_details_from_intake(routing: Harness) -> None:
    case_id = await routing.receive()
    routing.intake_contacts[case_id] = CONTACT
    for role in (Role.handler, Role.coordinator, Role.kcc):
        case = await case_as(routing, case_id, role, subject=f"emp-{role.value}")
        assert case["contact"] == CONTACT and case["contact_available"] is True, role
    # Intake is told for whom routing asks (its audit trail names the person, not only routing).
    assert routing.contact_asked_for == ["emp-handler", "emp-coordinator", "emp-kcc"]


async def test_manager_auditor_and_provider_never_get_them(routing: Harness) -> None:
    case_id = await routing.receive(provider="Zorg Plus")
    routing.intake_contacts[case_id] = CONTACT
    for role in (Role.manager, Role.auditor):
        case = await case_as(routing, case_id, role)
        assert "contact" not in case and CONTACT["phone"] not in str(case), role
    assert routing.service.access.development is not None
    token = routing.service.access.development.mint([Role.provider], subject="zp", provider="Zorg Plus")
    as_provider = {"Authorization": f"Bearer {token}"}
    provider = await routing.http.get(f"/api/v1/cases/{case_id}", headers=as_provider)
    assert provider.status_code == 200 and "contact" not in provider.json()
    college = await routing.http.get(f"/api/v1/cases/{case_id}", headers=bearer(routing, Role.college))
    assert college.status_code == 403
    assert routing.contact_asked_for == []  # not even asked


async def test_the_case_loads_with_a_note_when_intake_cannot_give_them(routing: Harness) -> None:
    case_id = await routing.receive()  # intake does not answer for this complaint (404)
    case = await case_as(routing, case_id, Role.handler)
    assert case["contact"] is None and case["contact_available"] is False
    assert "niet op te vragen" in case["contact_note"]
    routing.service.peers._clients["intake"] = httpx.AsyncClient(base_url="http://127.0.0.1:9")  # down
    case = await case_as(routing, case_id, Role.handler)
    assert case["contact_available"] is False and case["reference"]


async def test_the_case_page_shows_how_to_reach_the_complainant(routing: Harness) -> None:
    case_id = await routing.receive()
    routing.intake_contacts[case_id] = CONTACT
    page = await routing.http.get(f"/klachten/{case_id}", headers=bearer(routing, Role.handler))
    assert page.status_code == 200
    assert "Contact met de klager" in page.text and 'href="tel:0612345678"' in page.text
    assert "jan@example.nl" in page.text
    managed = await routing.http.get(f"/klachten/{case_id}", headers=bearer(routing, Role.manager))
    assert managed.status_code == 200 and "Contact met de klager" not in managed.text
    assert "Jan Jansen" not in managed.text


async def test_letters_are_addressed_when_they_are_produced(routing: Harness) -> None:
    case_id = await routing.receive()
    routing.intake_contacts[case_id] = CONTACT
    url = f"/api/v1/cases/{case_id}/letters/ontvangstbevestiging.html"
    addressed = await routing.http.get(url, headers=bearer(routing, Role.handler))
    assert addressed.status_code == 200
    assert "Geachte Jan Jansen," in addressed.text and "Geachte heer of mevrouw" not in addressed.text
    assert "Jan Jansen<br>Stationsstraat 1<br>3511 AB Utrecht" in addressed.text
    pdf = await routing.http.get(url.replace(".html", ".pdf"), headers=bearer(routing, Role.handler))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The auditor reads the letter as it is, but not whom it is for.
    plain = await routing.http.get(url, headers=bearer(routing, Role.auditor))
    assert plain.status_code == 200 and "Geachte heer of mevrouw," in plain.text and "Jan" not in plain.text
    del routing.intake_contacts[case_id]  # intake cannot say: the letter still comes, unaddressed
    unknown = await routing.http.get(url, headers=bearer(routing, Role.handler))
    assert unknown.status_code == 200 and "Geachte heer of mevrouw," in unknown.text
