"""The stored form of a case: every field of the domain Case survives the round trip."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from klachtstroom.contracts.vocabulary import Channel, Handler, Outcome, Resolution
from klachtstroom.routing.case.codec import _READERS, NOT_STORED, case_from_json, case_to_json, json_with
from klachtstroom.routing.case.domain import Case, CaseState
from klachtstroom.routing.case.lifecycle import open_case


def test_every_field_of_case_is_stored() -> None:
    assert {f.name for f in fields(Case)} - NOT_STORED == set(_READERS)


def test_the_employee_complained_about_is_not_stored() -> None:
    # Awb 9:7 needs the name only while a command is checked; intake keeps it (claim check).
    case = open_case(id="c-1", at=datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("Europe/Amsterdam")),
                     channel=Channel.email, about_employee="B. de Wit")  # fmt: skip
    stored = case_to_json(case)
    assert "B. de Wit" not in str(stored) and stored["names_employee"] is True
    assert case_from_json(stored).about_employee is None


def test_round_trip_keeps_every_value() -> None:
    case = open_case(
        id="c-1", at=datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("Europe/Amsterdam")), channel=Channel.email
    )
    full = replace(
        case,
        state=CaseState.suspended,
        unit="Inkomen",
        provider="Zorg BV",
        handler=Handler.provider,
        handler_name="A. Bakker",
        names_employee=True,
        formal_requested=True,
        resolution=Resolution.formal,
        outcome=Outcome.upheld,
        acknowledged_on=date(2026, 3, 5),
        resolved_on=date(2026, 4, 1),
        extended_weeks=3,
        extensions_used=1,
        suspended_from_state=CaseState.formal,
        hearing_held=True,
        advisory_committee=True,
        decision_due=date(2026, 4, 14),
        ombudsman_referred=True,
        reopened_count=2,
    )
    assert case_from_json(case_to_json(full)) == full


def test_a_field_replaced_in_the_stored_form_is_the_field_replaced_in_the_case() -> None:
    at = datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
    case = open_case(id="c-2", at=at, channel="phone")
    stored = case_to_json(case)
    for due in (date(2026, 4, 14), None):
        assert json_with(stored, decision_due=due) == case_to_json(replace(case, decision_due=due))
        assert case_from_json(json_with(stored, decision_due=due)) == replace(case, decision_due=due)
