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
from dataclasses import replace
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
Rule = Callable[[CaseFacts, Any], CaseFacts]

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
        case = rule(case, event)
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


def _with_reasons(case: CaseFacts, reasons: Iterable[str]) -> tuple[str, ...]:
    known = list(case.urgent_reasons)
    for reason in reasons:
        if reason not in known:
            known.append(reason)
    return tuple(known)


def _received(case: CaseFacts, event: LoggedReceived) -> CaseFacts:
    return replace(
        case,
        reference=event.reference,
        received_on=local_date(event.received_at),
        channel=event.channel,
        kind=event.kind,
        category=event.category,
        urgent=event.urgent,
        municipality=event.municipality or None,
        unit=event.unit or None,
        provider=event.provider or None,
        urgent_reasons=_with_reasons(case, event.urgent_reasons),
        # An imported register row is counted from routing's replay of it (ordinary case events
        # with their original dates), never decided here from the history (ImportedHistory decides once).
        imported=case.imported or event.imported is not None,
    )


def _triaged(case: CaseFacts, event: LoggedTriaged) -> CaseFacts:
    # A person's correction (or a later triage) replaces the classification at intake.
    return replace(
        case,
        kind=event.kind,
        category=event.category,
        urgent=event.urgent,
        urgent_reasons=_with_reasons(case, event.urgent_reasons),
    )


def _merged(case: CaseFacts, event: ie.ComplaintsMerged) -> CaseFacts:
    return replace(case, merged_into=event.complaint_id) if event.merged_id == case.id else case


def _state(case: CaseFacts, event: ce.CaseChange) -> CaseFacts:
    return replace(case, state=event.state.value) if event.state in CASE_STATES else case


def _opened(case: CaseFacts, event: ce.CaseOpened) -> CaseFacts:
    # Routing's view of the complaint (its rules may fill in the unit or handler).
    reasons = [urgency.OPENED] if event.urgent and not case.urgent else []
    case = replace(
        case,
        reference=event.reference,
        received_on=local_date(event.received_at),
        channel=event.channel,
        kind=event.kind,
        category=event.category,
        urgent=event.urgent,
        municipality=event.municipality or None,
        unit=event.unit or None,
        provider=event.provider or None,
        handler=event.handler,
        urgent_reasons=_with_reasons(case, reasons),
    )
    return _state(case, event)


def _assigned(case: CaseFacts, event: ce.CaseAssigned) -> CaseFacts:
    case = _state(case, event)
    return replace(
        case,
        handler=event.handler,
        unit=event.unit or case.unit,
        provider=event.provider or case.provider,
    )


def _referred(case: CaseFacts, event: ce.CaseReferred) -> CaseFacts:
    case = _state(case, event)
    return replace(case, handler=Handler.provider, provider=event.provider or case.provider)


def _acknowledged(case: CaseFacts, event: ce.CaseAcknowledged) -> CaseFacts:
    case = _state(case, event)
    if case.acknowledged_on is None:  # Awb 9:6: the first confirmation counts
        case = replace(case, acknowledged_on=local_date(event.at))
    return case


def _provider_status(case: CaseFacts, event: ce.ProviderStatusReported) -> CaseFacts:
    case = _state(case, event)
    if case.state in CLOSED_STATES and event.outcome and case.resolved_on is None:
        # The provider reported its decision: that closes the case.
        return replace(
            case,
            outcome=event.outcome,
            resolution=event.resolution or Resolution.informal,
            resolved_on=local_date(event.at),
        )
    return case


def _mediation(case: CaseFacts, event: ce.MediationStarted) -> CaseFacts:
    case = _state(case, event)
    if (event.handler or case.handler) == Handler.provider:
        case = replace(case, mediated_with_partner=True)  # Awb 9:5 together with the partner
    return case


def _closed(
    case: CaseFacts, event: ce.CaseChange, outcome: Outcome, resolution: Resolution | None
) -> CaseFacts:
    case = _state(case, event)
    return replace(case, outcome=outcome, resolution=resolution, resolved_on=local_date(event.at))


def _resolved(case: CaseFacts, event: ce.CaseResolved) -> CaseFacts:
    return _closed(case, event, event.outcome, event.resolution)


def _withdrawn(case: CaseFacts, event: ce.CaseWithdrawn) -> CaseFacts:
    return _closed(case, event, Outcome.withdrawn, None)


def _declined(case: CaseFacts, event: ce.CaseDeclined) -> CaseFacts:
    return _closed(case, event, Outcome.inadmissible, None)


def _forwarded(case: CaseFacts, event: ce.CaseForwarded) -> CaseFacts:
    """An objection or question handed on is closed here; a copy leaves the complaint open."""
    if event.keep_complaint:
        return case
    return replace(_state(case, event), resolved_on=local_date(event.at))


def _reopened(case: CaseFacts, event: ce.CaseReopened) -> CaseFacts:
    return replace(_state(case, event), outcome=None, resolution=None, resolved_on=None)


def _ombudsman(case: CaseFacts, event: ce.OmbudsmanReferred) -> CaseFacts:
    return replace(_state(case, event), ombudsman=True)


def _deadline_set(case: CaseFacts, event: de.DeadlineSet) -> CaseFacts:
    # `due` is the final due date, extension included.
    if event.kind == DeadlineKind.decision:
        return replace(case, decision_due=event.due, decision_state=event.state.value)
    if event.kind == DeadlineKind.contact:
        return replace(case, contact_due=event.due, contact_state=event.state.value)
    return case


def _deadline_state(state: DeadlineState) -> Callable[[CaseFacts, de.DeadlinePayload], CaseFacts]:
    def mark(case: CaseFacts, event: de.DeadlinePayload) -> CaseFacts:
        if event.kind == DeadlineKind.decision:
            return replace(case, decision_state=state.value)
        if event.kind == DeadlineKind.contact:
            return replace(case, contact_state=state.value)
        return case

    return mark


def _on(model: type[P], apply: Callable[[CaseFacts, P], CaseFacts]) -> tuple[str, Rule]:
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
