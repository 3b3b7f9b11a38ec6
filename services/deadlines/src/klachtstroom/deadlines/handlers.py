"""Case events in (topic complaints.case.v1) -> facts -> terms, timers and deadline events out.

One batch of events is one transaction (the platform's consumer); each event adds its facts to
its case and recomputes that case's terms (tracking.py). A fact the term rules refuse is kept
aside on the case with its reason; it never stops the consumer.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.deadlines.tracking import TermTracker
from klachtstroom.platform.consumer import EventHandler

CASE_EVENTS: tuple[type[case_events.CaseChange], ...] = (
    case_events.CaseOpened,
    case_events.CaseAssigned,
    case_events.CaseReferred,
    case_events.CaseAcknowledged,
    case_events.ProviderStatusReported,
    case_events.TermExtended,
    case_events.CaseSuspended,
    case_events.CaseResumed,
    case_events.EscalatedFormal,
    case_events.CaseResolved,
    case_events.CaseWithdrawn,
    case_events.CaseDeclined,
    case_events.CaseReopened,
)


def make_handlers(tracker: TermTracker) -> dict[type[Payload], EventHandler]:
    async def on_case_event(session: AsyncSession, envelope: Envelope, event: case_events.CaseChange) -> None:
        await tracker.record(session, event, envelope.id)

    return {model: on_case_event for model in CASE_EVENTS}
