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


async def test_work_list_shows_every_term_that_needs_attention_and_cases_by_handler(routing: Harness) -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from klachtstroom.contracts.deadline_events import DeadlineSet
    from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState

    def term(case_id: str, kind: DeadlineKind, due: date) -> DeadlineSet:
        return DeadlineSet(
            case_id=case_id, kind=kind, due=due, start=date(2026, 3, 3), unmoved_due=due,
            at=datetime(2026, 3, 3, 12, tzinfo=ZoneInfo("Europe/Amsterdam")), state=DeadlineState.running,
        )  # fmt: skip

    contact, later = await routing.receive(), await routing.receive()
    other = await routing.receive(unit="Werk")
    await routing.act(contact, "assign", handler_name="A. Bakker", unit="Inkomen")
    await routing.act(other, "assign", handler_name="B. de Vries", unit="Werk")
    await routing.deliver(term(contact, DeadlineKind.contact, date(2026, 3, 10)))
    await routing.deliver(term(later, DeadlineKind.decision, date(2026, 4, 14)))  # not yet
    await routing.deliver(term(other, DeadlineKind.provider_response, date(2026, 3, 2)))  # passed
    refs = {c: (await routing.case(c))["reference"] for c in (contact, later, other)}

    page = (await routing.http.get("/")).text  # the clock stands at 3 March 2026
    attention = page.split("Termijnen die vandaag aandacht vragen")[1].split("</table>")[0]
    assert refs[contact] in attention and "Contacttermijn" in attention  # the vocabulary's word
    assert refs[other] in attention and "Reactietermijn van de zorgaanbieder" in attention
    assert "(verlopen)" in attention
    assert refs[later] not in attention
    assert f'<a href="/klachten/{contact}">{refs[contact]}</a>' in attention  # references link to the case
    by_handler = page.split("In behandeling per behandelaar")[1]
    assert "A. Bakker (1)" in by_handler and "B. de Vries (1)" in by_handler  # no name to type
    assert refs[later] in by_handler  # under whoever routing chose, or "Nog niet toegewezen"

    filtered = (await routing.http.get("/", params={"afdeling": "Werk"})).text
    attention = filtered.split("Termijnen die vandaag aandacht vragen")[1].split("</table>")[0]
    assert refs[other] in attention and refs[contact] not in attention
    assert "A. Bakker (1)" not in filtered.split("In behandeling per behandelaar")[1]
    only_contact = (await routing.http.get("/", params={"termijn": "contact"})).text
    attention = only_contact.split("Termijnen die vandaag aandacht vragen")[1].split("</table>")[0]
    assert refs[other] not in attention and refs[contact] in attention


async def test_a_signed_in_case_worker_posts_the_case_form_with_its_csrf_token(routing: Harness) -> None:
    import re

    case_id = await routing.receive()
    before = (await routing.case(case_id))["handler_name"]
    browser = routing.anonymous
    html = {"Accept": "text/html"}
    assert (await browser.get(f"/klachten/{case_id}", headers=html)).status_code == 303  # sign in first
    sign_in = (await browser.get(f"/aanmelden?volgende=/klachten/{case_id}", headers=html)).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', sign_in)
    assert csrf
    signed_in = await browser.post(
        "/aanmelden", data={"csrf_token": csrf.group(1), "rol": "handler", "naam": "A. Bakker",
                            "volgende": f"/klachten/{case_id}"},
    )  # fmt: skip
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"/klachten/{case_id}"

    page = (await browser.get(f"/klachten/{case_id}", headers=html)).text
    token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page)
    # Every form on the page (the actions, and recording a letter as sent) carries the token.
    assert token and page.count(f'value="{token.group(1)}"') == page.count('method="post"')
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = await browser.post(f"/klachten/{case_id}/actie/assign", content="handler_name=X&unit=Inkomen",
                                headers=form)  # fmt: skip
    assert forged.status_code == 403 and (await routing.case(case_id))["handler_name"] == before
    done = await browser.post(
        f"/klachten/{case_id}/actie/assign",
        content=f"handler_name=A.+Bakker&unit=Inkomen&csrf_token={token.group(1)}",
        headers=form,
    )
    assert done.status_code == 303
    assert (await routing.case(case_id))["handler_name"] == "A. Bakker"


async def test_the_case_page_writes_dates_and_times_in_dutch_and_in_dutch_time(routing: Harness) -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from klachtstroom.contracts.deadline_events import DeadlineSet
    from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState

    case_id = await routing.receive()
    await routing.act(case_id, "assign", handler_name="A. Bakker", at="2026-03-03T13:05:00+00:00")
    await routing.deliver(
        DeadlineSet(
            case_id=case_id, kind=DeadlineKind.contact, due=date(2026, 3, 10), start=date(2026, 3, 3),
            unmoved_due=date(2026, 3, 10), at=datetime(2026, 3, 3, 12, tzinfo=ZoneInfo("Europe/Amsterdam")),
            state=DeadlineState.running,
        )
    )  # fmt: skip
    page = (await routing.http.get(f"/klachten/{case_id}")).text
    terms = page.split('id="termijnen"')[1].split("</table>")[0]
    assert "<td>3 maart 2026</td><td>10 maart 2026</td>" in terms
    history = page.split('id="geschiedenis"')[1]
    assert "3 maart 2026 om 14:05" in history  # 13:05 UTC is 14:05 in Amsterdam (winter time)
    shown = page.split("<main>")[1]
    assert "2026-03-" not in shown and "+00:00" not in shown


async def test_the_case_worker_records_on_the_case_page_that_a_letter_went_out(routing: Harness) -> None:
    case_id = await routing.receive()
    page = (await routing.http.get(f"/klachten/{case_id}")).text
    assert f"/klachten/{case_id}/brief/ontvangstbevestiging/verstuurd" in page
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    done = await routing.http.post(f"/klachten/{case_id}/brief/ontvangstbevestiging/verstuurd", headers=form)
    assert done.status_code == 303, done.text
    page = (await routing.http.get(done.headers["location"])).text
    assert "vastgelegd als verstuurd" in page and "verstuurd op " in page
    assert f"/klachten/{case_id}/brief/ontvangstbevestiging/verstuurd" not in page
    listed = (await routing.http.get(f"/api/v1/cases/{case_id}/letters")).json()["items"]
    assert [(i["kind"], i["state"]) for i in listed] == [("ontvangstbevestiging", "sent")]
    again = await routing.http.post(f"/klachten/{case_id}/brief/ontvangstbevestiging/verstuurd", headers=form)
    assert again.status_code == 409 and "al verstuurd" in again.text
