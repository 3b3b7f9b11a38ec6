"""The reporting projection: from the events of one complaint to its `CaseFacts` row. Pure.

Events of one complaint reach reporting on three topics (intake, case, deadline). Kafka keeps
them in order per topic (the key is the complaint id), but the topics interleave differently
in a live consumer and in a `rebuild`. So the projection never folds events "as they come":
every event is logged (`log_entries`: only the fields reports need, no free text), and the row
is always `fold(all logged events of the complaint)`, in one canonical order:

- within a topic, the order the topic gave (`seq`: arrival order in that topic);
- across topics, a merge of those sequences by event time, ties broken by topic.

That order depends only on the events themselves, so a live projection and a rebuild from
the topics give the same rows, and therefore byte-identical reports. A case event that comes
before the complaint's `received` event simply waits in the log until the row is complete.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting import urgency
from klachtstroom.reporting.facts import CASE_STATES, CLOSED_STATES, CaseFacts

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
_KEPT_CASE_DATA = frozenset({"handler", "provider", "unit", "status", "outcome", "resolution", "urgent"})

LOGGED_PAYLOADS: tuple[type[Payload], ...] = (
    ie.ComplaintReceived,
    ie.ComplaintTriaged,
    ie.ComplaintsMerged,
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
    if "data" in data:
        data["data"] = {k: v for k, v in data["data"].items() if k in _KEPT_CASE_DATA}
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


def canonical_order(events: Iterable[LoggedEvent]) -> list[LoggedEvent]:
    """Per stream in arrival order; streams merged by event time (see the module docstring)."""
    streams: dict[str, list[LoggedEvent]] = {}
    for event in events:
        streams.setdefault(event.stream, []).append(event)
    rank = {name: i for i, name in enumerate(STREAM_ORDER)}
    ordered = [
        sorted(streams[name], key=lambda e: e.seq)
        for name in sorted(streams, key=lambda n: (rank.get(n, len(rank)), n))
    ]
    # heapq.merge breaks ties by input position, i.e. by stream rank: deterministic.
    return list(heapq.merge(*ordered, key=lambda e: e.time_us))


# --- the row ---------------------------------------------------------------------------------


@dataclass
class CaseRecord:
    """The projected row of one complaint; complete once its receipt is known."""

    id: str
    reference: str | None = None
    received_on: date | None = None
    channel: Channel | None = None
    kind: Kind | None = None
    category: Category | None = None
    urgent: bool = False
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    handler: Handler = Handler.municipality
    state: str | None = None
    resolution: Resolution | None = None
    outcome: Outcome | None = None
    resolved_on: date | None = None
    decision_due: date | None = None
    contact_due: date | None = None
    acknowledged_on: date | None = None
    ombudsman: bool = False
    mediated_with_partner: bool = False
    provider_measures: str | None = None
    decision_state: str | None = None
    contact_state: str | None = None
    merged_into: str | None = None
    imported: bool = False
    urgent_reasons: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return None not in (self.reference, self.received_on, self.channel, self.kind, self.category)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    def facts(self) -> CaseFacts | None:
        """The row as reports see it; None while incomplete or after a merge into another."""
        if not self.complete or self.merged_into is not None:
            return None
        assert self.reference and self.received_on and self.channel and self.kind and self.category
        return CaseFacts(
            id=self.id,
            reference=self.reference,
            received_on=self.received_on,
            channel=self.channel,
            kind=self.kind,
            category=self.category,
            urgent=self.urgent,
            municipality=self.municipality,
            unit=self.unit,
            provider=self.provider,
            handler=self.handler,
            state=self.state or "received",
            resolution=self.resolution,
            outcome=self.outcome,
            resolved_on=self.resolved_on,
            decision_due=self.decision_due,
            contact_due=self.contact_due,
            acknowledged_on=self.acknowledged_on,
            ombudsman=self.ombudsman,
            mediated_with_partner=self.mediated_with_partner,
            provider_measures=self.provider_measures,
        )


def fold(complaint_id: str, events: Iterable[LoggedEvent]) -> CaseRecord:
    """The row of one complaint from all its logged events, in canonical order."""
    record = CaseRecord(complaint_id)
    for event in canonical_order(events):
        apply = _APPLY.get(event.type)
        if apply is not None:
            apply(record, event.data)
    return record


# --- applying one event ---------------------------------------------------------------------


def _date(value: Any) -> date:
    return local_date(datetime.fromisoformat(str(value)))


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _add_reasons(record: CaseRecord, reasons: Iterable[str]) -> None:
    for reason in reasons:
        if reason not in record.urgent_reasons:
            record.urgent_reasons.append(reason)


def _received(record: CaseRecord, data: Mapping[str, Any]) -> None:
    record.reference = data["reference"]
    record.received_on = _date(data["received_at"])
    record.channel = Channel(data["channel"])
    record.kind = Kind(data["kind"])
    record.category = Category(data["category"])
    record.urgent = bool(data["urgent"])
    record.municipality = _opt(data.get("municipality"))
    record.unit = _opt(data.get("unit"))
    record.provider = _opt(data.get("provider"))
    _add_reasons(record, data.get("urgent_reasons", []))
    imported = data.get("imported")
    if imported:
        _imported(record, imported)
    elif record.state is None:
        record.state = "received"


def _imported(record: CaseRecord, history: Mapping[str, Any]) -> None:
    """A complaint from an earlier register arrives handled: it is projected closed."""
    record.imported = True
    outcome = Outcome(history["outcome"]) if history.get("outcome") else None
    state = history.get("state")
    if state not in CLOSED_STATES:
        state = {Outcome.withdrawn: "withdrawn", Outcome.inadmissible: "declined"}.get(
            outcome or Outcome.no_judgement, "resolved"
        )
    record.state = state
    record.outcome = outcome
    record.resolution = Resolution(history["resolution"]) if history.get("resolution") else None
    if history.get("handler"):
        record.handler = Handler(history["handler"])
    if history.get("resolved_at"):
        record.resolved_on = _date(history["resolved_at"])
    if history.get("acknowledged_at"):
        record.acknowledged_on = _date(history["acknowledged_at"])
    record.ombudsman = record.ombudsman or bool(history.get("ombudsman"))


def _triaged(record: CaseRecord, data: Mapping[str, Any]) -> None:
    # A person's correction (or a later triage) replaces the classification at intake.
    record.kind = Kind(data["kind"])
    record.category = Category(data["category"])
    record.urgent = bool(data["urgent"])
    _add_reasons(record, data.get("urgent_reasons", []))


def _merged(record: CaseRecord, data: Mapping[str, Any]) -> None:
    if data["merged_id"] == record.id:
        record.merged_into = data["complaint_id"]


def _state(record: CaseRecord, data: Mapping[str, Any]) -> None:
    state = data.get("state")
    if state in CASE_STATES:
        record.state = state
    if data.get("data", {}).get("urgent") is True and not record.urgent:
        record.urgent = True
        _add_reasons(record, [urgency.CASE_FLAG])


def _opened(record: CaseRecord, data: Mapping[str, Any]) -> None:
    # Routing's view of the complaint (its rules may fill in the unit or handler).
    record.reference = data["reference"]
    record.received_on = _date(data["received_at"])
    record.channel = Channel(data["channel"])
    record.kind = Kind(data["kind"])
    record.category = Category(data["category"])
    if data["urgent"] and not record.urgent:
        _add_reasons(record, [urgency.OPENED])
    record.urgent = bool(data["urgent"])
    record.municipality = _opt(data.get("municipality"))
    record.unit = _opt(data.get("unit"))
    record.provider = _opt(data.get("provider"))
    record.handler = Handler(data["handler"])
    if not (record.imported and record.is_closed):  # an imported history keeps its closed state
        _state(record, data)


def _assigned(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    record.handler = Handler(data["handler"])
    record.unit = _opt(data.get("unit")) or record.unit
    record.provider = _opt(data.get("provider")) or record.provider


def _referred(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    record.handler = Handler.provider
    record.provider = _opt(data.get("provider")) or record.provider


def _acknowledged(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    if record.acknowledged_on is None:  # Awb 9:6: the first confirmation counts
        record.acknowledged_on = _date(data["at"])


def _provider_status(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    if _opt(data.get("measures")):
        record.provider_measures = data["measures"].strip()
    if record.state in CLOSED_STATES and data.get("outcome") and record.resolved_on is None:
        # The provider reported its decision: that closes the case.
        record.outcome = Outcome(data["outcome"])
        resolution = data.get("data", {}).get("resolution")
        record.resolution = Resolution(resolution) if resolution else Resolution.informal
        record.resolved_on = _date(data["at"])


def _mediation(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    handler = data.get("data", {}).get("handler") or record.handler
    if handler == Handler.provider:
        record.mediated_with_partner = True  # Awb 9:5 together with the partner


def _closing(outcome: Outcome | None) -> Callable[[CaseRecord, Mapping[str, Any]], None]:
    def close(record: CaseRecord, data: Mapping[str, Any]) -> None:
        _state(record, data)
        record.outcome = Outcome(data["outcome"]) if outcome is None else outcome
        record.resolution = Resolution(data["resolution"]) if outcome is None else None
        record.resolved_on = _date(data["at"])

    return close


def _reopened(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    record.outcome = record.resolution = record.resolved_on = None


def _ombudsman(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    record.ombudsman = True


def _deadline_set(record: CaseRecord, data: Mapping[str, Any]) -> None:
    due = date.fromisoformat(data["due"])  # the final due date, extension included
    if data["kind"] == DeadlineKind.decision:
        record.decision_due, record.decision_state = due, data["state"]
    elif data["kind"] == DeadlineKind.contact:
        record.contact_due, record.contact_state = due, data["state"]


def _deadline_state(state: str) -> Callable[[CaseRecord, Mapping[str, Any]], None]:
    def mark(record: CaseRecord, data: Mapping[str, Any]) -> None:
        if data["kind"] == DeadlineKind.decision:
            record.decision_state = state
        elif data["kind"] == DeadlineKind.contact:
            record.contact_state = state

    return mark


_APPLY: dict[str, Callable[[CaseRecord, Mapping[str, Any]], None]] = {
    ie.ComplaintReceived.event_type: _received,
    ie.ComplaintTriaged.event_type: _triaged,
    ie.ComplaintsMerged.event_type: _merged,
    ce.CaseOpened.event_type: _opened,
    ce.CaseAssigned.event_type: _assigned,
    ce.CaseReferred.event_type: _referred,
    ce.CaseAcknowledged.event_type: _acknowledged,
    ce.ProviderStatusReported.event_type: _provider_status,
    ce.HearingHeld.event_type: _state,
    ce.TermExtended.event_type: _state,
    ce.CaseSuspended.event_type: _state,
    ce.CaseResumed.event_type: _state,
    ce.EscalatedFormal.event_type: _state,
    ce.MediationStarted.event_type: _mediation,
    ce.CaseResolved.event_type: _closing(None),
    ce.CaseWithdrawn.event_type: _closing(Outcome.withdrawn),
    ce.CaseDeclined.event_type: _closing(Outcome.inadmissible),
    ce.CaseReopened.event_type: _reopened,
    ce.OmbudsmanReferred.event_type: _ombudsman,
    de.DeadlineSet.event_type: _deadline_set,
    de.DeadlineMet.event_type: _deadline_state("met"),
    de.DeadlineBreached.event_type: _deadline_state("breached"),
}
