"""An imported register row's final state is decided once, by ImportedHistory.

Intake writes the decision into the event (`closed_as`) and shows it as the status; routing
replays it as case events; reporting folds routing's events. Events from before `closed_as`
existed are decided by the same rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from klachtstroom.contracts.intake_events import ImportedHistory
from klachtstroom.contracts.vocabulary import CaseState, DeclineGround, Outcome

HANDLED = datetime(2025, 3, 14, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("history", "closing", "final"),
    [
        (ImportedHistory(), None, None),
        (ImportedHistory(outcome=Outcome.upheld), None, None),  # a judgement without a date stays open
        (
            ImportedHistory(outcome=Outcome.upheld, resolved_at=HANDLED),
            CaseState.resolved,
            CaseState.resolved,
        ),
        (ImportedHistory(resolved_at=HANDLED), CaseState.resolved, CaseState.resolved),
        (ImportedHistory(outcome=Outcome.withdrawn), CaseState.withdrawn, CaseState.withdrawn),
        (ImportedHistory(outcome=Outcome.inadmissible), CaseState.declined, CaseState.declined),
        (ImportedHistory(resolved_at=HANDLED, ombudsman=True), CaseState.resolved, CaseState.ombudsman),
        (ImportedHistory(ombudsman=True), None, None),  # still open: not yet at the ombudsman
        (ImportedHistory(state="ombudsman"), CaseState.resolved, CaseState.ombudsman),
        (
            ImportedHistory(state="ombudsman", outcome=Outcome.inadmissible),
            CaseState.declined,
            CaseState.ombudsman,
        ),
        (ImportedHistory(state="Declined: older_than_one_year"), CaseState.declined, CaseState.declined),
        (
            ImportedHistory(state="in behandeling", resolved_at=HANDLED),
            CaseState.resolved,
            CaseState.resolved,
        ),
        (
            ImportedHistory(closed_as=CaseState.withdrawn, resolved_at=HANDLED),
            CaseState.withdrawn,
            CaseState.withdrawn,
        ),
    ],
)
def test_one_decision_for_every_register_row(
    history: ImportedHistory, closing: CaseState | None, final: CaseState | None
) -> None:
    assert history.closing_state() == closing
    assert history.final_state() == final


def test_the_decline_ground_is_read_only_when_the_register_names_one() -> None:
    assert (
        ImportedHistory(state="declined:older_than_one_year").decline_ground()
        == DeclineGround.older_than_one_year
    )
    assert ImportedHistory(state="declined").decline_ground() is None
    assert ImportedHistory(outcome=Outcome.inadmissible).decline_ground() is None


def test_closed_as_is_only_a_closing_state() -> None:
    with pytest.raises(ValidationError):
        ImportedHistory(closed_as=CaseState.assigned)
    with pytest.raises(ValidationError):
        ImportedHistory(closed_as=CaseState.ombudsman)  # the ombudsman follows a closing, see `ombudsman`
