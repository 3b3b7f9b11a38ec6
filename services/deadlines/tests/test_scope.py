"""Scope (DESIGN.md "Access and roles"): a caller sees the terms, timers and notifications of the
cases of its municipalities, a provider those of the cases routed to it; a case outside the
scope is answered as one that does not exist (404) and lists leave it out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from deadlines_harness import Instance, at, change, new_case_id, opened, reference_of
from test_deadlines_timers import ESCALATION

from klachtstroom.contracts import case_events as ev
from klachtstroom.platform.auth.callers import Role

PROVIDER = "Zorg Plus"


def headers(
    instance: Instance, roles: Iterable[Role], municipalities: Iterable[str] = (), **claims: Any
) -> dict[str, str]:
    issuer = instance.service.access.development
    assert issuer is not None
    token = issuer.mint(list(roles), subject="medewerker", municipalities=list(municipalities), **claims)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def cases(deadlines: Instance) -> dict[str, str]:
    """A case of Oss, one of Boxtel, and one of Boxtel referred to a provider; their terms are
    late, so timers fired and notifications were written for each."""
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    found = {"oss": new_case_id(), "boxtel": new_case_id(), "referred": new_case_id()}
    await deadlines.deliver(
        opened(found["oss"], municipality="Oss"),
        opened(found["boxtel"], municipality="Boxtel"),
        opened(found["referred"], municipality="Boxtel"),
    )
    await deadlines.deliver(
        change(ev.CaseReferred, found["referred"], at(4), state="referred", provider=PROVIDER)
    )
    await deadlines.move_clock(at(11, hour=8))
    return found


def case_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["case_id"] for item in response.json()["items"]}


# (caller, the cases it sees) — every list and every case of the service is checked against it.
CALLERS: list[tuple[str, list[Role], list[str], dict[str, Any], set[str]]] = [
    ("coordinator of Oss", [Role.coordinator], ["Oss"], {}, {"oss"}),
    ("manager of Boxtel", [Role.manager], ["boxtel"], {}, {"boxtel", "referred"}),
    ("coordinator of every municipality", [Role.coordinator], ["*"], {}, {"oss", "boxtel", "referred"}),
    ("handler of no municipality", [Role.handler], [], {}, set()),
    ("provider", [Role.provider], [], {"provider": PROVIDER}, {"referred"}),
    ("another provider", [Role.provider], [], {"provider": "Zorg Min"}, set()),
]


@pytest.mark.parametrize(
    ("label", "roles", "municipalities", "claims", "visible"), CALLERS, ids=[c[0] for c in CALLERS]
)
async def test_terms_of_a_case_outside_the_scope_are_not_found(
    deadlines: Instance,
    cases: dict[str, str],
    label: str,
    roles: list[Role],
    municipalities: list[str],
    claims: dict[str, Any],
    visible: set[str],
) -> None:
    caller = headers(deadlines, roles, municipalities, **claims)
    expected = {cases[name] for name in visible}
    assert case_ids(await deadlines.http.get("/api/v1/deadlines", headers=caller)) == expected
    for name, case_id in cases.items():
        facts = await deadlines.http.get(f"/api/v1/deadlines/cases/{case_id}", headers=caller)
        assert facts.status_code == (200 if name in visible else 404), (label, name)
        one = await deadlines.http.get("/api/v1/deadlines", params={"case_id": case_id}, headers=caller)
        assert bool(case_ids(one)) == (name in visible), (label, name)
    if Role.provider not in roles:
        page = await deadlines.http.get("/", headers=caller)
        assert page.status_code == 200
        assert {name for name, case_id in cases.items() if reference_of(case_id) in page.text} == visible


@pytest.mark.parametrize(
    ("municipalities", "visible"), [(["Oss"], {"oss"}), (["Boxtel"], {"boxtel", "referred"}), (["*"], None)]
)
async def test_timers_and_notifications_of_other_municipalities_are_left_out(
    deadlines: Instance, cases: dict[str, str], municipalities: list[str], visible: set[str] | None
) -> None:
    caller = headers(deadlines, [Role.coordinator], municipalities)
    expected = set(cases.values()) if visible is None else {cases[name] for name in visible}
    for path in ("/api/v1/timers", "/api/v1/notifications"):
        everything = case_ids(await deadlines.http.get(path))  # a digest names one of its cases
        assert (
            everything and case_ids(await deadlines.http.get(path, headers=caller)) == everything & expected
        )
        for case_id in everything - expected:
            assert (
                case_ids(await deadlines.http.get(path, params={"case_id": case_id}, headers=caller)) == set()
            )
