"""Dates in klachtstroom are Dutch dates: terms and report years follow Europe/Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_date(moment: datetime) -> date:
    """The Dutch calendar date of a moment (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(AMSTERDAM).date()


def moment_of(value: date | datetime) -> datetime:
    """A date given without a time means that Dutch day: it is stored as `start_of_day`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=AMSTERDAM)
    return start_of_day(value)


def start_of_day(day: date) -> datetime:
    """The moment that stands for a Dutch calendar day given without a time: 00:00 UTC.

    That is 01:00 or 02:00 in Amsterdam, so `local_date` gives the same day, and the stored
    moment reads as the given date in UTC and in Dutch time alike. Not noon: a complaint
    registered with only today's date must never make the present moment "before receipt"
    (routing compares actions with the receipt by Dutch day, and the first hour or two of
    the day are covered by that).
    """
    return datetime.combine(day, time(0, 0), tzinfo=UTC)
