"""Which timers a term needs and when they fire. Pure: no I/O, no clock.

Per open term: a warning `warning_working_days` working days before the due date, the breach at
00:00 (Europe/Amsterdam) on the day after the due date — the first moment the term has passed —
and then the escalation ladder (handler, coordinator, manager, college) a configured number of
working days after the due date. The college only hears of sensitive cases (urgent or flagged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from klachtstroom.contracts.timekeeping import AMSTERDAM
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar
from klachtstroom.deadlines.terms.compute import Term, TermPolicy, warning_date

WARNING = "warning"
BREACH = "breach"
COLLEGE = "college"


@dataclass(frozen=True)
class TimerPlan:
    """How the service times its steps (from settings)."""

    policy: TermPolicy
    ladder: Sequence[tuple[str, int]]  # (level, working days after the due date)
    warning_hour: int = 8
    escalation_hour: int = 8
    kinds: frozenset[DeadlineKind] = frozenset(
        {DeadlineKind.contact, DeadlineKind.decision, DeadlineKind.provider_response}
    )


@dataclass(frozen=True)
class PlannedTimer:
    step: str
    due: dt.date
    fire_at: dt.datetime  # aware, UTC

    def is_stale(self, today: dt.date) -> bool:
        """A warning for a term that has already passed is not worth starting any more."""
        return self.step == WARNING and today > self.due


@lru_cache(maxsize=4096)
def local_moment(day: dt.date, hour: int = 0) -> dt.datetime:
    """`hour`:00 on `day` in Amsterdam, as a UTC moment."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=AMSTERDAM).astimezone(dt.UTC)


def nth_working_day_after(calendar: TermijnenwetCalendar, day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (n = 0 gives the day after)."""
    if n <= 0:
        return day + dt.timedelta(days=1)
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def term_keys(terms: Sequence[Term]) -> list[str]:
    """Stable keys: the kind, numbered from the second term of a kind on (terms are only appended)."""
    seen: dict[str, int] = {}
    keys = []
    for term in terms:
        kind = term.kind.value
        n = seen.get(kind, 0)
        keys.append(kind if n == 0 else f"{kind}#{n}")
        seen[kind] = n + 1
    return keys


def plan_timers(
    term: Term, plan: TimerPlan, calendar: TermijnenwetCalendar, *, sensitive: bool
) -> list[PlannedTimer]:
    """The timers an open term needs, in firing order. Closed and suspended terms need none:
    a suspended term's due date is unknown until it resumes."""
    if term.kind not in plan.kinds or not term.is_open or term.state is DeadlineState.suspended:
        return []
    due = term.due
    breach_at = local_moment(due + dt.timedelta(days=1))
    timers = [
        PlannedTimer(
            WARNING, due, local_moment(warning_date(term, plan.policy, calendar), plan.warning_hour)
        ),
        PlannedTimer(BREACH, due, breach_at),
    ]
    for level, days in plan.ladder:
        if level == COLLEGE and not sensitive:
            continue
        at = local_moment(nth_working_day_after(calendar, due, days), plan.escalation_hour)
        timers.append(PlannedTimer(level, due, max(at, breach_at)))
    return timers


def missed_before_start(timers: Sequence[PlannedTimer], now: dt.datetime) -> set[PlannedTimer]:
    """The ladder steps a new term would fire late, all at once: every escalation step whose
    moment had already passed when the term was first planned, except the last of them.

    A complaint registered after the fact (a letter typed in weeks later) starts at the step the
    ladder has reached today — once — instead of replaying every earlier step as if it had been
    missed today. The breach itself still fires (it is the fact that the term passed), and a
    warning for a term already past is never started (`is_stale`).
    """
    passed = [t for t in timers if t.step not in (WARNING, BREACH) and t.fire_at <= now]
    return set(passed[:-1])
