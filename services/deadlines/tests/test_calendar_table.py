"""Hand-computed cases for the Termijnenwet calendar.

Every expected value below was worked out by hand (reasoning in the comments), not produced by
the code under test. Weekdays were checked from 1 January: 2025 starts on a Wednesday, 2026 on a
Thursday, 2027 on a Friday, 2031 on a Wednesday, 2036 on a Tuesday, 2038 on a Friday.
"""

from __future__ import annotations

from datetime import date

import pytest

from klachtstroom.deadlines.terms.calendar import (
    DaySource,
    TermijnenwetCalendar,
    dutch_date,
    easter_sunday,
    kings_day,
)

CAL = TermijnenwetCalendar()


def test_non_working_days_2026() -> None:
    # Easter 2026 is 5 April: Good Friday 3 Apr, Easter Monday 6 Apr, Ascension +39 = Thu 14 May,
    # Whit Sunday +49 = 24 May, Whit Monday 25 May. 27 April 2026 is a Monday (not moved).
    expected = [
        (date(2026, 1, 1), "Nieuwjaarsdag", DaySource.termijnenwet),
        (date(2026, 1, 2), "Vrijdag na Nieuwjaarsdag 2026", DaySource.besluit),
        (date(2026, 4, 3), "Goede Vrijdag", DaySource.termijnenwet),
        (date(2026, 4, 5), "Eerste Paasdag", DaySource.termijnenwet),
        (date(2026, 4, 6), "Tweede Paasdag", DaySource.termijnenwet),
        (date(2026, 4, 27), "Koningsdag", DaySource.termijnenwet),
        (date(2026, 5, 5), "Bevrijdingsdag", DaySource.termijnenwet),
        (date(2026, 5, 14), "Hemelvaartsdag", DaySource.termijnenwet),
        (date(2026, 5, 15), "Vrijdag na Hemelvaartsdag 2026", DaySource.besluit),
        (date(2026, 5, 24), "Eerste Pinksterdag", DaySource.termijnenwet),
        (date(2026, 5, 25), "Tweede Pinksterdag", DaySource.termijnenwet),
        (date(2026, 12, 25), "Eerste Kerstdag", DaySource.termijnenwet),
        (date(2026, 12, 26), "Tweede Kerstdag", DaySource.termijnenwet),
    ]
    assert [(d.date, d.name, d.source) for d in CAL.non_working_days(2026)] == expected


def test_local_closing_days_are_listed_as_gemeente() -> None:
    cal = TermijnenwetCalendar(local_days=[(date(2026, 12, 28), "Collectieve vrije dag")])
    listed = [d for d in cal.non_working_days(2026) if d.source is DaySource.gemeente]
    assert [(d.date, d.name) for d in listed] == [(date(2026, 12, 28), "Collectieve vrije dag")]
    assert not cal.is_working_day(date(2026, 12, 28))


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2016, date(2016, 3, 27)),  # March Easter
        (2024, date(2024, 3, 31)),  # March Easter
        (2035, date(2035, 3, 25)),  # March Easter
        (2008, date(2008, 3, 23)),  # very early Easter
        (2025, date(2025, 4, 20)),  # April Easter
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # latest possible Easter
    ],
)
def test_easter(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, date(2025, 4, 26)),  # 27 Apr 2025 = Wed(1 Jan) + 116 days = Sunday -> Saturday 26th
        (2031, date(2031, 4, 26)),  # 27 Apr 2031 = Wed + 116 = Sunday -> 26th
        (2036, date(2036, 4, 26)),  # leap year: 27 Apr = Tue + 117 = Sunday -> 26th
        (2014, date(2014, 4, 26)),  # the first Koningsdag, 27th was a Sunday
        (2026, date(2026, 4, 27)),  # Monday: not moved
        (2013, date(2013, 4, 30)),  # Koninginnedag, a Tuesday
    ],
)
def test_kings_day(year: int, expected: date) -> None:
    assert kings_day(year) == expected
    assert not CAL.is_working_day(expected)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 4, 25), True),  # Friday before the moved Koningsdag 2025
        (date(2025, 4, 26), False),  # Koningsdag 2025 (Saturday anyway)
        (date(2025, 4, 28), True),  # Monday after: 27 April is not a holiday in 2025
        (date(2024, 3, 29), False),  # Good Friday 2024 (Easter 31 March)
        (date(2024, 4, 1), False),  # Easter Monday 2024
        (date(2024, 5, 9), False),  # Ascension 2024: 31 Mar + 39
        (date(2024, 5, 20), False),  # Whit Monday 2024: 31 Mar + 50
        (date(2016, 3, 25), False),  # Good Friday 2016
        (date(2016, 3, 28), False),  # Easter Monday 2016
        (date(2016, 5, 5), False),  # Ascension 2016 falls on 5 May
        (date(2035, 3, 23), False),  # Good Friday 2035
        (date(2035, 3, 26), False),  # Easter Monday 2035
        (date(2035, 5, 14), False),  # Whit Monday 2035: 25 Mar + 50
        (date(2025, 5, 5), False),  # 5 May in a lustrum year (Monday)
        (date(2026, 5, 5), False),  # 5 May 2026 (Tuesday): every year, not only lustrum years
        (date(2027, 5, 5), False),  # 5 May 2027 (Wednesday)
        (date(2026, 5, 6), True),
        (date(2023, 4, 28), False),  # decree
        (date(2023, 5, 19), False),  # decree
        (date(2024, 5, 10), False),  # decree
        (date(2024, 12, 27), False),  # decree
        (date(2025, 5, 30), False),  # decree
        (date(2026, 1, 2), False),  # decree
        (date(2026, 1, 5), True),  # Monday after
        (date(2027, 5, 7), False),  # decree
        (date(2028, 4, 28), False),  # decree
        (date(2028, 5, 26), False),  # decree
        (date(2025, 12, 24), True),  # Christmas Eve is a working day
        (date(2025, 12, 31), True),  # New Year's Eve too
        (date(2026, 3, 7), False),  # plain Saturday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "weeks", "unmoved", "due"),
    [
        # DOMAIN.md: 6 weeks from Tuesday 3 March 2026 is Tuesday 14 April 2026 (no move).
        (date(2026, 3, 3), 6, date(2026, 4, 14), date(2026, 4, 14)),
        # Fri 20 Feb + 42 = Good Friday 3 Apr -> Sat, Sun (Easter), Easter Monday -> Tue 7 Apr.
        (date(2026, 2, 20), 6, date(2026, 4, 3), date(2026, 4, 7)),
        # Mon 23 Feb + 42 = Easter Monday 6 Apr -> Tue 7 Apr.
        (date(2026, 2, 23), 6, date(2026, 4, 6), date(2026, 4, 7)),
        # Mon 16 Mar + 42 = Koningsdag Mon 27 Apr -> Tue 28 Apr.
        (date(2026, 3, 16), 6, date(2026, 4, 27), date(2026, 4, 28)),
        # Tue 24 Mar + 42 = Tue 5 May 2026 (non-lustrum year) -> Wed 6 May.
        (date(2026, 3, 24), 6, date(2026, 5, 5), date(2026, 5, 6)),
        # Thu 2 Apr + 42 = Ascension Thu 14 May -> decree Fri 15 May -> weekend -> Mon 18 May.
        (date(2026, 4, 2), 6, date(2026, 5, 14), date(2026, 5, 18)),
        # Start on Good Friday 3 Apr + 42 = decree day Fri 15 May -> Mon 18 May.
        (date(2026, 4, 3), 6, date(2026, 5, 15), date(2026, 5, 18)),
        # Fri 13 Nov + 42 = Christmas Fri 25 Dec 2026 -> Sat 26 (Boxing Day) -> Sun -> Mon 28 Dec.
        (date(2026, 11, 13), 6, date(2026, 12, 25), date(2026, 12, 28)),
        # Sat 13 Nov 2027 + 42 = Sat 25 Dec 2027 (Christmas on a Saturday) -> Sun 26 (Boxing Day
        # on a Sunday) -> Mon 27 Dec 2027, an ordinary working day.
        (date(2027, 11, 13), 6, date(2027, 12, 25), date(2027, 12, 27)),
        # Wed 24 Mar 2027 + 42 = Wed 5 May 2027 -> Ascension Thu 6 May (Easter 28 Mar + 39)
        # -> decree Fri 7 May -> weekend -> Mon 10 May 2027.
        (date(2027, 3, 24), 6, date(2027, 5, 5), date(2027, 5, 10)),
        # Thu 20 Nov 2025 + 42 = New Year Thu 1 Jan 2026 -> decree Fri 2 Jan -> weekend -> Mon 5 Jan.
        (date(2025, 11, 20), 6, date(2026, 1, 1), date(2026, 1, 5)),
        # Wed 13 Nov 2024 + 42 = Christmas Wed 25 Dec -> Thu 26 -> decree Fri 27 -> weekend -> Mon 30.
        (date(2024, 11, 13), 6, date(2024, 12, 25), date(2024, 12, 30)),
        # Fri 12 Mar 2038 + 42 = Good Friday 23 Apr 2038 -> Sat -> Easter Sun 25 -> Easter Mon 26
        # -> Koningsdag Tue 27 Apr 2038 -> Wed 28 Apr.
        (date(2038, 3, 12), 6, date(2038, 4, 23), date(2038, 4, 28)),
        # Sat 15 Mar 2025 + 6 weeks = Sat 26 Apr 2025 (moved Koningsdag) -> Sun 27 -> Mon 28 Apr.
        (date(2025, 3, 15), 6, date(2025, 4, 26), date(2025, 4, 28)),
        # 10 weeks (advisory committee): Tue 3 Mar 2026 + 70 = Tue 12 May 2026, a working day.
        (date(2026, 3, 3), 10, date(2026, 5, 12), date(2026, 5, 12)),
        # 4 weeks (decline): Tue 7 Apr 2026 + 28 = Tue 5 May -> Wed 6 May.
        (date(2026, 4, 7), 4, date(2026, 5, 5), date(2026, 5, 6)),
    ],
)
def test_due_after_weeks(start: date, weeks: int, unmoved: date, due: date) -> None:
    result = CAL.due_after_weeks(start, weeks)
    assert (result.unmoved, result.due) == (unmoved, due)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Wed 24 Dec 2025: 25/26 Dec holidays, weekend, Mon 29 (1), Tue 30 (2), Wed 31 (3),
        # 1 Jan holiday, 2 Jan decree, weekend, Mon 5 (4), Tue 6 Jan 2026 (5).
        (date(2025, 12, 24), 5, date(2026, 1, 6)),
        # Mon 22 Dec 2025: Tue 23 (1), Wed 24 (2), Mon 29 (3), Tue 30 (4), Wed 31 (5).
        (date(2025, 12, 22), 5, date(2025, 12, 31)),
        # Fri 19 Dec 2025, 10 working days: 22, 23, 24, 29, 30, 31 (6), 5, 6, 7, 8 Jan (10).
        (date(2025, 12, 19), 10, date(2026, 1, 8)),
        # Sat 4 Apr 2026: Easter Sun, Easter Mon skipped; Tue 7 .. Fri 10 (4), Mon 13 (5).
        (date(2026, 4, 4), 5, date(2026, 4, 13)),
        # Fri 1 May 2026: Mon 4 (1), 5 May skipped, Wed 6 (2), Thu 7 (3), Fri 8 (4), Mon 11 (5).
        (date(2026, 5, 1), 5, date(2026, 5, 11)),
        # Tue 12 May 2026: Wed 13 (1), Ascension + decree skipped, Mon 18 .. Thu 21 (5).
        (date(2026, 5, 12), 5, date(2026, 5, 21)),
        # Tue 3 Mar 2026: plain week, Wed 4 .. Tue 10 Mar (5).
        (date(2026, 3, 3), 5, date(2026, 3, 10)),
        # Fri 24 Apr 2026, 1 working day: Mon 27 is Koningsdag -> Tue 28 Apr.
        (date(2026, 4, 24), 1, date(2026, 4, 28)),
    ],
)
def test_due_after_working_days(start: date, n: int, due: date) -> None:
    result = CAL.due_after_working_days(start, n)
    assert result.due == due
    assert result.unmoved == due  # a counted working day never moves


def test_local_closing_day_counts_for_working_days_but_does_not_move_a_statutory_term() -> None:
    cal = TermijnenwetCalendar(local_days=[(date(2025, 12, 29), "Collectieve vrije dag")])
    # Working days after Wed 24 Dec 2025 skipping Mon 29 too: 30 (1), 31 (2), 5 (3), 6 (4), 7 Jan (5).
    assert cal.due_after_working_days(date(2025, 12, 24), 5).due == date(2026, 1, 7)
    # Mon 17 Nov 2025 + 42 = Mon 29 Dec 2025: the law does not know local closing days.
    assert cal.due_after_weeks(date(2025, 11, 17), 6).due == date(2025, 12, 29)


def test_extension_builds_on_the_unmoved_end() -> None:
    # DOMAIN example + 4 weeks: Tue 14 Apr + 28 = Tue 12 May 2026, a working day.
    plain = CAL.extend(CAL.due_after_weeks(date(2026, 3, 3), 6), 4)
    assert (plain.unmoved, plain.due) == (date(2026, 5, 12), date(2026, 5, 12))
    # Unmoved Good Friday 3 Apr (moved to 7 Apr) + 4 weeks = Fri 1 May, a working day. Counting
    # from the moved date would give 5 May -> 6 May: DESIGN says build on the unmoved end.
    moved = CAL.extend(CAL.due_after_weeks(date(2026, 2, 20), 6), 4)
    assert (moved.unmoved, moved.due) == (date(2026, 5, 1), date(2026, 5, 1))
    # Thu 19 Mar + 42 = Thu 30 Apr; + 2 weeks = Ascension 14 May -> decree 15 May -> Mon 18 May.
    landing = CAL.extend(CAL.due_after_weeks(date(2026, 3, 19), 6), 2)
    assert (landing.unmoved, landing.due) == (date(2026, 5, 14), date(2026, 5, 18))


def test_suspension_adds_calendar_days_to_the_unmoved_end() -> None:
    # Tue 3 Mar + 6 weeks = Tue 14 Apr; suspended Tue 10 Mar .. Fri 20 Mar = 10 days
    # -> Fri 24 Apr 2026, a working day.
    due = CAL.suspend(CAL.due_after_weeks(date(2026, 3, 3), 6), date(2026, 3, 10), date(2026, 3, 20))
    assert (due.unmoved, due.due) == (date(2026, 4, 24), date(2026, 4, 24))
    # 13 days instead -> Mon 27 Apr (Koningsdag) -> Tue 28 Apr.
    due = CAL.suspend(CAL.due_after_weeks(date(2026, 3, 3), 6), date(2026, 3, 10), date(2026, 3, 23))
    assert (due.unmoved, due.due) == (date(2026, 4, 27), date(2026, 4, 28))


def test_due_after_days_and_termijnenwet_art_2() -> None:
    # Sat 21 Mar 2026 + 14 days = Sat 4 Apr -> Easter Sunday -> Easter Monday -> Tue 7 Apr.
    assert CAL.due_after_days(date(2026, 3, 21), 14).due == date(2026, 4, 7)
    # Wed 24 Dec 2025 + 3 days = Sat 27 Dec -> Mon 29 Dec; but (24 Dec, 29 Dec] holds one
    # ordinary day only, art. 2 wants two -> Tue 30 Dec 2025.
    assert CAL.due_after_days(date(2025, 12, 24), 3).due == date(2025, 12, 30)


def test_explanation_of_the_domain_example() -> None:
    result = CAL.due_after_weeks(date(2026, 3, 3), 6)
    assert result.explanation == [
        "Start: dinsdag 3 maart 2026",
        "+ 6 weken = dinsdag 14 april 2026",
        "Einddatum: dinsdag 14 april 2026",
    ]


def test_explanation_names_every_move() -> None:
    result = CAL.due_after_weeks(date(2026, 2, 20), 6)
    assert result.explanation[0] == "Start: vrijdag 20 februari 2026"
    assert result.explanation[1] == "+ 6 weken = vrijdag 3 april 2026"
    moves = result.explanation[2:-1]
    assert len(moves) == 4  # Good Friday, Saturday, Easter Sunday, Easter Monday
    assert moves[0].startswith("vrijdag 3 april 2026 is Goede Vrijdag")
    assert moves[1].startswith("zaterdag 4 april 2026 is een zaterdag")
    assert "Eerste Paasdag" in moves[2] and "Tweede Paasdag" in moves[3]
    assert all("Algemene termijnenwet art. 1" in line for line in moves)
    assert result.explanation[-1] == "Einddatum: dinsdag 7 april 2026"


def test_explanation_of_a_decree_day() -> None:
    result = CAL.due_after_weeks(date(2026, 4, 3), 6)
    assert "besluit" in result.explanation[2] and "Vrijdag na Hemelvaartsdag 2026" in result.explanation[2]


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 3, 3), "dinsdag 3 maart 2026"),
        (date(2026, 1, 1), "donderdag 1 januari 2026"),
        (date(2025, 4, 26), "zaterdag 26 april 2025"),
        (date(2027, 8, 15), "zondag 15 augustus 2027"),
    ],
)
def test_dutch_date(day: date, text: str) -> None:
    assert dutch_date(day) == text


def test_a_new_decree_can_be_added_without_code() -> None:
    # An operator adds a (hypothetical) decree day; Friday 3 Mar 2034 becomes non-working.
    cal = TermijnenwetCalendar(decree_days=[(date(2034, 3, 3), "Nieuw besluit")])
    assert not cal.is_working_day(date(2034, 3, 3))
    # Replacing the decree list drops the shipped ones.
    assert cal.is_working_day(date(2026, 1, 2))
