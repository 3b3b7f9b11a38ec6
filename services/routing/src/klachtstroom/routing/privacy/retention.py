"""How long a closed complaint file is kept (Selectielijst gemeenten), as pure functions.

A complaint file is destroyed 5 years after it was closed, 10 years when the ombudsman was
involved, and 1 year after a decline (Awb 9:8) or a withdrawal. Objections and questions that
were handed on (`forwarded`) are not our file: like a decline, 1 year. An open case is kept.
Destroying removes personal data and free text; what reports count (dates, channel, category,
outcome) stays.
"""

from __future__ import annotations

from datetime import date

from klachtstroom.contracts.vocabulary import Outcome
from klachtstroom.routing.case.domain import CLOSED_STATES, Case, CaseState

YEARS_AFTER_CLOSING = 5
YEARS_WITH_OMBUDSMAN = 10
YEARS_DECLINED_OR_WITHDRAWN = 1

_SHORT_STATES = frozenset({CaseState.declined, CaseState.withdrawn})
_SHORT_OUTCOMES = frozenset({Outcome.withdrawn, Outcome.inadmissible})


def years_kept(case: Case) -> int:
    """The retention term of a closed file, in years after closing."""
    if case.ombudsman_referred or case.state == CaseState.ombudsman:
        return YEARS_WITH_OMBUDSMAN
    if case.state in _SHORT_STATES or case.outcome in _SHORT_OUTCOMES:
        return YEARS_DECLINED_OR_WITHDRAWN
    if case.state.value == "forwarded":
        return YEARS_DECLINED_OR_WITHDRAWN
    return YEARS_AFTER_CLOSING


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def destroy_on(case: Case, closed_on: date | None) -> date | None:
    """The first day the file may be destroyed; None while the case is open."""
    if case.state not in CLOSED_STATES or closed_on is None:
        return None
    return add_years(closed_on, years_kept(case))


def past_term(case: Case, closed_on: date | None, today: date) -> bool:
    due = destroy_on(case, closed_on)
    return due is not None and due <= today
