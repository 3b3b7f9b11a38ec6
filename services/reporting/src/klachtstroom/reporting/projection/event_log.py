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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What is logged for one consumed event, under one complaint."""

    complaint_id: str
    stream: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    stream: str
    seq: int  # arrival order within the stream
    time_us: int  # envelope time, microseconds since the epoch
    type: str
    data: Mapping[str, Any]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_us(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding); naive means UTC."""
    delta = (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def log_entries(payload: Payload) -> list[LogEntry]:
    """The log entries of one event: its fields without free text, under its complaint."""
    data = payload.model_dump(mode="json", exclude=set(_DROPPED_FIELDS))
    if isinstance(payload, ie.ComplaintReceived):
        data["urgent_reasons"] = _received_reasons(payload)
    elif isinstance(payload, ie.ComplaintTriaged):
        data["urgent_reasons"] = _triaged_reasons(payload)
    subject = getattr(payload, "complaint_id", None) or getattr(payload, "case_id", None)
    if not isinstance(subject, str):
        raise ValueError(f"{payload.event_type} names no complaint")
    entries = [LogEntry(subject, payload.topic, data)]
    if isinstance(payload, ie.ComplaintsMerged):
        entries.append(LogEntry(payload.merged_id, MERGE_STREAM, data))
    return entries


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
