"""The annual report counted in SQL (reports/aggregates.py) is the pure-Python report, exactly.

A generated set of projection rows with every edge case the judgements of facts.py know:
reopened cases (closed verdict no longer counts), declines and withdrawals without an outcome,
no due dates, merged and incomplete rows, missing and empty names, other municipalities,
registrations on 31 December and 1 January of each year (received_on is the Dutch date), and
contact and decision dates on, before and after their due dates. Each report is made both ways,
for every municipality and for all, for callers of every scope, and compared whole.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from reporting_harness import Harness, start_harness
from sqlalchemy import insert, or_
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.vocabulary import CaseState, Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.reporting.http.dashboard import CONTACT_PENDING
from klachtstroom.reporting.learning.satisfaction import Answer
from klachtstroom.reporting.projection.queries import live_set, read_facts, read_records
from klachtstroom.reporting.reports.aggregates import (
    ID_CHUNK,
    Sees,
    annual_report_sql,
    facts_by_id,
    municipalities_between,
    open_by_due,
    open_counts,
    open_sql,
    reported,
    scope_sql,
)
from klachtstroom.reporting.reports.annual import Learning, annual_report
from klachtstroom.reporting.reports.facts import OPEN_STATES, CaseFacts

YEAR = 2025
# "unknown" is counted with the rows without a name (`facts.UNKNOWN`).
MUNICIPALITIES = ["Voorbeeldstad", "Buurdorp", "buurdorp", "Ærø", "unknown", None, ""]
UNITS = ["Inkomen", "Wmo", "", None, "unknown"]
PROVIDERS = [None, None, None, "Zorg A", "zorg a", ""]


def _day(rng: random.Random) -> date:
    """A received date, often on a year boundary, from five years before YEAR to the year after."""
    year = rng.randrange(YEAR - 5, YEAR + 2)
    if rng.random() < 0.3:
        return rng.choice([date(year, 1, 1), date(year, 12, 31)])
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _near(rng: random.Random, due: date | None) -> date | None:
    """A date on, just before or just after `due` (or none)."""
    if due is None or rng.random() < 0.2:
        return None
    return due + timedelta(days=rng.choice([-3, -1, 0, 0, 1, 4]))


def _row(i: int, rng: random.Random) -> dict[str, Any]:
    received = _day(rng)
    state = rng.choice(list(CaseState))
    decision_due = received + timedelta(weeks=6) if rng.random() < 0.85 else None
    contact_due = received + timedelta(days=7) if rng.random() < 0.8 else None
    provider = rng.choice(PROVIDERS)
    complete = rng.random() < 0.95
    return {
        "id": f"c-{i:05d}", "complete": complete,
        "reference": f"KL-{received.year}-{rng.randrange(10**5):05d}" if complete else None,
        "received_on": received, "channel": rng.choice(list(Channel)).value,
        "kind": rng.choice(list(Kind)).value, "category": rng.choice(list(Category)).value,
        "urgent": rng.random() < 0.1, "municipality": rng.choice(MUNICIPALITIES),
        "unit": rng.choice(UNITS), "provider": provider,
        "handler": rng.choice(list(Handler)).value,
        # A reopened case keeps its earlier verdict in the row; reports must not count it.
        "state": state.value if rng.random() < 0.97 else None,
        "resolution": rng.choice([None, *Resolution]),
        "outcome": rng.choice([None, None, *Outcome]),
        "resolved_on": _near(rng, decision_due or received + timedelta(weeks=6)),
        "decision_due": decision_due, "contact_due": contact_due,
        "acknowledged_on": _near(rng, contact_due),
        "ombudsman": rng.random() < 0.05, "mediated_with_partner": rng.random() < 0.1,
        "provider_measures": None, "decision_state": None,
        "contact_state": rng.choice([None, "running", "met", "breached"]),
        "merged_into": f"c-{rng.randrange(i + 1):05d}" if rng.random() < 0.04 else None,
        "imported": False, "urgent_reasons": [],
    }  # fmt: skip


@pytest.fixture
async def harness(tmp_path: Path) -> Any:
    h = await start_harness(tmp_path)
    rng = random.Random(22)
    rows = [_row(i, rng) for i in range(3000)]
    async with h.service.db.transaction() as session:
        await session.execute(insert((await live_set(session)).cases.__table__), rows)  # type: ignore[attr-defined]
    yield h
    await h.close()


def _scoped(facts: list[CaseFacts], sees: Sees | None) -> list[CaseFacts]:
    return [f for f in facts if sees is None or sees(f.municipality, f.provider)]


def _sees_municipality(name: str) -> Sees:
    # As Access.sees for staff of one municipality: case-insensitive, nothing without a name.
    return lambda m, p: m is not None and m.casefold() == name.casefold()


def _sees_provider(name: str) -> Sees:
    return lambda m, p: p is not None and p.casefold() == name.casefold()


SCOPES: dict[str, Sees | None] = {
    "all": None,
    "buurdorp": _sees_municipality("Buurdorp"),
    "provider": _sees_provider("Zorg A"),
    "nothing": lambda m, p: False,
}


@pytest.mark.parametrize("scope", SCOPES)
async def test_the_sql_report_is_the_python_report(harness: Harness, scope: str) -> None:
    sees = SCOPES[scope]
    rng = random.Random(5)
    ids = [f"c-{i:05d}" for i in range(3000)]
    learning = Learning(
        answers={i: Answer(rng.randrange(1, 11), rng.random() < 0.5) for i in rng.sample(ids, 400)},
        norms={i: rng.sample(["transparency", "listening", "fair_play", "no-norm"], 2)
               for i in rng.sample(ids, 600)},
    )  # fmt: skip
    async with harness.service.db.reading() as session:
        for year in (YEAR - 1, YEAR):
            facts = _scoped(await read_facts(session, year - 3, year), sees)
            for municipality in [None, "Buurdorp", "buurdorp", "Nergens"]:
                for as_of in (date(year, 12, 31), date(year, 3, 1)):
                    expected = annual_report(facts, year, municipality, as_of=as_of, learning=learning)
                    got = await annual_report_sql(
                        session, year, municipality, as_of=as_of, learning=learning, sees=sees
                    )
                    assert got == expected, (scope, year, municipality, as_of)
                    assert list(got["by_municipality"]) == list(expected["by_municipality"])
                    assert list(got["by_unit"]) == list(expected["by_unit"])


async def test_reads_side_by_side_give_the_same_report(harness: Harness) -> None:
    """The counts on sessions of their own and the learning read beside them (as the API does on
    SQLite) give the report one session gives."""
    rng = random.Random(8)
    ids = [f"c-{i:05d}" for i in range(3000)]
    learning = Learning(
        answers={i: Answer(rng.randrange(1, 11), rng.random() < 0.5) for i in rng.sample(ids, 300)},
        norms={i: ["listening"] for i in rng.sample(ids, 300)},
    )
    db = harness.service.db

    async def learn(_: AsyncSession) -> Learning:
        await asyncio.sleep(0)  # the counting starts before the learning is in
        return learning

    async with db.reading() as session:
        facts = await read_facts(session, YEAR - 3, YEAR)
        for municipality in [None, "Buurdorp"]:
            expected = annual_report(facts, YEAR, municipality, learning=learning)
            got = await annual_report_sql(session, YEAR, municipality, learning=learn, apart=db.reading)
            assert got == expected, municipality
            assert got["by_municipality"] and got["satisfaction"]["responses"]


async def test_the_generated_set_has_the_edge_cases(harness: Harness) -> None:
    """Guard against a generator that no longer makes what the comparison is meant to cover."""
    async with harness.service.db.reading() as session:
        facts = await read_facts(session)
    report = annual_report(facts, YEAR)
    assert report["within_term"]["late"] and report["within_term"]["open"]
    assert report["acknowledged_within_5_working_days"]["late"]
    assert report["by_outcome"]["inadmissible"] and report["ombudsman"]
    reopened = [f for f in facts if not f.is_closed and f.outcome is not None]
    declined = [f for f in facts if f.state == CaseState.declined and f.outcome is None]
    assert reopened and declined
    assert {f.received_on for f in facts} >= {date(YEAR, 1, 1), date(YEAR, 12, 31)}
    assert len(facts) < 3000  # merged and incomplete rows are left out


async def test_the_dashboards_municipalities_are_those_of_the_four_years(harness: Harness) -> None:
    async with harness.service.db.reading() as session:
        cases = (await live_set(session)).cases
        for sees in SCOPES.values():
            facts = _scoped(await read_facts(session, YEAR - 3, YEAR), sees)
            expected = sorted(
                {f.municipality for f in facts if f.municipality}, key=lambda n: (n.casefold(), n)
            )
            where = [reported(cases), await scope_sql(session, cases, sees)]
            assert await municipalities_between(session, cases, YEAR - 3, YEAR, where) == expected


async def test_the_dashboards_open_cases_are_those_python_would_list(harness: Harness) -> None:
    """Counts, the first open cases by due date and the contact terms, as the dashboard had them."""
    today = date(YEAR, 6, 1)
    horizon = today + timedelta(days=5)
    async with harness.service.db.reading() as session:
        cases = (await live_set(session)).cases
        everything = await read_records(session, cases.state.in_(sorted(OPEN_STATES)))
        for sees in SCOPES.values():
            for municipality in (None, "Buurdorp"):
                mine = [r for r in everything if sees is None or sees(r.municipality, r.provider)]
                mine = [r for r in mine if municipality is None or r.municipality == municipality]
                where = [reported(cases), await scope_sql(session, cases, sees)]
                if municipality is not None:
                    where.append(cases.municipality == municipality)
                counts = await open_counts(session, cases, today, horizon, where)
                due = [r.decision_due for r in mine]
                assert (counts.open, counts.at_risk, counts.overdue, counts.urgent) == (
                    len(mine),
                    sum(1 for d in due if d is not None and today <= d <= horizon),
                    sum(1 for d in due if d is not None and d < today),
                    sum(1 for r in mine if r.urgent),
                )
                by_due = sorted(mine, key=lambda r: (r.decision_due or date.max, r.reference or ""))
                first = await open_by_due(session, cases, 50, where)
                assert [r.id for r in first] == [r.id for r in by_due[:50]]
                pending = [
                    r.id for r in mine
                    if r.contact_due is not None and r.contact_due <= horizon and r.acknowledged_on is None
                    and r.contact_state in (None, "running", "breached")
                ]  # fmt: skip
                contact = [
                    *where,
                    open_sql(cases),
                    cases.contact_due <= horizon,
                    cases.acknowledged_on.is_(None),
                    or_(cases.contact_state.is_(None), cases.contact_state.in_(CONTACT_PENDING)),
                ]
                assert list(await facts_by_id(session, cases, None, contact)) == pending


async def test_facts_by_id_are_the_rows_python_reads(harness: Harness) -> None:
    """The rows of the ids asked (over several chunks of ids, unknown ids left out) that meet the
    condition, by id in id order; with no ids, every row that meets it."""
    async with harness.service.db.reading() as session:
        cases = (await live_set(session)).cases
        everything = {r.id: r for r in await read_records(session)}
        asked = {f"c-{i:05d}" for i in range(0, 3000, 2)} | {"c-99999", "elders"}
        assert len(asked) > 2 * ID_CHUNK
        for where in ([reported(cases)], [reported(cases), cases.municipality == "Buurdorp"]):
            expected = {
                i: r for i, r in sorted(everything.items())
                if i in asked and (len(where) == 1 or r.municipality == "Buurdorp")
            }  # fmt: skip
            found = await facts_by_id(session, cases, asked, where)
            assert list(found.items()) == list(expected.items())
        assert list((await facts_by_id(session, cases, None, [reported(cases)])).items()) == sorted(
            everything.items()
        )
        assert await facts_by_id(session, cases, [], [reported(cases)]) == {}
