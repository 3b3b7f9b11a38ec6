"""The event log of the reporting projection: what is kept of each event, and in which order. Pure.

Events of one complaint reach reporting on three topics (intake, case, deadline). Kafka keeps
them in order per topic (the key is the complaint id), but the topics interleave differently
in a live consumer and in a `rebuild`. So the projection never folds events "as they come":
every event is logged (`log_entries`: only the fields reports need, no free text), and the row
is always `fold.fold(all logged events of the complaint)`, in one canonical order
(`fold.canonical_order`):

- within a topic, the order the topic gave (`seq`: arrival order in that topic);
- across topics, a merge of those sequences by event time, ties broken by topic.

That order depends only on the events themselves, so a live projection and a rebuild from
the topics give the same rows, and therefore byte-identical reports. A case event that comes
before the complaint's `received` event simply waits in the log until the row is complete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import Field, create_model

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.reporting.projection import urgency

# A merge touches two complaints; the copy logged for the merged one gets a stream of its
# own, so it cannot disturb the order of that complaint's intake events.
MERGE_STREAM = "merge"
STREAM_ORDER = (topics.INTAKE, topics.CASE, topics.DEADLINE, MERGE_STREAM)

# Free text and names of people stay out of the log (AVG: data minimisation).
_DROPPED_FIELDS = frozenset(
    {
        "description", "handover_note", "about_employee", "complainant_id", "in_reply_to",
        "actor", "reason", "summary", "note", "explanation", "handler_name", "recipient",
        "overridden_by", "triage",
    }
)  # fmt: skip
_EXCLUDED = set(_DROPPED_FIELDS)  # once: pydantic takes a set

LOGGED_PAYLOADS: tuple[type[Payload], ...] = (
    ie.ComplaintReceived,
    ie.ComplaintTriaged,
    ie.ComplaintsMerged,
    ie.FeedbackGiven,  # satisfaction (learning/); the fold itself ignores it
    ce.CaseOpened,
    ce.CaseAssigned,
    ce.CaseReferred,
    ce.CaseAcknowledged,
    ce.ProviderStatusReported,
    ce.HearingHeld,
    ce.TermExtended,
    ce.CaseSuspended,
    ce.CaseResumed,
    ce.EscalatedFormal,
    ce.MediationStarted,
    ce.CaseResolved,
    ce.CaseWithdrawn,
    ce.CaseDeclined,
    ce.CaseReopened,
    ce.OmbudsmanReferred,
    ce.CaseForwarded,
    ce.CaseMerged,
    ce.OmbudsmanOutcomeRecorded,
    de.DeadlineSet,
    de.DeadlineMet,
    de.DeadlineBreached,
)


class LoggedReceived(ie.ComplaintReceived):
    """A logged `complaint.received`: the contract's fields, and why reporting counts it urgent."""

    urgent_reasons: list[str] = Field(default_factory=list)


class LoggedTriaged(ie.ComplaintTriaged):
    """A logged `complaint.triaged`: the contract's fields, and why reporting counts it urgent."""

    urgent_reasons: list[str] = Field(default_factory=list)


# The reasons computed from the dropped triage fields (`log_entries`) are stored with the event.
_WITH_REASONS: dict[type[Payload], type[Payload]] = {
    ie.ComplaintReceived: LoggedReceived,
    ie.ComplaintTriaged: LoggedTriaged,
}

P = TypeVar("P", bound=Payload)


def logged_view(model: type[P]) -> type[P]:
    """The logged form of a payload model: a subclass of it in which the dropped fields are optional.

    Everything else is the contract's own field (type, default, validation), so the fold reads
    typed events and mypy checks each field it reads against the contract. The dropped fields are
    never in the log; the fold must not read them (tests/test_fold_contract.py checks that).
    """
    dropped: dict[str, Any] = {
        name: (_optional(info.annotation), None)
        for name, info in model.model_fields.items()
        if name in _DROPPED_FIELDS
    }
    if not dropped:
        return model
    return create_model(f"Logged{model.__name__}", __base__=model, __module__=__name__, **dropped)


def _optional(annotation: Any) -> Any:
    return annotation | None


# event type -> the model a logged event of that type is read back into.
LOGGED_VIEWS: dict[str, type[Payload]] = {
    model.event_type: logged_view(_WITH_REASONS.get(model, model)) for model in LOGGED_PAYLOADS
}


def read_logged(type_: str, data: str | bytes | Mapping[str, Any]) -> Payload:
    """A logged event back as its typed view: from the stored JSON text, or from its dict."""
    view = LOGGED_VIEWS[type_]
    if isinstance(data, str | bytes):
        return view.model_validate_json(data)
    return view.model_validate(data)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What is logged for one consumed event, under one complaint."""

    complaint_id: str
    stream: str
    data: str  # JSON text: the logged fields (see `log_entries`)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    stream: str
    seq: int  # arrival order within the stream
    time_us: int  # envelope time, microseconds since the epoch
    type: str
    data: str | bytes | Mapping[str, Any]  # as stored: the JSON text (or its dict), see `read_logged`


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_us(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding); naive means UTC."""
    delta = (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def log_entries(payload: Payload) -> list[LogEntry]:
    """The log entries of one event: its fields without free text, under its complaint.

    The data is JSON text, written by pydantic in one go (no dict, no second encoder): the
    payload's fields in the contract's order, then `urgent_reasons` where it applies.
    """
    data = payload.model_dump_json(exclude=_EXCLUDED)
    if isinstance(payload, ie.ComplaintReceived):
        data = _with_reasons(data, _received_reasons(payload))
    elif isinstance(payload, ie.ComplaintTriaged):
        data = _with_reasons(data, _triaged_reasons(payload))
    subject = getattr(payload, "complaint_id", None) or getattr(payload, "case_id", None)
    if not isinstance(subject, str):
        raise ValueError(f"{payload.event_type} names no complaint")
    entries = [LogEntry(subject, payload.topic, data)]
    if isinstance(payload, ie.ComplaintsMerged):
        entries.append(LogEntry(payload.merged_id, MERGE_STREAM, data))
    return entries


def _with_reasons(data: str, reasons: list[str]) -> str:
    """`data` (a JSON object with at least one field) with `urgent_reasons` as its last field."""
    return f'{data[:-1]},"urgent_reasons":{json.dumps(reasons, ensure_ascii=False)}}}'


def _received_reasons(event: ie.ComplaintReceived) -> list[str]:
    if not event.urgent:
        return []
    if event.urgent_given:
        return [urgency.GIVEN_AT_INTAKE]
    return [urgency.TRIAGE, *urgency.urgent_triage_reasons(event.triage.reasons if event.triage else [])]


def _triaged_reasons(event: ie.ComplaintTriaged) -> list[str]:
    if not event.urgent:
        return []
    if event.overridden_by:
        return [urgency.OVERRIDDEN]
    return [urgency.TRIAGE, *urgency.urgent_triage_reasons(event.reasons)]
