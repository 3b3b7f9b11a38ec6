"""The case worker's pages: the work queue, a case page with its forms, and an action by form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klachtstroom.contracts.vocabulary import Kind

if TYPE_CHECKING:
    from conftest import Harness


async def test_work_queue_shows_my_cases_and_cases_for_the_coordinator(routing: Harness) -> None:
    mine = await routing.receive()
    await routing.act(mine, "assign", handler_name="A. Bakker")
    objection = await routing.receive(kind=Kind.objection)
    page = (await routing.http.get("/", params={"behandelaar": "A. Bakker"})).text
    mine_ref = (await routing.case(mine))["reference"]
    objection_ref = (await routing.case(objection))["reference"]
    assert "Mijn klachten (A. Bakker)" in page and mine_ref in page
    assert "Voor de klachtcoördinator" in page and objection_ref in page
    assert "<script" not in page and 'lang="nl"' in page


async def test_case_page_offers_the_allowed_actions_and_an_action_by_form(routing: Harness) -> None:
    case_id = await routing.receive()
    page = (await routing.http.get(f"/klachten/{case_id}")).text
    assert f"/klachten/{case_id}/actie/assign" in page and "actie/hear" not in page
    response = await routing.http.post(
        f"/klachten/{case_id}/actie/assign",
        content="handler_name=A.+Bakker&unit=Inkomen&at=2026-03-04&actor=A.+Bakker",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    page = (await routing.http.get(response.headers["location"])).text
    assert "Gelukt" in page and "toegewezen" in page
    refused = await routing.http.post(
        f"/klachten/{case_id}/actie/hear",
        content="report=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 409 and "horen" in refused.text
    invalid = await routing.http.post(
        f"/klachten/{case_id}/actie/extend", content="weeks=9&reason=druk",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert invalid.status_code == 422 and "4 weken" in invalid.text
    assert (await routing.http.get("/klachten/bestaat-niet")).status_code == 404
