"""The fold: a complaint's row (`CaseRecord`) from all its logged events, in canonical order. Pure.

`fold` sorts the events (`canonical_order`, see `event_log`) and applies one function per event
type; `APPLY` maps the CloudEvents type to it. The functions read the logged data
(`event_log.log_entries`), never the clock or the database.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import (
    CaseState,
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection import urgency
from klachtstroom.reporting.projection.event_log import STREAM_ORDER, LoggedEvent
from klachtstroom.reporting.projection.record import CaseRecord
from klachtstroom.reporting.reports.facts import CASE_STATES, CLOSED_STATES


def canonical_order(events: Iterable[LoggedEvent]) -> list[LoggedEvent]:
    """Per stream in arrival order; streams merged by event time (see event_log's docstring)."""
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


def fold(complaint_id: str, events: Iterable[LoggedEvent]) -> CaseRecord:
    """The row of one complaint from all its logged events, in canonical order."""
    record = CaseRecord(complaint_id)
    for event in canonical_order(events):
        apply = APPLY.get(event.type)
        if apply is not None:
            apply(record, event.data)
    return record


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
    # An imported register row is counted from routing's replay of it (ordinary case events with
    # their original dates), never decided here from the history (ImportedHistory decides once).
    record.imported = record.imported or bool(data.get("imported"))
    if record.state is None:
        record.state = CaseState.received.value


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
    if record.state in CLOSED_STATES and data.get("outcome") and record.resolved_on is None:
        # The provider reported its decision: that closes the case.
        record.outcome = Outcome(data["outcome"])
        resolution = data.get("resolution")
        record.resolution = Resolution(resolution) if resolution else Resolution.informal
        record.resolved_on = _date(data["at"])


def _mediation(record: CaseRecord, data: Mapping[str, Any]) -> None:
    _state(record, data)
    handler = data.get("handler") or record.handler
    if handler == Handler.provider:
        record.mediated_with_partner = True  # Awb 9:5 together with the partner


def _closing(outcome: Outcome | None) -> Callable[[CaseRecord, Mapping[str, Any]], None]:
    def close(record: CaseRecord, data: Mapping[str, Any]) -> None:
        _state(record, data)
        record.outcome = Outcome(data["outcome"]) if outcome is None else outcome
        record.resolution = Resolution(data["resolution"]) if outcome is None else None
        record.resolved_on = _date(data["at"])

    return close


def _forwarded(record: CaseRecord, data: Mapping[str, Any]) -> None:
    """An objection or question handed on is closed here; a copy leaves the complaint open."""
    if not data.get("keep_complaint"):
        _state(record, data)
        record.resolved_on = _date(data["at"])


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


def _deadline_state(state: DeadlineState) -> Callable[[CaseRecord, Mapping[str, Any]], None]:
    def mark(record: CaseRecord, data: Mapping[str, Any]) -> None:
        if data["kind"] == DeadlineKind.decision:
            record.decision_state = state.value
        elif data["kind"] == DeadlineKind.contact:
            record.contact_state = state.value

    return mark


APPLY: dict[str, Callable[[CaseRecord, Mapping[str, Any]], None]] = {
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
    ce.CaseForwarded.event_type: _forwarded,
    ce.CaseMerged.event_type: _state,
    de.DeadlineSet.event_type: _deadline_set,
    de.DeadlineMet.event_type: _deadline_state(DeadlineState.met),
    de.DeadlineBreached.event_type: _deadline_state(DeadlineState.breached),
}
