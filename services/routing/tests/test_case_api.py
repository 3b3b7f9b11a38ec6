"""The case worker's API over a real database: open by event, act by HTTP, events in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from klachtstroom.contracts.vocabulary import Category, Kind

if TYPE_CHECKING:
    from conftest import Harness


async def test_received_complaint_opens_a_case_with_the_same_id_routed_by_the_seed_rule(
    routing: Harness,
) -> None:
    case_id = await routing.receive(municipality="Voorbeeldstad", unit="Inkomen")
    case = await routing.case(case_id)
    assert case["id"] == case["complaint_id"] == case_id
    assert case["state"] == "received"
    assert case["handler"] == "municipality"
    assert case["handler_name"] == "klachtcoördinator"
    assert case["received_at"].startswith("2026-03-03T09:00")
    assert case["routing"]["rule_id"] == "standaard" and case["routing"]["rule_version"] == 1
    assert not case["flagged_for_coordinator"]
    assert [h["action"] for h in case["history"]] == ["open"]
    assert set(case) >= {
        "id", "complaint_id", "reference", "state", "kind", "category", "urgent", "channel", "municipality",
        "unit", "provider", "handler", "resolution", "outcome", "received_at", "resolved_at", "deadlines",
        "history",
    }  # fmt: skip
    [opened] = [e for e in await routing.outbox() if e["subject"] == case_id]
    assert opened["type"] == "nl.klachtstroom.case.opened.v1"
    assert opened["data"]["at"] == opened["data"]["received_at"]
    assert opened["data"]["rule_id"] == "standaard"
    assert "description" not in opened["data"]


async def test_the_same_complaint_twice_opens_one_case(routing: Harness) -> None:
    case_id = await routing.receive()
    await routing.receive(complaint_id=case_id)
    assert await routing.events(case_id) == ["opened"]


async def test_formal_path_with_history_and_a_forbidden_action(routing: Harness) -> None:
    case_id = await routing.receive()
    steps = [
        ("assign", {"handler_name": "A. Bakker", "at": "2026-03-03T14:00:00+01:00", "actor": "kcc"}),
        ("acknowledge", {"at": "2026-03-05"}),
        ("escalate", {"handler_name": "C. Jansen"}),
        ("hear", {"report": "Beide kanten gehoord op 10 maart.", "at": "2026-03-10T10:00:00+01:00"}),
        ("extend", {"weeks": 3, "reason": "Advies van de afdeling nodig", "at": "2026-03-20"}),
        ("resolve", {"outcome": "partly_upheld", "resolution": "formal", "summary": "Excuses gemaakt.",
                     "resolved_at": "2026-04-20"}),
    ]  # fmt: skip
    for action, body in steps:
        response = await routing.act(case_id, action, **body)
        assert response.status_code == 200, (action, response.text)
    case = response.json()
    assert case["state"] == "resolved"
    assert (case["outcome"], case["resolution"]) == ("partly_upheld", "formal")
    assert case["resolved_at"].startswith("2026-04-20")
    assert [h["action"] for h in case["history"]] == [
        "open", "assign", "acknowledge", "escalate", "hear", "extend", "resolve"
    ]  # fmt: skip
    assert case["history"][1]["actor"] == "Ontwikkelaar"  # the signed-in caller, not the body's actor
    assert case["history"][4]["data"]["report"] == "Beide kanten gehoord op 10 maart."
    assert await routing.events(case_id) == [
        "opened", "assigned", "acknowledged", "escalated_formal", "hearing_held", "term_extended", "resolved"
    ]  # fmt: skip
    forbidden = await routing.act(case_id, "hear", report="nog eens")
    assert forbidden.status_code == 409
    assert "gesloten" in forbidden.json()["detail"]
    assert len((await routing.case(case_id))["history"]) == 7  # nothing changed
    assert len(await routing.events(case_id)) == 7


async def test_free_text_stays_out_of_events(routing: Harness) -> None:
    case_id = await routing.receive()
    await routing.act(case_id, "escalate")
    await routing.act(case_id, "hear", report="Mevrouw De Vries (06-12345678) vertelde ...")
    await routing.act(
        case_id, "resolve", outcome="upheld", resolution="formal", summary="Jan Jansen kreeg excuses"
    )
    events = [e for e in await routing.outbox() if e["subject"] == case_id]
    text = str(events)
    assert "De Vries" not in text and "Jan Jansen" not in text
    resolved = events[-1]["data"]
    assert resolved["outcome"] == "upheld" and "data" not in resolved  # no untyped side channel
    assert "data" not in events[-2]["data"]


async def test_informal_path_decline_withdraw_reopen_ombudsman(routing: Harness) -> None:
    declined = await routing.receive()
    response = await routing.act(declined, "decline", reason="objection_possible", at="2026-03-20")
    assert response.status_code == 200 and response.json()["outcome"] == "inadmissible"
    assert (await routing.act(declined, "refer-ombudsman", at="2026-04-01")).json()["state"] == "ombudsman"

    late = await routing.receive()
    response = await routing.act(late, "decline", reason="too_small_interest", at="2026-04-15")
    assert response.status_code == 409 and "4 weken" in response.json()["detail"]

    withdrawn = await routing.receive()
    await routing.act(withdrawn, "mediate")
    assert (await routing.act(withdrawn, "withdraw")).json()["outcome"] == "withdrawn"
    reopened = (await routing.act(withdrawn, "reopen", reason="klager belde terug")).json()
    assert reopened["state"] == "assigned" and reopened["outcome"] is None and reopened["resolved_at"] is None
    assert await routing.events(withdrawn) == ["opened", "mediation_started", "withdrawn", "reopened"]


async def test_bad_input_is_422_with_the_field_and_unknown_case_is_404(routing: Harness) -> None:
    case_id = await routing.receive()
    too_long = await routing.act(case_id, "extend", weeks=6, reason="druk")
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "weeks"
    no_ground = await routing.act(case_id, "decline", reason="geen zin")
    assert no_ground.status_code == 422 and no_ground.json()["errors"][0]["field"].split(".")[0] == "reason"
    nobody = await routing.act(case_id, "assign", unit="Inkomen")
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"].split(".")[0] == "handler_name"
    before = await routing.act(case_id, "acknowledge", at="2026-03-01")
    assert before.status_code == 422 and before.json()["errors"][0]["field"] == "at"
    missing = await routing.act("onbekend", "acknowledge")
    assert missing.status_code == 404 and "(nog) niet bekend" in missing.json()["detail"]
    assert (await routing.http.get("/api/v1/cases/onbekend")).status_code == 404
    assert (await routing.act(case_id, "fly")).status_code == 404
    assert await routing.events(case_id) == ["opened"]


async def test_two_simultaneous_actions_cannot_both_apply(routing: Harness) -> None:
    case_id = await routing.receive()
    first, second = await asyncio.gather(
        routing.act(case_id, "withdraw"),
        routing.act(case_id, "resolve", outcome="upheld", resolution="informal"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert len(await routing.events(case_id)) == 2


async def test_list_filters_and_pages(routing: Harness) -> None:
    ids = [await routing.receive(unit="Inkomen" if n % 2 else "Werk", urgent=n == 3) for n in range(5)]
    objection = await routing.receive(kind=Kind.objection, category=Category.policy)
    await routing.act(ids[0], "assign", handler_name="A. Bakker")
    page = (await routing.http.get("/api/v1/cases", params={"limit": 2})).json()
    assert len(page["items"]) == 2 and page["next"]
    seen = [i["id"] for i in page["items"]]
    while page["next"]:
        page = (await routing.http.get(page["next"])).json()
        seen += [i["id"] for i in page["items"]]
    assert sorted(seen) == sorted([*ids, objection])

    async def ids_for(**params: object) -> set[str]:
        response = await routing.http.get("/api/v1/cases", params=params)
        return {item["id"] for item in response.json()["items"]}

    assert await ids_for(unit="inkomen") == {ids[1], ids[3]}
    assert await ids_for(status="assigned") == {ids[0]}
    assert await ids_for(handler="A. Bakker") == {ids[0]}
    assert await ids_for(urgent="true") == {ids[3]}
    assert await ids_for(kind="objection") == {objection}
    assert await ids_for(category="policy") == {objection}
    assert await ids_for(flagged="true") == {objection}
    assert await ids_for(overdue="true") == set()


async def test_a_case_asked_for_right_after_intake_accepted_it_is_waited_for(routing: Harness) -> None:
    # Intake answered 202 a moment ago; the case opens while the client already asks for it.
    complaint_id = str(uuid.uuid4())

    async def opens_a_little_later() -> None:
        await asyncio.sleep(0.4)
        await routing.receive(complaint_id=complaint_id)

    opening = asyncio.create_task(opens_a_little_later())
    response = await routing.http.get(f"/api/v1/cases/{complaint_id}")
    await opening
    assert response.status_code == 200 and response.json()["id"] == complaint_id
    # A plainly unknown id is answered at once.
    assert (await routing.http.get("/api/v1/cases/onbekend")).status_code == 404


async def test_an_unsure_triage_is_routed_with_its_best_guess_and_flagged_check_triage(
    routing: Harness,
) -> None:
    from klachtstroom.contracts.intake_events import TriageVerdict

    unsure = TriageVerdict(
        kind=Kind.complaint, category=Category.information, urgent=False, confidence=0.41, check=True
    )
    case_id = await routing.receive(category=Category.information, triage=unsure)
    case = await routing.case(case_id)
    assert case["category"] == "information" and case["state"] == "received"  # routed with its best guess
    assert case["flagged_for_coordinator"]
    [flag] = [f for f in case["flags"] if f["kind"] == "check_triage"]
    assert flag["text"].startswith("Controleer de indeling") and "41%" in flag["text"]

    sure = unsure.model_copy(update={"confidence": 0.93, "check": False})
    confident = await routing.case(await routing.receive(triage=sure))
    assert not confident["flagged_for_coordinator"] and confident["flags"] == []
    # a person who gave kind and category at registration needs no check
    given = await routing.case(await routing.receive(triage=unsure, kind_given=True, category_given=True))
    assert not any(f["kind"] == "check_triage" for f in given["flags"])


async def test_every_action_has_its_own_route_with_its_own_body_in_the_api_description(
    routing: Harness,
) -> None:
    from klachtstroom.platform.auth.rules import CASE_ACTION_NAMES
    from klachtstroom.routing.case.actions import BODIES

    spec = (await routing.http.get("/openapi.json")).json()
    for name, model in BODIES.items():
        operation = spec["paths"][f"/api/v1/cases/{{case_id}}/{name}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert {"$ref": f"#/components/schemas/{model.__name__}"} in body["anyOf"], name
        for status in ("404", "409", "422"):
            assert "application/problem+json" in operation["responses"][status]["content"], (name, status)
    assert "outcome" in spec["components"]["schemas"]["ResolveBody"]["required"]
    assert "/api/v1/cases/{case_id}/{action}" not in spec["paths"]
    # Each action's route has its access rule (the platform's list of routing's actions).
    assert tuple(BODIES) == CASE_ACTION_NAMES

    case_id = await routing.receive()
    unknown = await routing.act(case_id, "fly")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert "Onbekende actie" in unknown.json()["detail"]
    # The old spelling with an underscore still names its action.
    taken = await routing.act(case_id, "refer_ombudsman")
    assert taken.status_code == 409 and "ombudsman" in taken.json()["detail"]
