"""A consumed batch of case events is handled a run at a time (new cases together); the outcome
must be the one of handling its events one by one, in the same order: terms, timers, facts, events."""

from __future__ import annotations

import json
from typing import Any

from deadlines_harness import Instance, at, change, new_case_id, opened, reference_of
from sqlalchemy import select

from klachtstroom.contracts import case_events as ev
from klachtstroom.deadlines.store import CaseRecord

NAMES = "abcdefg"


def before(ids: dict[str, str]) -> list[ev.CaseChange]:
    """Delivered first, in a batch of their own: a case that exists, one waiting for its opening."""
    return [opened(ids["a"]), change(ev.CaseAcknowledged, ids["e"], at(4))]


def scenario(ids: dict[str, str]) -> list[ev.CaseChange]:
    a, b, c, d, e, f, g = (ids[n] for n in NAMES)
    return [
        opened(b),
        opened(c, urgent=True),  # sensitive: the college is on its ladder
        change(ev.TermExtended, b, at(20), weeks=2),  # a case opened earlier in the run
        change(ev.CaseAcknowledged, a, at(4)),  # a case stored before the batch
        opened(a, handler_name="Team Zorg"),  # opened twice: the first opening's terms stand
        opened(e),  # the acknowledgement that waited is checked now
        change(ev.CaseAcknowledged, f, at(5)),  # before its opening, in the same run
        opened(f),
        opened(d),
        opened(b, handler_name="Team Wonen"),  # the same opening again (a replay, new event id)
        change(ev.TermExtended, d, at(20), weeks=2),
        change(ev.TermExtended, d, at(23), weeks=2),  # refused (Awb 9:11 lid 2: one extension)
        change(ev.CaseReferred, g, at(4), provider="Zorg BV"),  # waits
        opened(g, received_at=at(3, hour=23, minute=30)),  # late in the evening
    ]


async def outcome(deadlines: Instance, ids: dict[str, str]) -> dict[str, Any]:
    """Everything the service keeps of the scenario's cases, with their ids made alike."""
    cases: dict[str, Any] = {}
    for name, case_id in ids.items():
        response = await deadlines.http.get("/api/v1/timers", params={"case_id": case_id})
        facts = await deadlines.http.get(f"/api/v1/deadlines/cases/{case_id}")
        async with deadlines.service.db.reading() as session:
            row = (
                await session.execute(select(CaseRecord).where(CaseRecord.case_id == case_id))
            ).scalar_one()
            stored = {column.key: getattr(row, column.key) for column in CaseRecord.__table__.columns}
        cases[name] = {
            "row": stored,  # who handles it too (the addresses of warnings and escalations)
            "terms": await deadlines.deadlines(case_id),
            "timers": sorted(response.json()["items"], key=lambda t: (t["term"], t["step"], t["due"])),
            "case": facts.json(),
        }
    events = [e for e in await deadlines.events() if e["case_id"] in ids.values()]
    text = json.dumps({"cases": cases, "events": events}, sort_keys=True, default=str)
    for name, case_id in ids.items():
        text = text.replace(case_id, name).replace(reference_of(case_id), f"ref-{name}")
    return _without(json.loads(text), {"id", "event_id"})


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


async def test_a_batch_has_the_outcome_of_its_events_one_by_one(deadlines: Instance) -> None:
    one = {name: new_case_id() for name in NAMES}
    many = {name: new_case_id() for name in NAMES}
    for ids in (one, many):
        await deadlines.deliver(*before(ids))
    for payload in scenario(one):
        await deadlines.deliver(payload)
    await deadlines.deliver(*scenario(many))

    expected = await outcome(deadlines, one)
    assert await outcome(deadlines, many) == expected
    cases = expected["cases"]
    assert cases["a"]["row"]["handler_name"] == "Team Zorg"  # the terms stand, the handler follows
    assert cases["b"]["terms"]["decision"]["extended_weeks"] == 2
    assert cases["e"]["terms"]["contact"]["state"] == "met"
    assert [f["type"] for f in cases["d"]["case"]["rejected"]] == ["extended"]
    assert any(t["step"] == "college" for t in cases["c"]["timers"])
    assert cases["g"]["row"]["opened"] is True and cases["g"]["row"]["sensitive"] is False
    assert len([e for e in expected["events"] if e["type"] == "set"]) >= 3 * len(NAMES)


async def test_a_run_of_many_openings_opens_each_once(deadlines: Instance) -> None:
    ids = [new_case_id() for _ in range(30)]
    envelopes = await deadlines.deliver(*(opened(case_id) for case_id in ids[:20]))
    await deadlines.redeliver(envelopes[10:])  # the same events again: the inbox drops them
    await deadlines.deliver(*(opened(case_id) for case_id in ids[15:]))  # new event ids
    events = [e for e in await deadlines.events("set") if e["case_id"] in ids]
    assert sorted(e["case_id"] for e in events) == sorted(ids * 3)
    for case_id in (ids[0], ids[17], ids[29]):
        terms = await deadlines.deadlines(case_id)
        assert {k: t["due"] for k, t in terms.items()} == {
            "contact": "2026-03-10",
            "decision": "2026-04-14",
            "decline": "2026-03-31",
        }
