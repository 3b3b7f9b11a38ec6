"""The audit trail: reading a case and acting on it leave rows naming who, readable by the auditor only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from klachtstroom.platform.auth.callers import Role

if TYPE_CHECKING:
    from conftest import Harness

TEXT = "Ik ben onvriendelijk behandeld aan de telefoon."


def bearer(routing: Harness, role: Role, subject: str, name: str) -> dict[str, str]:
    assert routing.service.access.development is not None
    token = routing.service.access.development.mint([role], subject=subject, name=name)
    return {"Authorization": f"Bearer {token}"}


async def audit_rows(routing: Harness, **query: str) -> list[dict[str, Any]]:
    auditor = bearer(routing, Role.auditor, "auditor-1", "A. Udit")
    response = await routing.http.get("/api/v1/audit", params=query, headers=auditor)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_reading_a_case_leaves_an_audit_row_naming_the_reader(routing: Harness) -> None:
    case_id = await routing.receive(description=TEXT)
    assert await audit_rows(routing, case_id=case_id) == []  # an event opening a case is no person's read
    handler = bearer(routing, Role.handler, "emp-17", "H. de Vries")
    response = await routing.http.get(f"/api/v1/cases/{case_id}", headers=handler)
    assert response.status_code == 200
    [row] = await audit_rows(routing, case_id=case_id)
    assert (row["subject"], row["actor"], row["role"]) == ("emp-17", "H. de Vries", "handler")
    assert (row["action"], row["method"], row["route"]) == ("read", "GET", "/api/v1/cases/{case_id}")
    assert (row["service"], row["case_id"], row["status"]) == ("routing", case_id, 200)
    assert row["at"].startswith("2026-03-03")  # the service's clock (the test clock here)


async def test_a_case_action_leaves_a_change_row(routing: Harness) -> None:
    case_id = await routing.receive(description=TEXT)
    coordinator = bearer(routing, Role.coordinator, "emp-3", "C. Oordinator")
    response = await routing.http.post(
        f"/api/v1/cases/{case_id}/assign", json={"handler_name": "A. Bakker"}, headers=coordinator
    )
    assert response.status_code == 200, response.text
    [row] = await audit_rows(routing, case_id=case_id)
    assert (row["subject"], row["role"], row["action"]) == ("emp-3", "coordinator", "change")
    assert row["route"] == "/api/v1/cases/{case_id}/assign"
    refused = await routing.http.post(f"/api/v1/cases/{case_id}/nonsense", json={}, headers=coordinator)
    assert refused.status_code >= 400
    assert len(await audit_rows(routing, case_id=case_id)) == 1  # a refused call changed nothing


async def test_only_the_auditor_reads_the_trail_and_it_holds_no_complaint_text(routing: Harness) -> None:
    case_id = await routing.receive(description=TEXT)
    await routing.case(case_id)  # the development token: every role
    await routing.http.get(f"/klachten/{case_id}")  # the case worker's page
    for role in Role:
        if role is not Role.auditor:
            response = await routing.http.get("/api/v1/audit", headers=bearer(routing, role, "x", "X"))
            assert response.status_code == 403, role
    anonymous = await routing.anonymous.get("/api/v1/audit")
    assert anonymous.status_code == 401
    auditor = bearer(routing, Role.auditor, "auditor-1", "A. Udit")
    listed = await routing.http.get("/api/v1/audit", headers=auditor)
    assert len(listed.json()["items"]) == 2  # reading the trail is not itself a read of a case
    routes = {row["route"] for row in listed.json()["items"]}
    assert routes == {"/api/v1/cases/{case_id}", "/klachten/{case_id}"}
    assert TEXT not in listed.text and "onvriendelijk" not in listed.text


async def test_the_trail_filters_by_case_and_time_and_pages(routing: Harness) -> None:
    first, second = await routing.receive(), await routing.receive()
    for _ in range(3):
        await routing.case(first)
    await routing.case(second)
    assert len(await audit_rows(routing, case_id=first)) == 3
    assert len(await audit_rows(routing, since="2026-03-03T00:00:00+01:00")) == 4
    assert await audit_rows(routing, since="2026-03-04T00:00:00+01:00") == []
    auditor = bearer(routing, Role.auditor, "auditor-1", "A. Udit")
    page = (await routing.http.get("/api/v1/audit", params={"limit": 3}, headers=auditor)).json()
    assert len(page["items"]) == 3 and page["next"]
    rest = (await routing.http.get(page["next"], headers=auditor)).json()
    assert [row["case_id"] for row in rest["items"]] == [second] and rest["next"] is None
    removed = await routing.http.delete("/api/v1/audit", headers=auditor)
    assert removed.status_code == 405  # append-only: nothing changes or removes a row


async def test_simultaneous_reads_each_leave_their_row(routing: Harness) -> None:
    case_id = await routing.receive()
    answers = await asyncio.gather(*(routing.http.get(f"/api/v1/cases/{case_id}") for _ in range(20)))
    assert {answer.status_code for answer in answers} == {200}
    rows = await audit_rows(routing, case_id=case_id)
    assert len(rows) == 20 and len({row["id"] for row in rows}) == 20


async def test_no_case_is_answered_without_its_audit_row(routing: Harness, monkeypatch: Any) -> None:
    case_id = await routing.receive(description=TEXT)

    class Unwritable:
        @asynccontextmanager
        async def transaction(self) -> AsyncIterator[None]:
            raise OSError("schijf vol")
            yield

    monkeypatch.setattr(routing.service.audit, "db", Unwritable())
    response = await routing.http.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 500 and TEXT not in response.text and "reference" not in response.json()


async def test_out_of_range_queries_are_refused_by_field(routing: Harness) -> None:
    auditor = bearer(routing, Role.auditor, "auditor-1", "A. Udit")
    for query in ({"after": str(2**64)}, {"since": "0001-01-01T00:00:00+05:00"}, {"limit": "0"}):
        response = await routing.http.get("/api/v1/audit", params=query, headers=auditor)
        assert response.status_code == 422, (query, response.text)
