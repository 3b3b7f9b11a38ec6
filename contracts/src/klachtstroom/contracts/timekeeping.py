"""Dates in klachtstroom are Dutch dates: terms and report years follow Europe/Amsterdam.

Every page, letter and message writes a date or a time the same way, with the helpers here:
`dutch_date` ("6 december 2026"), `dutch_time` ("14:05") and `dutch_moment`
("6 december 2026 om 14:05"), always in Dutch time, never as an ISO string or in UTC.
A string is read as ISO 8601, the form the JSON resources carry, so templates can use them as
filters on what the API gives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


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


def _value(value: date | datetime | str) -> date | datetime:
    """A date or moment; a string is read as ISO 8601, the form the JSON resources carry."""
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return value


def _local(moment: datetime | str) -> datetime:
    found = _value(moment)
    if not isinstance(found, datetime):
        raise ValueError("a moment needs a time of day")
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)  # like `local_date`: a naive moment is UTC
    return found.astimezone(AMSTERDAM)


def dutch_date(value: date | datetime | str, *, weekday: bool = False) -> str:
    """'6 december 2026' ('zondag 6 december 2026' with the weekday, where the day of the week
    matters, as for a term's end); a moment is first taken to its Dutch calendar day. Without
    relying on the process locale."""
    found = _value(value)
    day = local_date(found) if isinstance(found, datetime) else found
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def dutch_time(moment: datetime | str) -> str:
    """'14:05': the time of day in Amsterdam (24-hour clock)."""
    return f"{_local(moment):%H:%M}"


def dutch_moment(moment: datetime | str) -> str:
    """'6 december 2026 om 14:05', in Amsterdam; only '6 december 2026' for a day that was
    given without a time (stored as `start_of_day`): "om 01:00" would be a time nobody gave."""
    local = _local(moment)
    if local == start_of_day(local.date()):
        return dutch_date(local)
    return f"{dutch_date(local)} om {local:%H:%M}"
