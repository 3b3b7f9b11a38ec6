"""The Algemene termijnenwet calendar: which days are not working days, and when a term ends.

Statutory holidays are computed here (no generic holiday library: those treat 5 May as a
holiday only every fifth year). Days declared by decree are dated configuration
(`decrees.json`, extendable without a release); a municipality's own closing days are passed in.

Two kinds of counting, deliberately different:

- Statutory terms in weeks or days (Awb 9:8, 9:11) end on start + length; when that day is a
  Saturday, Sunday, holiday or decree day the term moves to the next day that is none of these
  (Algemene termijnenwet art. 1). A municipality's own closing day does NOT move a statutory
  term: the law only knows weekends, holidays and decree days.
- Working-day terms (the 5-working-day contact promise, provider response) are municipal
  practice: count the working days after the start date, skipping local closing days too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from klachtstroom.contracts import timekeeping

ONE_DAY = dt.timedelta(days=1)

_MOVE = "de termijn schuift door (Algemene termijnenwet art. 1)"


def dutch_date(day: dt.date) -> str:
    """'dinsdag 3 maart 2026': in a term's explanation the weekday shows why a day counts."""
    return timekeeping.dutch_date(day, weekday=True)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def kings_day(year: int) -> dt.date:
    """The day the monarch's birthday is celebrated (Algemene termijnenwet art. 3 lid 1)."""
    # Koningsdag (27 April) since 2014; Koninginnedag (30 April) before.
    celebrated = dt.date(year, 4, 27) if year >= 2014 else dt.date(year, 4, 30)
    # Never on a Sunday: it is then celebrated the day before.
    return celebrated - ONE_DAY if celebrated.weekday() == 6 else celebrated


class DaySource(StrEnum):
    termijnenwet = "termijnenwet"  # named in the Algemene termijnenwet art. 3 lid 1
    besluit = "besluit"  # made equal to a holiday by decree, art. 3 lid 2
    gemeente = "gemeente"  # the municipality's own closing day (not a statutory day)


@dataclass(frozen=True)
class NonWorkingDay:
    date: dt.date
    name: str
    source: DaySource


@dataclass(frozen=True)
class DueDate:
    """An end date that can explain itself, one Dutch line per step."""

    due: dt.date
    unmoved: dt.date  # the end before the Termijnenwet move; extensions build on this
    explanation: list[str]
    # The explanation lines up to `unmoved` (without the move), so a later step can add to them.
    basis: tuple[str, ...] = field(default=(), repr=False, compare=False)


def statutory_holidays(year: int) -> list[NonWorkingDay]:
    """The generally recognised holidays of Algemene termijnenwet art. 3 lid 1 in `year`."""
    easter = easter_sunday(year)

    def day(d: dt.date, name: str) -> NonWorkingDay:
        return NonWorkingDay(d, name, DaySource.termijnenwet)

    king = "Koningsdag" if year >= 2014 else "Koninginnedag"
    return [
        day(dt.date(year, 1, 1), "Nieuwjaarsdag"),
        day(easter - dt.timedelta(days=2), "Goede Vrijdag"),
        day(easter, "Eerste Paasdag"),
        day(easter + ONE_DAY, "Tweede Paasdag"),
        day(kings_day(year), king),
        # Art. 3 lid 1 names 5 May itself: every year, not only every fifth year.
        day(dt.date(year, 5, 5), "Bevrijdingsdag"),
        day(easter + dt.timedelta(days=39), "Hemelvaartsdag"),
        day(easter + dt.timedelta(days=49), "Eerste Pinksterdag"),
        day(easter + dt.timedelta(days=50), "Tweede Pinksterdag"),
        day(dt.date(year, 12, 25), "Eerste Kerstdag"),
        day(dt.date(year, 12, 26), "Tweede Kerstdag"),
    ]


def load_decree_days(text: str) -> list[tuple[dt.date, str]]:
    """Parse a decree file: `{"besluiten": [{"date": "YYYY-MM-DD", "description": "..."}]}`."""
    data = json.loads(text)
    return [(dt.date.fromisoformat(item["date"]), str(item["description"])) for item in data["besluiten"]]


@lru_cache(maxsize=1)
def default_decree_days() -> tuple[tuple[dt.date, str], ...]:
    """The decree days shipped with the service (package data `decrees.json`)."""
    text = (
        resources.files("klachtstroom.deadlines.terms").joinpath("decrees.json").read_text(encoding="utf-8")
    )
    return tuple(load_decree_days(text))


class TermijnenwetCalendar:
    """Non-working days and due dates under the Algemene termijnenwet."""

    def __init__(
        self,
        decree_days: Iterable[tuple[dt.date, str]] | None = None,
        local_days: Iterable[tuple[dt.date, str]] = (),
    ) -> None:
        """`decree_days` None means the shipped decrees; pass a list to replace them."""
        decrees = default_decree_days() if decree_days is None else decree_days
        self._decrees: dict[dt.date, str] = dict(decrees)
        self._local: dict[dt.date, str] = dict(local_days)
        self._holidays: dict[int, dict[dt.date, str]] = {}
        # The days never change after construction: each day is looked at once (the timer
        # plans of every new case count the same working days again).
        self._day_off: dict[dt.date, bool] = {}
        self._working: dict[dt.date, bool] = {}

    # -- which days -------------------------------------------------------------------------

    def _holidays_of(self, year: int) -> dict[dt.date, str]:
        if year not in self._holidays:
            self._holidays[year] = {h.date: h.name for h in statutory_holidays(year)}
        return self._holidays[year]

    def non_working_days(self, year: int) -> list[NonWorkingDay]:
        """Holidays, decree days and local closing days of `year`, by date (weekends not listed)."""
        days = statutory_holidays(year)
        days += [NonWorkingDay(d, n, DaySource.besluit) for d, n in self._decrees.items()]
        days += [NonWorkingDay(d, n, DaySource.gemeente) for d, n in self._local.items()]
        order = list(DaySource)
        return sorted(
            (d for d in days if d.date.year == year),
            key=lambda d: (d.date, order.index(d.source)),
        )

    def _statutory_reason(self, day: dt.date) -> str | None:
        """Why a statutory term cannot end on `day`, or None when it can."""
        holiday = self._holidays_of(day.year).get(day)
        if holiday is not None:
            return f"{dutch_date(day)} is {holiday}, een algemeen erkende feestdag"
        if day in self._decrees:
            return (
                f"{dutch_date(day)} is bij besluit gelijkgesteld met een feestdag "
                f"({self._decrees[day]}; Algemene termijnenwet art. 3 lid 2)"
            )
        if day.weekday() >= 5:
            return f"{dutch_date(day)} is een {timekeeping.WEEKDAYS[day.weekday()]}"
        return None

    def is_statutory_day_off(self, day: dt.date) -> bool:
        """Saturday, Sunday, holiday or decree day: a statutory term does not end on it."""
        off = self._day_off.get(day)
        if off is None:
            off = self._day_off[day] = self._statutory_reason(day) is not None
        return off

    def is_working_day(self, day: dt.date) -> bool:
        """Not a weekend, holiday, decree day or local closing day."""
        working = self._working.get(day)
        if working is None:
            working = self._working[day] = not self.is_statutory_day_off(day) and day not in self._local
        return working

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def working_days_before(self, day: dt.date, n: int) -> dt.date:
        """The working day that lies `n` working days before `day` (n >= 0; 0 gives `day`)."""
        counted = 0
        while counted < n:
            day -= ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count

    # -- due dates --------------------------------------------------------------------------

    def _finish(self, unmoved: dt.date, basis: Iterable[str]) -> DueDate:
        """Apply the Termijnenwet move once to `unmoved` and explain each step."""
        lines = list(basis)
        due = unmoved
        moves: list[str] = []
        while (reason := self._statutory_reason(due)) is not None:
            moves.append(f"{reason}; {_MOVE}")
            due += ONE_DAY
        return DueDate(
            due=due,
            unmoved=unmoved,
            explanation=[*lines, *moves, f"Einddatum: {dutch_date(due)}"],
            basis=tuple(lines),
        )

    def due_after_weeks(self, start: dt.date, weeks: int) -> DueDate:
        """Start + `weeks` weeks, moved past weekends, holidays and decree days (art. 1)."""
        if weeks < 0:
            raise ValueError("weeks must not be negative")
        unmoved = start + dt.timedelta(weeks=weeks)
        word = "week" if weeks == 1 else "weken"
        return self._finish(
            unmoved, [f"Start: {dutch_date(start)}", f"+ {weeks} {word} = {dutch_date(unmoved)}"]
        )

    def due_after_days(self, start: dt.date, days: int) -> DueDate:
        """Start + `days` calendar days, moved as `due_after_weeks`.

        Algemene termijnenwet art. 2: a term of at least three days is lengthened so that it
        holds at least two days that are not a Saturday, Sunday or holiday.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        unmoved = start + dt.timedelta(days=days)
        word = "dag" if days == 1 else "dagen"
        result = self._finish(
            unmoved, [f"Start: {dutch_date(start)}", f"+ {days} {word} = {dutch_date(unmoved)}"]
        )
        due = result.due
        if days >= 3 and self._statutory_days_between(start, due) < 2:
            while self._statutory_days_between(start, due) < 2:
                due += ONE_DAY
                while self.is_statutory_day_off(due):
                    due += ONE_DAY
            note = (
                "De termijn moet minstens twee dagen bevatten die geen zaterdag, zondag of "
                f"feestdag zijn; verlengd tot {dutch_date(due)} (Algemene termijnenwet art. 2)"
            )
            lines = [*result.explanation[:-1], note, f"Einddatum: {dutch_date(due)}"]
            return DueDate(due=due, unmoved=unmoved, explanation=lines, basis=result.basis)
        return result

    def _statutory_days_between(self, start: dt.date, end: dt.date) -> int:
        return sum(
            not self.is_statutory_day_off(start + dt.timedelta(days=i))
            for i in range(1, (end - start).days + 1)
        )

    def due_after_working_days(self, start: dt.date, n: int) -> DueDate:
        """The `n`-th working day after `start`; the start date itself does not count."""
        if n < 1:
            raise ValueError("n must be at least 1")
        lines = [f"Start: {dutch_date(start)}", f"+ {n} werkdagen (de startdag telt niet mee)"]
        day, counted = start, 0
        while counted < n:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
            elif day.weekday() < 5:
                # Weekends are obvious; name every weekday that does not count.
                lines.append(f"{dutch_date(day)} telt niet mee: {self._name_of(day)}")
        lines.append(f"{n}e werkdag = {dutch_date(day)}")
        # A counted working day never needs the Termijnenwet move.
        return self._finish(day, lines)

    def _name_of(self, day: dt.date) -> str:
        holiday = self._holidays_of(day.year).get(day)
        if holiday is not None:
            return holiday
        if day in self._decrees:
            return f"{self._decrees[day]} (besluit)"
        return f"{self._local.get(day, 'vrije dag')} (gemeente)"

    def due_on(self, day: dt.date, description: str) -> DueDate:
        """A fixed end date (e.g. a reporting date), moved if it is not a working day."""
        return self._finish(day, [f"{description}: {dutch_date(day)}"])

    def postpone(self, due: DueDate, days: int, line: str) -> DueDate:
        """Add `days` to the unmoved end and apply the move once to the result.

        `line` explains why; it gets ' = <new unmoved end>' appended.
        """
        unmoved = due.unmoved + dt.timedelta(days=days)
        return self._finish(unmoved, [*due.basis, f"{line} = {dutch_date(unmoved)}"])

    def extend(self, due: DueDate, weeks: int) -> DueDate:
        """DESIGN: an extension adds its weeks to the unmoved end; the move is applied once."""
        if weeks < 1:
            raise ValueError("an extension is at least one week")
        word = "week" if weeks == 1 else "weken"
        line = f"+ {weeks} {word} verlenging, geteld vanaf de niet-verschoven einddatum"
        return self.postpone(due, 7 * weeks, line)

    def suspend(self, due: DueDate, suspended_on: dt.date, resumed_on: dt.date) -> DueDate:
        """The clock stood still from `suspended_on` to `resumed_on`: add those calendar days."""
        days = (resumed_on - suspended_on).days
        if days < 0:
            raise ValueError("resumed before it was suspended")
        return self.postpone(
            due,
            days,
            f"opgeschort van {dutch_date(suspended_on)} tot {dutch_date(resumed_on)}: "
            f"+ {days} {'dag' if days == 1 else 'dagen'}",
        )
