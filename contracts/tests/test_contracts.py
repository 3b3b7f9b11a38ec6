"""The event contracts: envelope round trips, every event typed, and no personal data fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Envelope, make_envelope
from klachtstroom.contracts.intake_events import ComplaintReceived
from klachtstroom.contracts.jsonschema import schemas
from klachtstroom.contracts.registry import PAYLOADS, UnknownEventType, payload_model, payload_of, payloads_on
from klachtstroom.contracts.timekeeping import local_date, moment_of
from klachtstroom.contracts.vocabulary import (
    CASE_STATE_LABELS,
    DEADLINE_KIND_LABELS,
    DEADLINE_KIND_TASKS,
    DEADLINE_STATE_LABELS,
    ESCALATION_LEVEL_LABELS,
    PROVIDER_STATUS_LABELS,
    CaseState,
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    EscalationLevel,
    Kind,
    ProviderStatus,
)

DESIGN_EVENTS = {
    topics.INTAKE: {"received", "triaged", "duplicate_suspected", "merged"},
    topics.CASE: {
        "opened", "assigned", "referred", "acknowledged", "provider_status", "hearing_held", "term_extended",
        "suspended", "resumed", "escalated_formal", "mediation_started", "resolved", "withdrawn", "declined",
        "reopened", "ombudsman_referred",
    },
    topics.DEADLINE: {"set", "warning", "breached", "escalated", "met"},
    topics.SIGNAL: {"urgent", "trend", "report_published"},
}


# Events added after the table in DESIGN.md was written (the resident's side, issue 18): the
# feedback after closing and the ombudsman's conclusion, both without free text.
ADDED_EVENTS = {
    topics.INTAKE: {"feedback_given"},
    # forwarded: an objection or question; merged: a duplicate closed into another (issue 19)
    topics.CASE: {"ombudsman_outcome", "forwarded", "merged"},
}


@pytest.mark.parametrize("topic", list(DESIGN_EVENTS))
def test_every_event_of_the_design_has_a_typed_payload(topic: str) -> None:
    names = {p.event_type.split(".")[-2] for p in payloads_on(topic)}
    assert names == DESIGN_EVENTS[topic] | ADDED_EVENTS.get(topic, set())


def test_event_types_are_versioned_and_unique() -> None:
    types = [p.event_type for p in PAYLOADS]
    assert len(types) == len(set(types))
    assert all(t.startswith("nl.klachtstroom.") and t.endswith(".v1") for t in types)


def test_envelope_round_trip_keeps_the_typed_payload() -> None:
    received = ComplaintReceived(
        complaint_id="c1", reference="KL-2026-000001", channel=Channel.phone,
        received_at=datetime(2026, 3, 3, 11, tzinfo=UTC), complainant_id="p1", complainant_reachable=True,
        kind=Kind.complaint, category=Category.handling_time, urgent=False,
    )
    envelope = make_envelope(received, source="klachtstroom-intake", subject="c1")
    again = Envelope.model_validate(json.loads(envelope.model_dump_json()))
    assert again.specversion == "1.0" and again.subject == "c1"
    assert payload_of(again) == received
    assert again.id[14] == "7"  # UUIDv7
    assert again.dataschema == "urn:klachtstroom:schema:nl.klachtstroom.complaint.received.v1"
    assert again.traceparent and again.traceparent.startswith("00-")  # a new trace when none is given
    assert envelope.kafka_headers() == {
        "content-type": "application/cloudevents+json", "traceparent": again.traceparent
    }  # structured mode: no ce_ headers


def test_unknown_type_is_reported() -> None:
    with pytest.raises(UnknownEventType):
        payload_model("nl.klachtstroom.nothing.v9")


def _property_names(schema: object) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= {k.lower() for k in schema.get("properties", {})}
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _property_names(value)
    return names


def test_no_event_carries_personal_data_fields() -> None:
    forbidden = {"bsn", "name", "email", "phone", "address", "complainant", "telefoon", "naam"}
    for event_type, schema in schemas().items():
        assert not forbidden & _property_names(schema), event_type


def test_dates_are_dutch_dates() -> None:
    # 23:30 UTC on 31 December is already 1 January in Amsterdam: it counts for the new year.
    assert local_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)).year == 2026
    assert local_date(moment_of(datetime(2026, 1, 1).date())) == datetime(2026, 1, 1).date()


def test_json_schemas_are_current() -> None:
    directory = Path(__file__).resolve().parent.parent / "schemas"
    for event_type, schema in schemas().items():
        path = directory / f"{event_type}.schema.json"
        assert path.exists(), f"run: python -m klachtstroom.contracts.jsonschema contracts/schemas ({path})"
        assert json.loads(path.read_text()) == schema, f"{path} is out of date"


def _leaves(annotation: object) -> list[object]:
    args = get_args(annotation)
    return [leaf for arg in args for leaf in _leaves(arg)] if args else [annotation]


def test_every_timestamp_in_every_payload_is_timezone_aware() -> None:
    # A naive moment means a different time to each reader: pydantic's AwareDatetime refuses one.
    naive: list[str] = []
    seen: set[type[BaseModel]] = set()
    models: list[type[BaseModel]] = list(PAYLOADS)
    while models:
        model = models.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            for leaf in _leaves(field.annotation):
                if leaf is datetime:
                    naive.append(f"{model.__name__}.{name}")
                elif isinstance(leaf, type) and issubclass(leaf, BaseModel):
                    models.append(leaf)
    assert len(seen) > len(PAYLOADS)  # nested models (triage verdict, imported history) are walked too
    assert naive == []


def test_every_value_of_a_labelled_concept_has_its_dutch_label() -> None:
    tables: list[tuple[type[StrEnum], Mapping[Any, str]]] = [
        (CaseState, CASE_STATE_LABELS),
        (ProviderStatus, PROVIDER_STATUS_LABELS),
        (EscalationLevel, ESCALATION_LEVEL_LABELS),
        (DeadlineKind, DEADLINE_KIND_LABELS),
        (DeadlineKind, DEADLINE_KIND_TASKS),
        (DeadlineState, DEADLINE_STATE_LABELS),
    ]
    for concept, labels in tables:
        assert set(labels) == set(concept), concept.__name__
        assert all(label and label == label[:1].lower() + label[1:] for label in labels.values())
