"""Event type -> payload model, and topic -> the events it carries."""

from __future__ import annotations

from klachtstroom.contracts import case_events, deadline_events, intake_events, signal_events
from klachtstroom.contracts.envelope import Envelope, Payload

PAYLOADS: tuple[type[Payload], ...] = (
    intake_events.ComplaintReceived,
    intake_events.ComplaintTriaged,
    intake_events.DuplicateSuspected,
    intake_events.ComplaintsMerged,
    intake_events.FeedbackGiven,
    case_events.CaseOpened,
    case_events.CaseAssigned,
    case_events.CaseReferred,
    case_events.CaseAcknowledged,
    case_events.ProviderStatusReported,
    case_events.HearingHeld,
    case_events.TermExtended,
    case_events.CaseSuspended,
    case_events.CaseResumed,
    case_events.EscalatedFormal,
    case_events.MediationStarted,
    case_events.CaseResolved,
    case_events.CaseWithdrawn,
    case_events.CaseDeclined,
    case_events.CaseReopened,
    case_events.OmbudsmanReferred,
    case_events.CaseForwarded,
    case_events.CaseMerged,
    case_events.OmbudsmanOutcomeRecorded,
    deadline_events.DeadlineSet,
    deadline_events.DeadlineWarning,
    deadline_events.DeadlineBreached,
    deadline_events.DeadlineEscalated,
    deadline_events.DeadlineMet,
    signal_events.UrgentSignal,
    signal_events.TrendSignal,
    signal_events.ReportPublished,
)

_BY_TYPE: dict[str, type[Payload]] = {p.event_type: p for p in PAYLOADS}


class UnknownEventType(LookupError):
    pass


def payload_model(event_type: str) -> type[Payload]:
    try:
        return _BY_TYPE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def payloads_on(topic: str) -> list[type[Payload]]:
    return [p for p in PAYLOADS if p.topic == topic]


def payload_of(envelope: Envelope) -> Payload:
    """The typed payload of an envelope, validated against the model registered for its type."""
    return payload_model(envelope.type).from_event_data(envelope.data)
