"""Scope (DESIGN.md "Access and roles"): staff see and change only the cases of their
municipalities, a provider only the cases routed to it; a case outside the scope is answered
as one that does not exist (404), in the API and on the case worker's pages, and lists leave it out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from klachtstroom.platform.auth.callers import Role

if TYPE_CHECKING:
    from conftest import Harness

PROVIDER = "Zorg Plus"


def headers(
    routing: Harness, roles: Iterable[Role], municipalities: Iterable[str] = (), **claims: Any
) -> dict[str, str]:
    issuer = routing.service.access.development
    assert issuer is not None
    token = issuer.mint(list(roles), subject="medewerker", municipalities=list(municipalities), **claims)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def cases(routing: Harness) -> dict[str, str]:
    found = {
        "oss": await routing.receive(municipality="Oss"),
        "boxtel": await routing.receive(municipality="Boxtel"),
        "referred": await routing.receive(municipality="Boxtel"),
    }
    referred = await routing.act(found["referred"], "refer", provider=PROVIDER, at="2026-03-04")
    assert referred.status_code == 200, referred.text
    return found


# (caller, roles, municipalities, claims, the cases it sees)
CALLERS: list[tuple[str, list[Role], list[str], dict[str, Any], set[str]]] = [
    ("handler of Oss", [Role.handler], ["Oss"], {}, {"oss"}),
    ("kcc of Boxtel", [Role.kcc], ["boxtel"], {}, {"boxtel", "referred"}),
    ("coordinator of both", [Role.coordinator], ["Oss", "Boxtel"], {}, {"oss", "boxtel", "referred"}),
    ("auditor of every municipality", [Role.auditor], ["*"], {}, {"oss", "boxtel", "referred"}),
    ("manager of none", [Role.manager], [], {}, set()),
    ("provider", [Role.provider], [], {"provider": PROVIDER}, {"referred"}),
    ("another provider", [Role.provider], ["*"], {"provider": "Zorg Min"}, set()),
]


@pytest.mark.parametrize(
    ("label", "roles", "municipalities", "claims", "visible"), CALLERS, ids=[c[0] for c in CALLERS]
)
async def test_a_case_outside_the_scope_is_not_found(
    routing: Harness,
    cases: dict[str, str],
    label: str,
    roles: list[Role],
    municipalities: list[str],
    claims: dict[str, Any],
    visible: set[str],
) -> None:
    caller = headers(routing, roles, municipalities, **claims)
    listed = await routing.http.get("/api/v1/cases", headers=caller)
    assert listed.status_code == 200, listed.text
    assert {c["id"] for c in listed.json()["items"]} == {cases[name] for name in visible}
    staff = Role.provider not in roles
    for name, case_id in cases.items():
        want = 200 if name in visible else 404
        assert (await routing.http.get(f"/api/v1/cases/{case_id}", headers=caller)).status_code == want, name
        if staff:
            page = await routing.http.get(f"/klachten/{case_id}", headers=caller)
            assert page.status_code == want, (label, name)


@pytest.mark.parametrize("path", ["/api/v1/cases/{id}/acknowledge", "/klachten/{id}/actie/acknowledge"])
async def test_a_case_of_another_municipality_cannot_be_changed(
    routing: Harness, cases: dict[str, str], path: str
) -> None:
    oss = headers(routing, [Role.handler], ["Oss"])
    form = path.startswith("/klachten")
    kwargs: dict[str, Any] = (
        {"content": "at=2026-03-05", "headers": oss | {"Content-Type": "application/x-www-form-urlencoded"}}
        if form
        else {"json": {"at": "2026-03-05"}, "headers": oss}
    )
    other = await routing.http.post(path.format(id=cases["boxtel"]), **kwargs)
    assert other.status_code == 404
    assert "acknowledged" not in await routing.events(cases["boxtel"])
    own = await routing.http.post(path.format(id=cases["oss"]), **kwargs)
    assert own.status_code in (200, 303), own.text
    assert "acknowledged" in await routing.events(cases["oss"])


async def test_the_work_queue_lists_only_the_callers_cases(routing: Harness, cases: dict[str, str]) -> None:
    references = {name: (await routing.case(case_id))["reference"] for name, case_id in cases.items()}
    page = (await routing.http.get("/", headers=headers(routing, [Role.coordinator], ["Oss"]))).text
    assert references["oss"] in page
    assert references["boxtel"] not in page and references["referred"] not in page
