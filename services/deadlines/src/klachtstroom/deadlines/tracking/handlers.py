"""Case events in (topic complaints.case.v1) -> facts -> terms, timers and deadline events out.

One batch of events is one transaction (the platform's consumer); each event adds its facts to
its case and recomputes that case's terms (tracker.py). A fact the term rules refuse is kept
aside on the case with its reason; it never stops the consumer.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events
from klachtstroom.contracts.envelope import Payload
from klachtstroom.deadlines.tracking.batches import record_run
from klachtstroom.deadlines.tracking.tracker import TermTracker
from klachtstroom.platform.consumer import BatchHandler, EventHandler, Run

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
    case_events.CaseForwarded,  # not a complaint: its terms are cancelled
    case_events.CaseMerged,  # a duplicate: its terms are cancelled
)


def make_handlers(tracker: TermTracker) -> dict[type[Payload], EventHandler]:
    """All case events are handled a run at a time (batches.py): new cases are opened with a few
    statements, every other event one by one in its order, with the same outcome."""

    async def on_case_events(session: AsyncSession, run: Run) -> None:
        await record_run(tracker, session, run)

    handler = BatchHandler(on_case_events)
    return {model: handler for model in CASE_EVENTS}
