"""The contract between the events and reporting's fold.

The fold takes each logged event as its typed view (`event_log.LOGGED_VIEWS`): a subclass of the
contract's payload model in which only the fields the log drops (free text, names) are optional.
So `mypy --strict` with the pydantic plugin checks every field the fold reads against the
contracts, and a field renamed there fails type-checking. What mypy cannot see: a read of a
dropped field (it exists on the contract, but is never in the log). The scan below finds those.
The log's rows stay what today's code writes, so a row stored before this change still folds.
"""

from __future__ import annotations

import ast
import inspect
from datetime import date

import pytest
from pydantic import ValidationError

from klachtstroom.contracts.registry import payload_model
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineState,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection import fold as fold_rules
from klachtstroom.reporting.projection import urgency
from klachtstroom.reporting.projection.event_log import (
    _DROPPED_FIELDS,
    LOGGED_PAYLOADS,
    LOGGED_VIEWS,
    LoggedEvent,
    read_logged,
)
from klachtstroom.reporting.reports.facts import CaseFacts

COMPUTED = {"urgent_reasons"}  # added by log_entries from the payload, not a payload field


def _attributes_read(source: str, names: set[str]) -> set[str]:
    """Attributes read as `event.name` from variables named in `names`."""
    return {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names
    }


def test_the_fold_reads_no_field_the_log_drops() -> None:
    read = _attributes_read(inspect.getsource(fold_rules), {"event"})
    assert {"reference", "state", "due"} <= read, "the scan no longer sees the fold's reads"
    assert read & _DROPPED_FIELDS == set(), f"never in the log: {sorted(read & _DROPPED_FIELDS)}"


def test_the_scan_sees_a_dropped_field() -> None:
    source = "def f(case, event):\n    return event.description, event.urgent\n"
    assert _attributes_read(source, {"event"}) & _DROPPED_FIELDS == {"description"}


@pytest.mark.parametrize("event_type", sorted(LOGGED_VIEWS))
def test_each_logged_view_is_its_contract_without_the_dropped_fields(event_type: str) -> None:
    contract = payload_model(event_type)
    view = LOGGED_VIEWS[event_type]
    assert issubclass(view, contract)  # what mypy checks the fold against is the contract itself
    assert set(view.model_fields) - COMPUTED == set(contract.model_fields)
    for name, info in view.model_fields.items():
        if name in _DROPPED_FIELDS:
            assert not info.is_required() and info.default is None
        elif name in contract.model_fields:
            assert info.annotation == contract.model_fields[name].annotation


def test_every_event_the_fold_applies_is_logged() -> None:
    # A fold rule for an event reporting never subscribes to is dead code (found: case.forwarded).
    assert set(fold_rules.APPLY) <= {model.event_type for model in LOGGED_PAYLOADS}


def test_a_stored_field_the_contract_does_not_know_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(ValidationError):
        read_logged(
            "nl.klachtstroom.case.acknowledged.v1",
            '{"case_id": "c-1", "state": "acknowledged", "at": "2025-03-05T00:00:00Z", "acked": true}',
        )


# Log rows as stored by the code before typed events (event_log.log_entries, JSON text as in
# the `data` column): (stream, seq, time_us, type, data). They must keep folding to these facts.
STORED = [
    ("complaints.intake.v1", 1, 1740960000000000, "nl.klachtstroom.complaint.received.v1",
     '{"complaint_id": "c-00001", "reference": "KL-2025-000001", "channel": "phone", "received_at": '
     '"2025-03-03T00:00:00Z", "complainant_reachable": true, "municipality": "Voorbeeldstad", "unit": '
     '"Inkomen", "provider": null, "names_employee": false, "kind": "complaint", "category": "conduct", '
     '"urgent": true, "formal": false, "kind_given": false, "category_given": false, "urgent_given": '
     'false, "attachments": 0, "imported": null, "desired_outcome_given": false, "provider_may_contact": '
     'false, "urgent_reasons": ["De automatische beoordeling (triage) wijst op urgentie."]}'),
    ("complaints.intake.v1", 2, 1741046400000000, "nl.klachtstroom.complaint.triaged.v1",
     '{"complaint_id": "c-00001", "kind": "complaint", "category": "conduct", "urgent": true, '
     '"confidence": 1.0, "reasons": [], "at": "2025-03-04T00:00:00Z", "urgent_reasons": '
     '["Een medewerker heeft de klacht als urgent aangemerkt."]}'),
    ("complaints.case.v1", 1, 1740960001000000, "nl.klachtstroom.case.opened.v1",
     '{"case_id": "c-00001", "state": "received", "previous_state": "received", "at": '
     '"2025-03-03T00:00:00Z", "reference": "KL-2025-000001", "received_at": "2025-03-03T00:00:00Z", '
     '"channel": "phone", "kind": "complaint", "category": "conduct", "urgent": true, "municipality": '
     '"Voorbeeldstad", "unit": "Inkomen", "provider": null, "handler": "municipality", "rule_id": null, '
     '"rule_version": null, "flagged_for_coordinator": false, "formal": false, "advisory_committee": '
     'false, "complainant_reachable": true}'),
    ("complaints.case.v1", 2, 1741046401000000, "nl.klachtstroom.case.assigned.v1",
     '{"case_id": "c-00001", "state": "assigned", "previous_state": "received", "at": '
     '"2025-03-04T00:00:00Z", "handler": "municipality", "unit": null, "provider": null}'),
    ("complaints.case.v1", 3, 1741132800000000, "nl.klachtstroom.case.acknowledged.v1",
     '{"case_id": "c-00001", "state": "acknowledged", "previous_state": "assigned", "at": '
     '"2025-03-05T00:00:00Z"}'),
    ("complaints.deadline.v1", 1, 1740960002000000, "nl.klachtstroom.deadline.set.v1",
     '{"case_id": "c-00001", "kind": "contact", "due": "2025-03-10", "at": "2025-03-03T00:00:00Z", '
     '"start": "2025-03-03", "unmoved_due": "2025-03-10", "state": "running", "extended_weeks": 0}'),
    ("complaints.deadline.v1", 2, 1740960003000000, "nl.klachtstroom.deadline.set.v1",
     '{"case_id": "c-00001", "kind": "decision", "due": "2025-04-14", "at": "2025-03-03T00:00:00Z", '
     '"start": "2025-03-03", "unmoved_due": "2025-04-14", "state": "running", "extended_weeks": 0}'),
    ("complaints.deadline.v1", 3, 1741132900000000, "nl.klachtstroom.deadline.met.v1",
     '{"case_id": "c-00001", "kind": "contact", "due": "2025-03-10", "at": "2025-03-05T00:01:40Z", '
     '"met_on": "2025-03-05"}'),
    ("complaints.case.v1", 4, 1742688000000000, "nl.klachtstroom.case.resolved.v1",
     '{"case_id": "c-00001", "state": "resolved", "previous_state": "acknowledged", "at": '
     '"2025-03-23T00:00:00Z", "outcome": "upheld", "resolution": "formal", '
     '"desired_outcome_achieved": null, "norms": []}'),
]  # fmt: skip


def test_a_log_row_stored_in_todays_format_still_folds() -> None:
    events = [LoggedEvent(*row) for row in reversed(STORED)]  # the fold orders them itself
    assert fold_rules.fold("c-00001", events) == CaseFacts(
        id="c-00001",
        reference="KL-2025-000001",
        received_on=date(2025, 3, 3),
        channel=Channel.phone,
        kind=Kind.complaint,
        category=Category.conduct,
        urgent=True,
        municipality="Voorbeeldstad",
        unit="Inkomen",
        provider=None,
        handler=Handler.municipality,
        state="resolved",
        resolution=Resolution.formal,
        outcome=Outcome.upheld,
        resolved_on=date(2025, 3, 23),
        decision_due=date(2025, 4, 14),
        contact_due=date(2025, 3, 10),
        acknowledged_on=date(2025, 3, 5),
        decision_state=DeadlineState.running,
        contact_state=DeadlineState.met,
        urgent_reasons=(urgency.TRIAGE, urgency.OVERRIDDEN),
    )
