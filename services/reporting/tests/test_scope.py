"""Scope (DESIGN.md "Access and roles"): reports, the dashboard and signals of a caller of some
municipalities count only its own cases; a report asked for another municipality is 404; a
provider's report holds only its own cases; the college gets counts, never a list of cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest
from register_2025 import register
from reporting_events import Story, interleave
from reporting_harness import Harness

from klachtstroom.contracts.vocabulary import Category
from klachtstroom.platform.auth.callers import Role


def headers(
    harness: Harness, roles: Iterable[Role], municipalities: Iterable[str] = (), **claims: Any
) -> dict[str, str]:
    issuer = harness.service.access.development
    assert issuer is not None
    token = issuer.mint(list(roles), subject="medewerker", municipalities=list(municipalities), **claims)
    return {"Authorization": f"Bearer {token}"}


def urgent(municipality: str) -> Story:
    story = Story(
        date(2025, 11, 3), urgent=True, category=Category.conduct, unit="Inkomen", municipality=municipality
    )
    return story.received().opened().assigned()


STORIES: list[Story] = []


@pytest.fixture
async def fed(harness: Harness) -> Harness:
    """The 2025 register (Voorbeeldstad 8 in 2025, Buurdorp 2) and an urgent complaint in each."""
    STORIES[:] = [*register(), urgent("Voorbeeldstad"), urgent("Buurdorp")]
    await harness.deliver(interleave(STORIES, 1))
    return harness


async def get(harness: Harness, path: str, caller: dict[str, str]) -> Any:
    response = await harness.client.get(path, headers=caller)
    assert response.status_code == 200, (path, response.text)
    return response.json()


# (caller, municipalities, annual total 2025 it sees, mediated total, Zorg Plus cases, urgent signals)
CALLERS = [
    ("coordinator", ["Buurdorp"], 3, 0, 0, {"Buurdorp"}),
    ("manager", ["voorbeeldstad"], 9, 1, 1, {"Voorbeeldstad"}),
    ("college", ["Voorbeeldstad", "Buurdorp"], 12, 1, 1, {"Voorbeeldstad", "Buurdorp"}),
    ("college", ["*"], 12, 1, 1, {"Voorbeeldstad", "Buurdorp"}),
    ("coordinator", [], 0, 0, 0, set()),
]


@pytest.mark.parametrize(
    ("role", "municipalities", "total", "mediated", "zorg_plus", "urgent_in"),
    CALLERS,
    ids=[f"{c[0]} of {','.join(c[1]) or 'none'}" for c in CALLERS],
)
async def test_reports_count_only_the_callers_municipalities(
    fed: Harness,
    role: str,
    municipalities: list[str],
    total: int,
    mediated: int,
    zorg_plus: int,
    urgent_in: set[str],
) -> None:
    fed.routing_with_measures("Training bejegening")
    caller = headers(fed, [Role(role)], municipalities)
    annual = await get(fed, "/api/v1/reports/annual/2025", caller)
    assert annual["total"] == total
    assert set(annual["by_municipality"]) <= {m.capitalize() for m in municipalities} | {
        "Buurdorp",
        "Voorbeeldstad",
    }
    if "*" not in municipalities:
        assert {m.casefold() for m in annual["by_municipality"]} <= {m.casefold() for m in municipalities}
    assert (await get(fed, "/api/v1/reports/mediated/2025", caller))["total"] == mediated
    assert (await get(fed, "/api/v1/reports/providers/Zorg Plus/2025-H1", caller))["total"] == zorg_plus
    signals = (await get(fed, "/api/v1/signals", caller))["items"]
    assert {s["municipality"] for s in signals if s["type"] == "urgent"} == urgent_in


@pytest.mark.parametrize("path", ["/api/v1/reports/annual/2025?municipality={m}", "/?municipality={m}"])
async def test_a_report_of_another_municipality_is_not_found(fed: Harness, path: str) -> None:
    buurdorp = headers(fed, [Role.coordinator], ["Buurdorp"])
    other = await fed.client.get(path.format(m="Voorbeeldstad"), headers=buurdorp)
    assert other.status_code == 404
    own = await fed.client.get(path.format(m="Buurdorp"), headers=buurdorp)
    assert own.status_code == 200


async def test_the_dashboard_lists_only_the_callers_cases(fed: Harness) -> None:
    stories = STORIES
    everything = (await fed.client.get("/")).text
    buurdorp = (await fed.client.get("/", headers=headers(fed, [Role.coordinator], ["Buurdorp"]))).text
    open_voorbeeldstad = [
        s.reference for s in stories if s.municipality == "Voorbeeldstad" and s.reference in everything
    ]
    assert open_voorbeeldstad, "the unscoped dashboard lists open cases of Voorbeeldstad"
    assert not any(reference in buurdorp for reference in open_voorbeeldstad)
    assert any(s.reference in buurdorp for s in stories if s.municipality == "Buurdorp")


async def test_a_provider_reads_only_its_own_report(fed: Harness) -> None:
    fed.routing_with_measures("Training bejegening")
    own = headers(fed, [Role.provider], provider="Zorg Plus")
    assert (await get(fed, "/api/v1/reports/providers/Zorg Plus/2025-H1", own))["total"] == 1
    other = headers(fed, [Role.provider], provider="Zorg Min")
    response = await fed.client.get("/api/v1/reports/providers/Zorg Plus/2025-H1", headers=other)
    assert response.status_code == 404
    assert (await fed.client.get("/api/v1/reports/annual/2025", headers=own)).status_code == 403


async def test_the_college_gets_counts_never_cases(fed: Harness) -> None:
    college = headers(fed, [Role.college], ["*"])
    annual = await fed.client.get("/api/v1/reports/annual/2025", headers=college)
    assert annual.status_code == 200
    fed.routing_with_measures("Training bejegening")
    provider = await fed.client.get("/api/v1/reports/providers/Zorg Plus/2025-H1", headers=college)
    for report in (annual, provider):
        assert report.status_code == 200
        assert not any(s.reference in report.text or s.id in report.text for s in STORIES)
    assert (await fed.client.get("/", headers=college)).status_code == 403  # the dashboard lists cases
