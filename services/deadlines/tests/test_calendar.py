"""Properties of the Termijnenwet calendar that must hold for every start date."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar, dutch_date

CAL = TermijnenwetCalendar()
LOCAL = TermijnenwetCalendar(
    local_days=[(date(2025, 12, 29), "Collectieve vrije dag"), (date(2026, 7, 17), "Teamdag")]
)

starts = st.dates(min_value=date(1995, 1, 1), max_value=date(2095, 12, 31))
weeks = st.integers(min_value=0, max_value=20)
working_days = st.integers(min_value=1, max_value=30)
calendars = st.sampled_from([CAL, LOCAL])


@given(starts, weeks)
def test_weeks_due_is_never_a_non_working_day(start: date, n: int) -> None:
    result = CAL.due_after_weeks(start, n)
    assert CAL.is_working_day(result.due)
    assert result.unmoved == start + timedelta(weeks=n)


@given(starts, weeks)
def test_move_is_forward_and_short(start: date, n: int) -> None:
    result = CAL.due_after_weeks(start, n)
    assert result.due >= result.unmoved
    # Longest run of days off: Christmas + decree + weekend (5 days); never a whole week.
    assert result.due - result.unmoved < timedelta(days=7)
    # Every day skipped is one the term may not end on, and the explanation says so.
    skipped = (result.due - result.unmoved).days
    assert all(CAL.is_statutory_day_off(result.unmoved + timedelta(days=i)) for i in range(skipped))
    assert len(result.explanation) == 3 + skipped
    assert result.explanation[-1] == f"Einddatum: {dutch_date(result.due)}"


@given(calendars, starts, weeks)
def test_statutory_due_only_moves_for_the_law(cal: TermijnenwetCalendar, start: date, n: int) -> None:
    # Local closing days never move a statutory term (they are not in the Termijnenwet).
    assert not cal.is_statutory_day_off(cal.due_after_weeks(start, n).due)


@given(calendars, starts, working_days)
def test_working_day_due_counts_exactly_n(cal: TermijnenwetCalendar, start: date, n: int) -> None:
    result = cal.due_after_working_days(start, n)
    assert result.due > start
    assert cal.is_working_day(result.due)
    assert cal.working_days_between(start, result.due) == n
    assert cal.working_days_between(start, result.due - timedelta(days=1)) == n - 1
    assert result.unmoved == result.due


@given(starts, starts, weeks, working_days)
def test_monotonic_in_start(a: date, b: date, n: int, wd: int) -> None:
    early, late = min(a, b), max(a, b)
    assert CAL.due_after_weeks(early, n).due <= CAL.due_after_weeks(late, n).due
    assert CAL.due_after_working_days(early, wd).due <= CAL.due_after_working_days(late, wd).due


@given(starts, st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=4))
def test_extension_follows_the_design_rule(start: date, n: int, extra: int) -> None:
    # DESIGN: the extension's weeks go onto the unmoved end, then the move is applied once,
    # so an extended term equals a term of n + extra weeks from the same start.
    base = CAL.due_after_weeks(start, n)
    extended = CAL.extend(base, extra)
    assert extended.unmoved == base.unmoved + timedelta(weeks=extra)
    assert extended.due == CAL.due_after_weeks(start, n + extra).due
    assert CAL.is_working_day(extended.due)
    assert extended.explanation[:2] == base.explanation[:2]


@given(starts, st.integers(min_value=1, max_value=10), st.integers(min_value=0, max_value=60))
def test_suspension_adds_its_days_once(start: date, n: int, days: int) -> None:
    base = CAL.due_after_weeks(start, n)
    resumed = CAL.suspend(base, start, start + timedelta(days=days))
    assert resumed.unmoved == base.unmoved + timedelta(days=days)
    first_ordinary_day = resumed.unmoved
    while CAL.is_statutory_day_off(first_ordinary_day):
        first_ordinary_day += timedelta(days=1)
    assert resumed.due == first_ordinary_day


@given(starts, st.integers(min_value=0, max_value=10))
def test_working_days_before_inverts_counting(day: date, n: int) -> None:
    back = CAL.working_days_before(day, n)
    assert back <= day
    if n == 0:
        assert back == day
    else:
        assert CAL.is_working_day(back)
        # (back, day] holds the n - 1 working days in between, plus `day` itself if it works.
        assert CAL.working_days_between(back, day) == n - 1 + CAL.is_working_day(day)


@given(st.integers(min_value=1583, max_value=4099))
def test_calendar_listing_is_complete(year: int) -> None:
    days = CAL.non_working_days(year)
    assert all(d.date.year == year for d in days)
    assert [d.date for d in days] == sorted(d.date for d in days)
    names = {d.name for d in days}
    assert {"Nieuwjaarsdag", "Goede Vrijdag", "Tweede Paasdag", "Bevrijdingsdag", "Hemelvaartsdag"} <= names
    easter = next(d.date for d in days if d.name == "Eerste Paasdag")
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)
