"""The fold: a complaint's `CaseFacts` from all its logged events, in canonical order. Pure.

`fold` sorts the events (`canonical_order`, see `event_log`), reads each back into its typed
logged view (`event_log.read_logged`: the contract's model without the dropped free-text fields)
and applies one function per event type; `APPLY` maps the CloudEvents type to it. Each function
takes the event's own model, so mypy checks every field the fold reads against the contracts.
The functions read the events only, never the clock or the database.

A complaint is known once an event names what a report needs (reference, date of receipt,
channel, kind, category): its `complaint.received` or `case.opened`. Until then `fold` gives None.
The row starts from the first such event and then takes every event in order, that one included:
no rule reads those five fields, so the row is the same as if it had been empty before.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import (
    CaseState,
    DeadlineKind,
    DeadlineState,
    Handler,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection import urgency
from klachtstroom.reporting.projection.event_log import (
    STREAM_ORDER,
    LoggedEvent,
    LoggedReceived,
    LoggedTriaged,
    read_logged,
)
from klachtstroom.reporting.reports.facts import CASE_STATES, CLOSED_STATES, CaseFacts

P = TypeVar("P", bound=Payload)
Rule = Callable[[CaseFacts, Any], None]

_RANK = {name: i for i, name in enumerate(STREAM_ORDER)}


def _seq(event: LoggedEvent) -> int:
    return event.seq


def _time(event: LoggedEvent) -> int:
    return event.time_us


def canonical_order(events: Iterable[LoggedEvent]) -> list[LoggedEvent]:
    """Per stream in arrival order; streams merged by event time (see event_log's docstring)."""
    streams: dict[str, list[LoggedEvent]] = {}
    for event in events:
        streams.setdefault(event.stream, []).append(event)
    if len(streams) == 1:
        (only,) = streams.values()
        return sorted(only, key=_seq)
    ordered = [
        sorted(streams[name], key=_seq)
        for name in sorted(streams, key=lambda n: (_RANK.get(n, len(_RANK)), n))
    ]
    # heapq.merge breaks ties by input position, i.e. by stream rank: deterministic.
    return list(heapq.merge(*ordered, key=_time))


def fold(complaint_id: str, events: Iterable[LoggedEvent]) -> CaseFacts | None:
    """The row of one complaint from all its logged events, in canonical order; None while
    no event names it yet (see the module docstring)."""
    typed: list[tuple[Rule, Payload]] = []
    first: LoggedReceived | ce.CaseOpened | None = None
    for logged in canonical_order(events):
        rule = APPLY.get(logged.type)
        if rule is None:
            continue
        event = read_logged(logged.type, logged.data)
        if first is None and isinstance(event, LoggedReceived | ce.CaseOpened):
            first = event
        typed.append((rule, event))
    if first is None:
        return None
    case = _start(complaint_id, first)
    for rule, event in typed:
        rule(case, event)
    return case


def _start(complaint_id: str, event: LoggedReceived | ce.CaseOpened) -> CaseFacts:
    """The row before its first event: what that event names, everything else as nothing happened."""
    return CaseFacts(
        id=complaint_id,
        reference=event.reference,
        received_on=local_date(event.received_at),
        channel=event.channel,
        kind=event.kind,
        category=event.category,
        urgent=False,
        municipality=None,
        unit=None,
        provider=None,
        handler=Handler.municipality,
        state=CaseState.received.value,  # until an event names another
    )


def _add_reasons(case: CaseFacts, reasons: Iterable[str]) -> None:
    new = [reason for reason in dict.fromkeys(reasons) if reason not in case.urgent_reasons]
    if new:
        case.urgent_reasons += tuple(new)


def _identity(case: CaseFacts, event: LoggedReceived | ce.CaseOpened) -> None:
    case.reference = event.reference
    case.received_on = local_date(event.received_at)
    case.channel = event.channel
    case.kind = event.kind
    case.category = event.category
    case.municipality = event.municipality or None
    case.unit = event.unit or None
    case.provider = event.provider or None


def _received(case: CaseFacts, event: LoggedReceived) -> None:
    _identity(case, event)
    case.urgent = event.urgent
    _add_reasons(case, event.urgent_reasons)
    # An imported register row is counted from routing's replay of it (ordinary case events with
    # their original dates), never decided here from the history (ImportedHistory decides once).
    case.imported = case.imported or event.imported is not None


def _triaged(case: CaseFacts, event: LoggedTriaged) -> None:
    # A person's correction (or a later triage) replaces the classification at intake.
    case.kind = event.kind
    case.category = event.category
    case.urgent = event.urgent
    _add_reasons(case, event.urgent_reasons)


def _merged(case: CaseFacts, event: ie.ComplaintsMerged) -> None:
    if event.merged_id == case.id:
        case.merged_into = event.complaint_id


def _state(case: CaseFacts, event: ce.CaseChange) -> None:
    if event.state in CASE_STATES:
        case.state = event.state.value


def _opened(case: CaseFacts, event: ce.CaseOpened) -> None:
    # Routing's view of the complaint (its rules may fill in the unit or handler).
    _identity(case, event)
    if event.urgent and not case.urgent:
        _add_reasons(case, [urgency.OPENED])
    case.urgent = event.urgent
    case.handler = event.handler
    _state(case, event)


def _assigned(case: CaseFacts, event: ce.CaseAssigned) -> None:
    _state(case, event)
    case.handler = event.handler
    case.unit = event.unit or case.unit
    case.provider = event.provider or case.provider


def _referred(case: CaseFacts, event: ce.CaseReferred) -> None:
    _state(case, event)
    case.handler = Handler.provider
    case.provider = event.provider or case.provider


def _acknowledged(case: CaseFacts, event: ce.CaseAcknowledged) -> None:
    _state(case, event)
    if case.acknowledged_on is None:  # Awb 9:6: the first confirmation counts
        case.acknowledged_on = local_date(event.at)


def _provider_status(case: CaseFacts, event: ce.ProviderStatusReported) -> None:
    _state(case, event)
    if case.state in CLOSED_STATES and event.outcome and case.resolved_on is None:
        # The provider reported its decision: that closes the case.
        case.outcome = event.outcome
        case.resolution = event.resolution or Resolution.informal
        case.resolved_on = local_date(event.at)


def _mediation(case: CaseFacts, event: ce.MediationStarted) -> None:
    _state(case, event)
    if (event.handler or case.handler) == Handler.provider:
        case.mediated_with_partner = True  # Awb 9:5 together with the partner


def _closed(case: CaseFacts, event: ce.CaseChange, outcome: Outcome, resolution: Resolution | None) -> None:
    _state(case, event)
    case.outcome = outcome
    case.resolution = resolution
    case.resolved_on = local_date(event.at)


def _resolved(case: CaseFacts, event: ce.CaseResolved) -> None:
    _closed(case, event, event.outcome, event.resolution)


def _withdrawn(case: CaseFacts, event: ce.CaseWithdrawn) -> None:
    _closed(case, event, Outcome.withdrawn, None)


def _declined(case: CaseFacts, event: ce.CaseDeclined) -> None:
    _closed(case, event, Outcome.inadmissible, None)


def _forwarded(case: CaseFacts, event: ce.CaseForwarded) -> None:
    """An objection or question handed on is closed here; a copy leaves the complaint open."""
    if not event.keep_complaint:
        _state(case, event)
        case.resolved_on = local_date(event.at)


def _reopened(case: CaseFacts, event: ce.CaseReopened) -> None:
    _state(case, event)
    case.outcome = case.resolution = case.resolved_on = None


def _ombudsman(case: CaseFacts, event: ce.OmbudsmanReferred) -> None:
    _state(case, event)
    case.ombudsman = True


def _deadline_set(case: CaseFacts, event: de.DeadlineSet) -> None:
    # `due` is the final due date, extension included.
    if event.kind == DeadlineKind.decision:
        case.decision_due, case.decision_state = event.due, event.state.value
    elif event.kind == DeadlineKind.contact:
        case.contact_due, case.contact_state = event.due, event.state.value


def _deadline_state(state: DeadlineState) -> Callable[[CaseFacts, de.DeadlinePayload], None]:
    def mark(case: CaseFacts, event: de.DeadlinePayload) -> None:
        if event.kind == DeadlineKind.decision:
            case.decision_state = state.value
        elif event.kind == DeadlineKind.contact:
            case.contact_state = state.value

    return mark


def _on(model: type[P], apply: Callable[[CaseFacts, P], None]) -> tuple[str, Rule]:
    """One rule: mypy checks that `apply` takes this event's model (a logged view for two)."""
    return model.event_type, apply


RULES: Sequence[tuple[str, Rule]] = (
    _on(LoggedReceived, _received),
    _on(LoggedTriaged, _triaged),
    _on(ie.ComplaintsMerged, _merged),
    _on(ce.CaseOpened, _opened),
    _on(ce.CaseAssigned, _assigned),
    _on(ce.CaseReferred, _referred),
    _on(ce.CaseAcknowledged, _acknowledged),
    _on(ce.ProviderStatusReported, _provider_status),
    _on(ce.HearingHeld, _state),
    _on(ce.TermExtended, _state),
    _on(ce.CaseSuspended, _state),
    _on(ce.CaseResumed, _state),
    _on(ce.EscalatedFormal, _state),
    _on(ce.MediationStarted, _mediation),
    _on(ce.CaseResolved, _resolved),
    _on(ce.CaseWithdrawn, _withdrawn),
    _on(ce.CaseDeclined, _declined),
    _on(ce.CaseReopened, _reopened),
    _on(ce.OmbudsmanReferred, _ombudsman),
    _on(ce.CaseForwarded, _forwarded),
    _on(ce.CaseMerged, _state),
    _on(de.DeadlineSet, _deadline_set),
    _on(de.DeadlineMet, _deadline_state(DeadlineState.met)),
    _on(de.DeadlineBreached, _deadline_state(DeadlineState.breached)),
)
APPLY: dict[str, Rule] = dict(RULES)
