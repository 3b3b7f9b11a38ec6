"""The durable timers: warning, breach and the escalation ladder fire once each, at their moment,
in due order — also with two instances on one database, after downtime and after a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from deadlines_harness import Instance, at, change, new_case_id, opened
from sqlalchemy import func, select

from klachtstroom.contracts import case_events as ev
from klachtstroom.deadlines.store import NotificationRecord, TimerRecord, utc

ESCALATION = {
    "handlers": {"Team Inkomen": "team.inkomen@gemeente.example"},
    "default_handler": "klachten@gemeente.example",
    "levels": {
        "coordinator": ["klachtcoordinator@gemeente.example"],
        "manager": ["manager.inkomen@gemeente.example"],
        "college": ["college@gemeente.example"],
    },
}
TIMER_EVENTS = ("warning", "breached", "escalated")


def step_of(event: dict[str, Any]) -> str:
    return {"warning": "warning", "breached": "breach"}.get(event["type"]) or str(event["level"])


async def all_timers(instance: Instance) -> list[TimerRecord]:
    async with instance.service.db.reading() as session:
        return list((await session.scalars(select(TimerRecord).order_by(TimerRecord.id))).all())


async def notifications(instance: Instance) -> list[NotificationRecord]:
    async with instance.service.db.reading() as session:
        return list((await session.scalars(select(NotificationRecord).order_by(NotificationRecord.id))).all())


async def test_warning_breach_and_ladder_fire_at_their_moment(deadlines: Instance) -> None:
    assert (await deadlines.http.put("/api/v1/escalation", json=ESCALATION)).status_code == 200
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))

    assert await deadlines.move_clock(at(5, hour=7, minute=59)) == 0
    assert await deadlines.move_clock(at(5, hour=8)) == 1
    [warning] = await deadlines.events("warning")
    assert (warning["kind"], warning["due"], warning["working_days_left"]) == ("contact", "2026-03-10", 3)

    assert await deadlines.move_clock(at(10, hour=23, minute=59)) == 0
    assert await deadlines.move_clock(at(11, hour=0)) == 1  # the day after the due date, 00:00
    [breach] = await deadlines.events("breached")
    assert (breach["kind"], breach["handler"]) == ("contact", "Team Inkomen")
    assert (await deadlines.deadlines(case_id))["contact"]["state"] == "breached"
    assert [(e["kind"], e["state"]) for e in (await deadlines.events("set"))[3:]] == [("contact", "breached")]

    assert await deadlines.move_clock(at(11, hour=8)) == 1
    assert await deadlines.move_clock(at(12, hour=8)) == 1
    assert await deadlines.move_clock(at(17, hour=8)) == 1
    ladder = [(e["level"], e["recipient"]) for e in await deadlines.events("escalated")]
    assert ladder == [("handler", "Team Inkomen"), ("coordinator", "coordinator"), ("manager", "manager")]

    sent_to = [(n.step, n.channel, n.target) for n in await notifications(deadlines)]
    assert sent_to == [
        ("warning", "email", "team.inkomen@gemeente.example"),
        ("breach", "email", "team.inkomen@gemeente.example"),
        ("handler", "email", "team.inkomen@gemeente.example"),
        ("coordinator", "email", "klachtcoordinator@gemeente.example"),
        ("manager", "email", "manager.inkomen@gemeente.example"),
    ]
    first = (await notifications(deadlines))[0]
    assert first.subject.startswith("Termijn verloopt bijna: contacttermijn van klacht KL-2026-")
    assert "eindigt over 3 werkdagen, op dinsdag 10 maart 2026" in first.body


async def test_a_late_contact_stops_the_ladder(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    await deadlines.move_clock(at(11, hour=9))  # warning, breach, handler
    await deadlines.deliver(change(ev.CaseAcknowledged, case_id, at(11, hour=10), state="acknowledged"))
    await deadlines.move_clock(at(1, month=4))
    contact_steps = [step_of(e) for e in await deadlines.events(*TIMER_EVENTS) if e["kind"] == "contact"]
    assert contact_steps == ["warning", "breach", "handler"]
    assert (await deadlines.deadlines(case_id))["contact"]["state"] == "breached"


async def test_every_timer_fires_once_and_the_day_passing_updates_the_terms(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id, urgent=True))
    await deadlines.move_clock(at(1, month=6))
    fired = Counter((e["kind"], step_of(e)) for e in await deadlines.events(*TIMER_EVENTS))
    assert fired == {
        (kind, step): 1
        for kind in ("contact", "decision")
        for step in ("warning", "breach", "handler", "coordinator", "manager", "college")
    }
    terms = await deadlines.deadlines(case_id)
    assert {k: t["state"] for k, t in terms.items()} == {
        "contact": "breached",
        "decision": "breached",
        "decline": "cancelled",  # not declined in time: the complaint is being handled
    }
    assert await deadlines.move_clock(at(1, month=7)) == 0


async def _open_cases(instance: Instance, n: int) -> list[str]:
    ids = [new_case_id() for _ in range(n)]
    # Received on different days, some urgent: the timers of the cases interleave.
    await instance.deliver(
        *(opened(c, received_at=at(2 + i % 9, hour=9 + i % 5), urgent=i % 4 == 0) for i, c in enumerate(ids))
    )
    return ids


async def test_two_instances_sharing_one_database_fire_each_timer_once(
    make_instance: Callable[..., Any],
) -> None:
    first: Instance = await make_instance(timer_batch=7)
    second: Instance = await make_instance(timer_batch=7)
    await first.http.put("/api/v1/escalation", json=ESCALATION)
    await _open_cases(first, 40)
    for moment in (at(20), at(10, month=4), at(1, month=6)):
        first.set_clock(moment)
        second.set_clock(moment)
        await asyncio.gather(*(i.rt.engine.run_due() for i in (first, second, first, second)))

    timers = await all_timers(first)
    assert timers and all(t.state == "fired" for t in timers)
    events = await first.events(*TIMER_EVENTS)
    assert len(events) == len(timers)
    assert Counter((e["case_id"], e["kind"], step_of(e), e["due"]) for e in events).most_common(1)[0][1] == 1
    assert {t.event_id for t in timers} == {e["event_id"] for e in events}
    assert first.rt.engine.fired + second.rt.engine.fired == len(timers)
    per_timer = Counter((n.timer_id, n.channel, n.target) for n in await notifications(first))
    assert per_timer and max(per_timer.values()) == 1
    # Several steps for one person in one round are one digest (named after its first timer).
    assert {n.timer_id for n in await notifications(first)} <= {t.id for t in timers}


async def test_missed_timers_fire_once_in_due_order_after_downtime(make_instance: Callable[..., Any]) -> None:
    before: Instance = await make_instance()
    await _open_cases(before, 12)
    await before.close()  # the service goes down before any timer is due ...

    after: Instance = await make_instance(clock=at(1, month=6))  # ... and comes back months later
    fired = await after.rt.engine.run_due()
    timers = await all_timers(after)
    assert fired == len(timers) > 0
    in_due_order = sorted(timers, key=lambda t: (t.fire_at, t.id))
    events = await after.events(*TIMER_EVENTS)
    assert [e["event_id"] for e in events] == [t.event_id for t in in_due_order]
    assert await after.rt.engine.run_due() == 0


async def test_a_crash_while_firing_leaves_the_timers_pending(
    deadlines: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _open_cases(deadlines, 5)
    deadlines.set_clock(at(1, month=6))
    real_add = deadlines.service.outbox.add
    calls = 0

    async def crash_on_the_fourth(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("proces gestopt")
        return await real_add(*args, **kwargs)

    monkeypatch.setattr(deadlines.service.outbox, "add", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        await deadlines.rt.engine.run_due()
    assert {t.state for t in await all_timers(deadlines)} == {"pending"}
    assert await deadlines.events(*TIMER_EVENTS) == []
    assert await notifications(deadlines) == []

    monkeypatch.setattr(deadlines.service.outbox, "add", real_add)
    fired = await deadlines.rt.engine.run_due()
    assert fired == len(await all_timers(deadlines)) == len(await deadlines.events(*TIMER_EVENTS))


async def test_the_loop_wakes_when_the_next_timer_is_due(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    warning_at = dt.datetime(2026, 3, 5, 7, 0, tzinfo=dt.UTC)
    deadlines.service.clock.set(warning_at - dt.timedelta(seconds=0.4))  # a running clock
    loop = asyncio.create_task(deadlines.rt.engine.run())
    try:
        for _ in range(40):
            await asyncio.sleep(0.05)
            if deadlines.rt.engine.fired:
                break
        [timer] = [t for t in await all_timers(deadlines) if t.state == "fired"]
        assert timer.step == "warning" and timer.fired_at is not None
        assert dt.timedelta(0) <= utc(timer.fired_at) - warning_at < dt.timedelta(seconds=1)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_a_new_decree_day_moves_running_terms_and_their_timers(deadlines: Instance) -> None:
    case_id = new_case_id()
    await deadlines.deliver(opened(case_id))
    response = await deadlines.http.put(
        "/api/v1/calendar/days",
        json={
            "days": [
                {"date": "2026-04-14", "name": "Dag van de test (besluit)", "source": "besluit"},
                {"date": "2026-03-06", "name": "Teamdag", "source": "gemeente"},
            ]
        },
    )
    assert response.status_code == 202, response.text
    change = response.json()["change"]
    location = f"/api/v1/calendar/changes/{change['id']}"
    assert (change["state"], response.headers["location"]) == ("pending", location)
    assert await deadlines.rt.calendar_changes.run_pending() == 1  # the background task's work
    followed = (await deadlines.http.get(response.headers["location"])).json()
    assert (followed["state"], followed["recomputed_cases"]) == ("done", 1)
    terms = await deadlines.deadlines(case_id)
    # The decree day moves the statutory decision term; the local closing day only moves the
    # working-day contact term (Fri 6 Mar does not count: Wed 11 Mar).
    assert (terms["decision"]["due"], terms["contact"]["due"]) == ("2026-04-15", "2026-03-11")
    assert any("Dag van de test" in line for line in terms["decision"]["explanation"])
    assert [(e["kind"], e["due"]) for e in (await deadlines.events("set"))[3:]] == [
        ("contact", "2026-03-11"),
        ("decision", "2026-04-15"),
    ]
    pending = {(t.term_key, t.step): t.due for t in await all_timers(deadlines) if t.state == "pending"}
    assert pending[("decision", "breach")] == dt.date(2026, 4, 15)
    assert pending[("contact", "breach")] == dt.date(2026, 3, 11)


async def test_new_rules_after_a_restart_reschedule_the_timers(make_instance: Callable[..., Any]) -> None:
    old: Instance = await make_instance()
    case_id = new_case_id()
    await old.deliver(opened(case_id))
    from klachtstroom.deadlines.tracking.tracker import recompute_if_rules_changed

    await recompute_if_rules_changed(old.service.db, old.rt.tracker)
    await old.close()

    new: Instance = await make_instance(warning_working_days=5)
    assert await recompute_if_rules_changed(new.service.db, new.rt.tracker) == 1
    warning = [t for t in await all_timers(new) if t.state == "pending" and t.step == "warning"]
    # Contact due Tue 10 Mar: 5 working days earlier is Tue 3 Mar (not before the start).
    assert {(t.term_key, t.fire_at.date()) for t in warning} == {
        ("contact", dt.date(2026, 3, 3)),
        ("decision", dt.date(2026, 4, 7)),
    }
    assert await recompute_if_rules_changed(new.service.db, new.rt.tracker) == 0


async def test_counts_are_consistent(deadlines: Instance) -> None:
    await _open_cases(deadlines, 3)
    async with deadlines.service.db.reading() as session:
        pending = (await session.execute(select(func.count()).select_from(TimerRecord))).scalar_one()
    assert pending == 3 * 10 + 1 * 2  # contact and decision: 5 steps each, college for the urgent one
