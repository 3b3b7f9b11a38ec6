"""The pure parts around the timers: when each step fires, facts from case events, the e-mail text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.timekeeping import AMSTERDAM
from klachtstroom.contracts.vocabulary import Category, Channel, DeadlineKind, Handler, Kind
from klachtstroom.deadlines.notifications.messages import TermNotice, compose
from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar
from klachtstroom.deadlines.terms.compute import (
    CaseOpened,
    Extended,
    Referred,
    Resolved,
    TermPolicy,
    compute_terms,
)
from klachtstroom.deadlines.terms.facts import fact_from_json, fact_to_json, facts_of
from klachtstroom.deadlines.timers.schedule import TimerPlan, plan_timers, term_keys

CAL = TermijnenwetCalendar()
PLAN = TimerPlan(
    policy=TermPolicy(), ladder=(("handler", 1), ("coordinator", 2), ("manager", 5), ("college", 10))
)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)), st.booleans())
def test_steps_fire_in_ladder_order_and_the_breach_right_after_the_due_date(
    received: date, sensitive: bool
) -> None:
    for term in compute_terms([CaseOpened(received)], PLAN.policy, CAL, received):
        timers = plan_timers(term, PLAN, CAL, sensitive=sensitive)
        if term.kind is DeadlineKind.decline:
            assert timers == []
            continue
        steps = [t.step for t in timers]
        assert steps == [
            "warning",
            "breach",
            "handler",
            "coordinator",
            "manager",
            *(["college"] if sensitive else []),
        ]
        moments = [t.fire_at for t in timers]
        assert moments == sorted(moments)
        breach = timers[1].fire_at.astimezone(AMSTERDAM)
        assert (breach.date(), breach.hour, breach.minute) == (term.due + timedelta(days=1), 0, 0)
        warning_day = timers[0].fire_at.astimezone(AMSTERDAM).date()
        assert term.start <= warning_day <= term.due
        for timer in timers[2:]:
            assert CAL.is_working_day(timer.fire_at.astimezone(AMSTERDAM).date())


def test_closed_and_suspended_terms_need_no_timers() -> None:
    received = date(2026, 3, 3)
    terms = compute_terms([CaseOpened(received), Resolved(date(2026, 3, 5))], PLAN.policy, CAL, received)
    assert all(plan_timers(t, PLAN, CAL, sensitive=True) == [] for t in terms)


def test_term_keys_number_repeated_kinds() -> None:
    received = date(2026, 3, 3)
    facts = [CaseOpened(received), Referred(date(2026, 3, 4), "A"), Referred(date(2026, 3, 5), "B")]
    terms = compute_terms(facts, PLAN.policy, CAL, received)
    assert term_keys(terms) == ["contact", "decision", "decline", "provider_response", "provider_response#1"]


def test_facts_use_the_dutch_date_and_survive_storage() -> None:
    opened = ev.CaseOpened(
        case_id="c", state="received", at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        reference="KL-2026-000001", received_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        channel=Channel.email, kind=Kind.complaint, category=Category.other, urgent=False,
        handler=Handler.municipality, advisory_committee=True,
    )  # fmt: skip
    [fact] = facts_of(opened)
    assert fact == CaseOpened(date(2026, 3, 3), advisory_committee=True)
    extended = Extended(date(2026, 4, 1), 3)
    assert fact_from_json({**fact_to_json(extended), "event_id": "x", "error": "y"}) == extended
    assert facts_of(ev.HearingHeld(case_id="c", state="formal", at=datetime(2026, 3, 9, tzinfo=UTC))) == []


def test_mail_text_is_dutch_and_names_only_the_complaint() -> None:
    subject, body = compose(
        TermNotice(
            step="warning", kind=DeadlineKind.decision, case_id="c-1", reference="KL-2026-000042",
            due=date(2026, 4, 14), working_days=1, explanation=["Einddatum: dinsdag 14 april 2026"],
            organisation="Voorbeeldstad / Inkomen",
        )
    )  # fmt: skip
    assert (
        subject
        == "Termijn verloopt bijna: beslistermijn van klacht KL-2026-000042 eindigt op dinsdag 14 april 2026"
    )
    assert "eindigt over 1 werkdag, op dinsdag 14 april 2026" in body
    assert "verleng de termijn één keer met ten hoogste 4 weken" in body
    assert "Organisatie: Voorbeeldstad / Inkomen" in body
