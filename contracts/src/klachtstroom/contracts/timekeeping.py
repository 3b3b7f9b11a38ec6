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
    """A date given without a time means that day; noon keeps it that day in every time zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=AMSTERDAM)
    return datetime.combine(value, time(12, 0), tzinfo=AMSTERDAM)
