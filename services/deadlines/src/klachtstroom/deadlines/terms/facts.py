"""From case events (topic complaints.case.v1) to the facts the term rules replay, and back
and forth to JSON for storage. Pure: no I/O.

Every date is the Dutch calendar date of the moment (`local_date`): a complaint received at
23:30 UTC on 2 March is received on 3 March in Amsterdam, and its terms run from there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, fields
from typing import Any

from klachtstroom.contracts import case_events as ev
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import Handler
from klachtstroom.deadlines.terms.compute import (
    Acknowledged,
    CaseFact,
    CaseOpened,
    Declined,
    EscalatedFormal,
    Extended,
    HandledAsComplaint,
    NoComplaintTerms,
    ProviderResponded,
    Referred,
    Reopened,
    Resolved,
    Resumed,
    Suspended,
    TakenBack,
    Withdrawn,
)

_NAMES: dict[type[Any], str] = {
    CaseOpened: "opened",
    Acknowledged: "acknowledged",
    Extended: "extended",
    Suspended: "suspended",
    Resumed: "resumed",
    Referred: "referred",
    ProviderResponded: "provider_responded",
    Resolved: "resolved",
    Declined: "declined",
    Withdrawn: "withdrawn",
    EscalatedFormal: "escalated_formal",
    TakenBack: "taken_back",
    Reopened: "reopened",
    NoComplaintTerms: "no_complaint_terms",
    HandledAsComplaint: "handled_as_complaint",
}
_TYPES: dict[str, type[Any]] = {name: cls for cls, name in _NAMES.items()}
_DATE_FIELDS = ("on", "received_on")


def facts_of(event: ev.CaseChange) -> list[CaseFact]:
    """The facts a case event adds; most events add one, some (hearing, mediation) none."""
    on = local_date(event.at)
    match event:
        case ev.CaseOpened():
            return [
                CaseOpened(
                    local_date(event.received_at),
                    advisory_committee=event.advisory_committee,
                    kind=event.kind.value,
                )
            ]
        case ev.CaseAcknowledged():
            return [Acknowledged(on)]
        case ev.CaseReferred():
            return [Referred(on, event.provider, event.response_working_days)]
        case ev.CaseAssigned():
            # From `referred` an assignment to the municipality is taking the case back (second line).
            if event.previous_state == "referred" and event.handler is Handler.municipality:
                return [TakenBack(on)]
            return []
        case ev.ProviderStatusReported():
            facts: list[CaseFact] = [ProviderResponded(on)]
            # A provider reporting `resolved` closes the case (routing: referred -> resolved).
            if event.state == "resolved" and event.previous_state != "resolved":
                facts.append(Resolved(on))
            return facts
        case ev.TermExtended():
            return [Extended(on, event.weeks, event.consent)]
        case ev.CaseSuspended():
            return [Suspended(on)]
        case ev.CaseResumed():
            return [Resumed(on)]
        case ev.EscalatedFormal():
            return [EscalatedFormal(on, advisory_committee=event.advisory_committee)]
        case ev.CaseResolved():
            return [Resolved(on)]
        case ev.CaseDeclined():
            return [Declined(on)]
        case ev.CaseWithdrawn():
            return [Withdrawn(on)]
        case ev.CaseReopened():
            return [Reopened(on)]
        case ev.CaseMerged():
            return [NoComplaintTerms(on, "Samengevoegd met een andere klacht")]
        case ev.CaseForwarded(keep_complaint=False):
            return [NoComplaintTerms(on, "Doorgestuurd: geen klacht, geen klachttermijnen")]
        case ev.CaseForwarded(keep_complaint=True):
            # A copy went to the objection desk or KCC; the case itself is handled as a complaint.
            return [HandledAsComplaint(on)]
    return []


def fact_to_json(fact: CaseFact) -> dict[str, Any]:
    data: dict[str, Any] = {"type": _NAMES[type(fact)]}
    for name, value in asdict(fact).items():
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def fact_from_json(data: dict[str, Any]) -> CaseFact:
    """A stored fact; extra keys (the event id, a refusal reason) are ignored."""
    cls = _TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    kwargs = {
        k: (dt.date.fromisoformat(v) if k in _DATE_FIELDS else v) for k, v in data.items() if k in names
    }
    fact: CaseFact = cls(**kwargs)
    return fact


def is_opening(data: dict[str, Any]) -> bool:
    return data.get("type") == "opened"
