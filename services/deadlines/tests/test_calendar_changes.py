"""A calendar change is answered at once and recomputes, in the background, only the cases whose
running terms cross a changed day; a restart resumes where the recompute stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from deadlines_harness import Instance, at, change, new_case_id, opened

from klachtstroom.contracts import case_events as ev
from klachtstroom.deadlines.tracking.calendar_changes import CalendarChanges

DECREE = {"date": "2026-04-14", "name": "Dag van de test (besluit)", "source": "besluit"}


async def _decision_due(deadlines: Instance, case_id: str) -> str:
    return str((await deadlines.deadlines(case_id))["decision"]["due"])


async def test_only_the_cases_whose_terms_cross_the_day_are_recomputed(deadlines: Instance) -> None:
    crossing, earlier, closed = new_case_id(), new_case_id(), new_case_id()
    await deadlines.deliver(
        opened(crossing),  # 3 March: decision due Tuesday 14 April
        opened(earlier, received_at=at(5, month=1)),  # 5 January: every term over by mid-February
        opened(closed),
    )
    await deadlines.deliver(change(ev.CaseWithdrawn, closed, at(4), state="withdrawn"))
    before = await _decision_due(deadlines, earlier)

    added = await deadlines.http.put("/api/v1/calendar/days", json={"days": [DECREE]})
    assert added.status_code == 202, added.text
    assert await _decision_due(deadlines, crossing) == "2026-04-14"  # not yet: the request only queued it
    assert await deadlines.rt.calendar_changes.run_pending() == 1
    assert await _decision_due(deadlines, crossing) == "2026-04-15"
    assert await _decision_due(deadlines, earlier) == before

    removed = await deadlines.http.delete("/api/v1/calendar/days/2026-04-14", params={"source": "besluit"})
    assert removed.status_code == 204
    assert await deadlines.rt.calendar_changes.run_pending() == 1
    assert await _decision_due(deadlines, crossing) == "2026-04-14"
    followed = await deadlines.http.get(removed.headers["location"])
    assert (followed.json()["state"], followed.json()["recomputed_cases"]) == ("done", 1)
    assert (await deadlines.http.get("/api/v1/calendar/changes/999999")).status_code == 404


async def test_a_recompute_stopped_halfway_goes_on_where_it_stopped(deadlines: Instance) -> None:
    cases = sorted(new_case_id() for _ in range(3))
    await deadlines.deliver(*(opened(case_id) for case_id in cases))
    rt = deadlines.rt
    added = await deadlines.http.put("/api/v1/calendar/days", json={"days": [DECREE]})
    change_id = added.json()["change"]["id"]

    def crash() -> None:
        raise RuntimeError("process killed after the first chunk")

    first = CalendarChanges(rt.service.db, rt.tracker, rt.service.clock.now, chunk=1, after_chunk=crash)
    with pytest.raises(RuntimeError):
        await first.run_pending()
    halfway = (await deadlines.http.get(f"/api/v1/calendar/changes/{change_id}")).json()
    assert (halfway["state"], halfway["recomputed_cases"]) == ("pending", 1)
    assert [await _decision_due(deadlines, c) for c in cases] == ["2026-04-15", "2026-04-14", "2026-04-14"]

    again = CalendarChanges(rt.service.db, rt.tracker, rt.service.clock.now, chunk=1)
    assert await again.run_pending() == 2  # the two left, not the first again
    done = (await deadlines.http.get(f"/api/v1/calendar/changes/{change_id}")).json()
    assert (done["state"], done["recomputed_cases"]) == ("done", 3)
    assert (
        done["finished_at"] is not None and dt.datetime.fromisoformat(done["finished_at"]).tzinfo is not None
    )
    assert [await _decision_due(deadlines, c) for c in cases] == ["2026-04-15"] * 3
