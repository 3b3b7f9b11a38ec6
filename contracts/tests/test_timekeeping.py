"""How every page writes a date and a time: Dutch words, Dutch time (Europe/Amsterdam)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from klachtstroom.contracts.timekeeping import AMSTERDAM, dutch_date, dutch_moment, dutch_time, start_of_day


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2026, 12, 6), "6 december 2026"),
        (date(2026, 1, 31), "31 januari 2026"),
        (date(2026, 3, 1), "1 maart 2026"),
        ("2026-05-17", "17 mei 2026"),
        # 23:30 UTC on 31 December is already New Year's Day in Amsterdam.
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "1 januari 2026"),
        ("2025-12-31T23:30:00+00:00", "1 januari 2026"),
        ("2026-06-30T22:15:00Z", "1 juli 2026"),  # summer time: UTC+2
        (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), "30 juni 2026"),
    ],
)
def test_a_date_is_written_in_dutch_words(value: date | datetime | str, text: str) -> None:
    assert dutch_date(value) == text


def test_the_weekday_where_it_matters() -> None:
    assert dutch_date(date(2026, 12, 6), weekday=True) == "zondag 6 december 2026"
    assert dutch_date(date(2026, 3, 10), weekday=True) == "dinsdag 10 maart 2026"
    # The weekday of the Dutch day, not of the UTC day.
    assert dutch_date("2026-12-06T23:30:00+00:00", weekday=True) == "maandag 7 december 2026"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 6, 13, 5, tzinfo=UTC), "14:05"),  # winter time: UTC+1
        (datetime(2026, 7, 6, 13, 5, tzinfo=UTC), "15:05"),  # summer time: UTC+2
        ("2026-12-06T13:05:59.999+00:00", "14:05"),
        (datetime(2026, 12, 6, 9, 0, tzinfo=timezone(timedelta(hours=-5))), "15:00"),
        (datetime(2026, 12, 6, 14, 5, tzinfo=AMSTERDAM), "14:05"),
        (datetime(2026, 12, 6, 13, 5), "14:05"),  # naive: taken as UTC, like local_date
    ],
)
def test_a_time_is_dutch_time_on_the_24_hour_clock(moment: datetime | str, text: str) -> None:
    assert dutch_time(moment) == text


def test_a_moment_gives_the_dutch_day_and_time_together() -> None:
    assert dutch_moment("2026-12-06T13:05:00+00:00") == "6 december 2026 om 14:05"
    # The last hour of the year in UTC is the first hour of the next in Amsterdam.
    assert dutch_moment(datetime(2026, 12, 31, 23, 5, tzinfo=UTC)) == "1 januari 2027 om 00:05"
    # The night the clocks go back (25 October 2026): both 02:30s exist, an hour apart.
    assert dutch_moment(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "25 oktober 2026 om 02:30"
    assert dutch_moment(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "25 oktober 2026 om 02:30"


def test_a_day_given_without_a_time_shows_no_time() -> None:
    # A KCC registration with only the date is stored as that day's start (00:00 UTC): the page
    # says "6 december 2026", not "6 december 2026 om 01:00", a time nobody gave.
    assert dutch_moment(start_of_day(date(2026, 12, 6))) == "6 december 2026"
    assert dutch_moment(start_of_day(date(2026, 7, 6)).isoformat()) == "6 juli 2026"
    assert dutch_moment(datetime(2026, 12, 6, 0, 0, 1, tzinfo=UTC)) == "6 december 2026 om 01:00"
    with pytest.raises(ValueError):
        dutch_time("2026-12-06")
