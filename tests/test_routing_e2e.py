"""The case worker's path over real Kafka: a complaint posted to intake becomes a case in routing
(same id), and is worked through the formal and the informal path via routing's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e import Api, eventually

pytestmark = pytest.mark.e2e


def dutch_date(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo("Europe/Amsterdam")).date()


def submit(apis: dict[str, Api], description: str, **fields: Any) -> str:
    body = {"channel": "phone", "description": description, "received_at": "2026-03-03", **fields}
    status, accepted = apis["intake"].post("/api/v1/complaints", body)
    assert status == 202, accepted
    return str(accepted["id"])


def opened_case(apis: dict[str, Api], case_id: str) -> dict[str, Any]:
    def case() -> Any:
        code, body = apis["routing"].get(f"/api/v1/cases/{case_id}")
        return body if code == 200 else None

    found: dict[str, Any] = eventually(case, timeout=45.0)
    return found


def act(apis: dict[str, Api], case_id: str, action: str, **body: Any) -> tuple[int, dict[str, Any]]:
    return apis["routing"].post(f"/api/v1/cases/{case_id}/{action}", body)


def test_formal_path_through_the_case_api(apis: dict[str, Api]) -> None:
    case_id = submit(
        apis,
        "Ik ben aan de balie van Inkomen onvriendelijk behandeld en wil een formele klacht indienen.",
        municipality="Voorbeeldstad",
        unit="Inkomen",
        category="conduct",
        complainant={"name": "B. de Boer", "phone": "06-11223344"},
    )
    case = opened_case(apis, case_id)
    assert case["id"] == case["complaint_id"] == case_id
    assert (case["state"], case["handler"], case["unit"]) == ("received", "municipality", "Inkomen")
    assert dutch_date(case["received_at"]) == date(2026, 3, 3)

    steps: list[tuple[str, dict[str, Any]]] = [
        ("assign", {"handler_name": "A. Bakker", "at": "2026-03-03T15:00:00+01:00", "actor": "kcc"}),
        ("acknowledge", {"at": "2026-03-05", "actor": "A. Bakker"}),
        ("escalate", {"handler_name": "C. Jansen", "at": "2026-03-09", "actor": "A. Bakker"}),
        ("hear", {"report": "Klager en medewerker gehoord.", "at": "2026-03-16", "actor": "C. Jansen"}),
        ("extend", {"weeks": 4, "reason": "Advies van de afdeling nodig", "at": "2026-04-01"}),
        ("resolve", {"outcome": "upheld", "resolution": "formal", "summary": "Excuses aangeboden.",
                     "resolved_at": "2026-05-06", "actor": "C. Jansen"}),
    ]  # fmt: skip
    for action, body in steps:
        code, case = act(apis, case_id, action, **body)
        assert code == 200, (action, case)
    assert (case["state"], case["outcome"], case["resolution"]) == ("resolved", "upheld", "formal")
    assert dutch_date(case["resolved_at"]) == date(2026, 5, 6)

    code, refused = act(apis, case_id, "escalate")
    assert code == 409, refused
    assert isinstance(refused["detail"], str) and refused["detail"]

    code, case = apis["routing"].get(f"/api/v1/cases/{case_id}")
    assert code == 200
    history = case["history"]
    assert [entry["action"] for entry in history] == [
        "open", "assign", "acknowledge", "escalate", "hear", "extend", "resolve"
    ]  # fmt: skip
    # The actor is the signed-in caller (the dev token's name), not the body's `actor`.
    assert history[1]["actor"] == "Ontwikkelaar" and history[1]["at"].startswith("2026-03-03T14:00")
    assert history[5]["data"]["weeks"] == 4
    assert case["state"] == "resolved"  # the refused action changed nothing


def test_informal_path_decline_withdraw_reopen_and_ombudsman(apis: dict[str, Api]) -> None:
    declined = submit(apis, "Ik klaag over een besluit over mijn uitkering; daar loopt bezwaar tegen.")
    opened_case(apis, declined)
    # Awb 9:8: declining is possible within 4 weeks of receipt (3 March + 4 weeks = 31 March).
    code, case = act(apis, declined, "decline", reason="objection_possible", at="2026-03-20")
    assert code == 200, case
    assert (case["state"], case["outcome"]) == ("declined", "inadmissible")
    code, case = act(apis, declined, "refer-ombudsman", at="2026-04-10")
    assert (code, case["state"]) == (200, "ombudsman")

    too_late = submit(apis, "Mijn aanvraag ligt al maanden stil en niemand belt terug.")
    opened_case(apis, too_late)
    code, refused = act(apis, too_late, "decline", reason="too_small_interest", at="2026-04-20")
    assert code == 409 and "4 weken" in refused["detail"]

    withdrawn = submit(apis, "De consulent kwam niet op de afspraak en liet niets horen.")
    opened_case(apis, withdrawn)
    for action, body in (
        ("assign", {"handler_name": "D. Visser", "at": "2026-03-04"}),
        ("mediate", {"at": "2026-03-06"}),
        ("withdraw", {"at": "2026-03-10", "reason": "Klager is tevreden na het gesprek."}),
    ):
        code, case = act(apis, withdrawn, action, **body)
        assert code == 200, (action, case)
    assert (case["state"], case["outcome"]) == ("withdrawn", "withdrawn")
    code, case = act(
        apis, withdrawn, "reopen", at="2026-03-12", reason="Klager belt terug: toch niet opgelost."
    )
    assert (code, case["state"], case["outcome"]) == (200, "assigned", None)
    code, case = act(
        apis, withdrawn, "resolve", outcome="mutual_agreement", resolution="informal", at="2026-03-20"
    )
    assert (code, case["state"]) == (200, "resolved")
    code, case = act(apis, withdrawn, "refer-ombudsman", at="2026-06-01")
    assert (code, case["state"], case["ombudsman_referred"]) == (200, "ombudsman", True)
    assert [entry["action"] for entry in case["history"]] == [
        "open", "assign", "mediate", "withdraw", "reopen", "resolve", "refer-ombudsman"
    ]  # fmt: skip

    code, listed = apis["routing"].get("/api/v1/cases?status=ombudsman")
    assert code == 200
    assert {declined, withdrawn} <= {item["id"] for item in listed["items"]}
