"""Intake listens to the case and deadline topics to keep what a complainant sees up to date."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events, deadline_events
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.intake.http.status import CASE_STATE_TO_STATUS
from klachtstroom.intake.resident.follow import Follower
from klachtstroom.intake.store import Complaint
from klachtstroom.platform.consumer import EventHandler


async def on_case_changed(session: AsyncSession, _envelope: Envelope, event: case_events.CaseChange) -> None:
    values: dict[str, object] = {
        "status": CASE_STATE_TO_STATUS.get(event.state, "in_handling"),
        "status_at": event.at.astimezone(UTC),  # the moment of the transition
    }
    outcome = getattr(event, "outcome", None)
    if outcome is not None:
        values["outcome"] = outcome.value
    await session.execute(update(Complaint).where(Complaint.id == event.case_id).values(**values))


CASE_EVENTS: tuple[type[case_events.CaseChange], ...] = (
    case_events.CaseOpened,
    case_events.CaseAssigned,
    case_events.CaseReferred,
    case_events.CaseAcknowledged,
    case_events.HearingHeld,
    case_events.TermExtended,
    case_events.EscalatedFormal,
    case_events.MediationStarted,
    case_events.CaseSuspended,
    case_events.CaseResumed,
    case_events.CaseResolved,
    case_events.CaseWithdrawn,
    case_events.CaseDeclined,
    case_events.CaseReopened,
    case_events.OmbudsmanReferred,
    case_events.CaseForwarded,
    case_events.CaseMerged,
)

# Events that do not move the status a resident sees, but do matter to them.
STATUS_NEUTRAL = (case_events.HearingHeld, case_events.TermExtended)


def build_handlers(follower: Follower) -> dict[type[Payload], EventHandler]:
    async def on_case(session: AsyncSession, envelope: Envelope, event: case_events.CaseChange) -> None:
        if not isinstance(event, STATUS_NEUTRAL):
            await on_case_changed(session, envelope, event)
        await follower.on_case(session, envelope, event)

    handlers: dict[type[Payload], EventHandler] = {model: on_case for model in CASE_EVENTS}
    handlers[deadline_events.DeadlineSet] = follower.on_deadline
    return handlers
