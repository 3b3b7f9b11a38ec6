"""Per-case judgements that every report shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from klachtstroom.contracts.vocabulary import Outcome
from klachtstroom.reporting.reports.facts import CaseFacts, contact_status, effective_outcome, term_status

MakeFact = Callable[..., CaseFacts]
DAY = date(2026, 3, 3)


def test_unknown_state_is_refused(fact: MakeFact) -> None:
    with pytest.raises(ValueError, match="unknown case state"):
        fact(DAY, state="lost")


@pytest.mark.parametrize(
    ("resolved_on", "due", "expected"),
    [
        (date(2026, 4, 14), date(2026, 4, 14), "within"),  # on the due date itself
        (date(2026, 4, 15), date(2026, 4, 14), "late"),
        (date(2026, 4, 15), None, "within"),  # no due date: no proof of lateness
        (None, date(2026, 4, 14), "within"),  # no decision date: no proof of lateness
    ],
)
def test_term_status_of_closed_cases(
    fact: MakeFact, resolved_on: date | None, due: date | None, expected: str
) -> None:
    assert term_status(fact(DAY, resolved_on=resolved_on, decision_due=due)) == expected


@pytest.mark.parametrize("state", ["resolved", "declined", "withdrawn", "ombudsman"])
def test_every_closed_state_is_judged_by_its_dates(fact: MakeFact, state: str) -> None:
    assert term_status(fact(DAY, term="late", state=state)) == "late"


def test_open_case_is_open_whatever_its_dates(fact: MakeFact) -> None:
    long_overdue = fact(DAY, term="open", decision_due=date(2026, 1, 1), resolved_on=date(2026, 9, 9))
    assert term_status(long_overdue) == "open"


def test_contact_status(fact: MakeFact) -> None:
    as_of = date(2026, 12, 31)
    assert contact_status(fact(DAY), as_of) == "within"
    assert contact_status(fact(DAY, ack="late"), as_of) == "late"
    assert contact_status(fact(DAY, ack="nodue"), as_of) is None
    # Settled before the contact was due, without a separate acknowledgement: the decision was the contact.
    quick = fact(DAY, ack="none", resolved_on=date(2026, 3, 5))
    assert contact_status(quick, as_of) == "within"
    waiting = fact(date(2026, 12, 28), term="open", ack="none")  # contact due 4 January 2027
    assert contact_status(waiting, as_of) is None
    assert contact_status(waiting, date(2027, 1, 4)) is None
    assert contact_status(waiting, date(2027, 1, 5)) == "late"


def test_effective_outcome(fact: MakeFact) -> None:
    assert effective_outcome(fact(DAY, state="declined")) == Outcome.inadmissible
    assert effective_outcome(fact(DAY, state="withdrawn")) == Outcome.withdrawn
    assert effective_outcome(fact(DAY, outcome=Outcome.upheld)) == Outcome.upheld
    assert effective_outcome(fact(DAY, term="open", outcome=Outcome.upheld)) is None
    assert effective_outcome(fact(DAY)) is None
