"""Routing's consumers: received complaints become cases; terms from deadlines are kept with them.

Each handler runs inside the batch transaction of the platform consumer (inbox, rows and
outbox together) and is safe to run twice for the same fact.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.contracts.intake_events import ComplaintReceived, ComplaintsMerged, FeedbackGiven
from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.platform.consumer import BatchHandler, EventHandler, Run
from klachtstroom.routing.case.domain import OPEN_STATES, Merge
from klachtstroom.routing.casework.case_rows import case_of
from klachtstroom.routing.casework.deadline_terms import keep_terms
from klachtstroom.routing.casework.opening import open_many
from klachtstroom.routing.casework.work import CaseWork, system_event
from klachtstroom.routing.resident.feedback import on_feedback
from klachtstroom.routing.tables import CaseRow, DeadlineRow


def build_handlers(work: CaseWork) -> dict[type[Payload], EventHandler]:
    """Received complaints and terms are handled a run at a time (a consumed batch holds many);
    each event still applies in its order, with the same effect as one by one."""

    async def on_received(session: AsyncSession, run: Run) -> None:
        await open_many(work, session, run)

    async def on_terms(session: AsyncSession, run: Run) -> None:
        await keep_terms(session, run, work.now(), on_deadline_breached)

    async def on_merged(session: AsyncSession, _envelope: Envelope, event: ComplaintsMerged) -> None:
        await mark_merged(work, session, event)

    async def on_deadline_breached(
        session: AsyncSession, _envelope: Envelope, event: de.DeadlineBreached
    ) -> None:
        await deadline_state(work, session, event, DeadlineState.breached)
        if event.kind == DeadlineKind.provider_response:
            await provider_too_late(work, session, event)

    async def on_feedback_given(session: AsyncSession, envelope: Envelope, event: FeedbackGiven) -> None:
        await on_feedback(work, session, envelope, event)

    terms = BatchHandler(on_terms)
    return {
        ComplaintReceived: BatchHandler(on_received),
        ComplaintsMerged: on_merged,
        FeedbackGiven: on_feedback_given,
        de.DeadlineSet: terms,
        de.DeadlineMet: terms,
        de.DeadlineBreached: terms,
    }


async def deadline_state(
    work: CaseWork, session: AsyncSession, event: de.DeadlineMet | de.DeadlineBreached, state: DeadlineState
) -> None:
    row = await session.get(DeadlineRow, (event.case_id, event.kind.value))
    if row is None:
        row = DeadlineRow(
            case_id=event.case_id, kind=event.kind.value, start=event.due, extended_weeks=0, explanation=[]
        )
        session.add(row)
    row.due = event.due
    row.state = state.value
    if isinstance(event, de.DeadlineMet):
        row.met_on = event.met_on
    row.updated_at = work.now()
    await session.flush()


async def provider_too_late(work: CaseWork, session: AsyncSession, event: de.DeadlineBreached) -> None:
    """The provider did not respond in time: the coordinator takes a look (escalation)."""
    row = await session.get(CaseRow, event.case_id)
    if row is None:
        return
    case = case_of(row)
    if case.state not in OPEN_STATES:
        return
    entry = system_event(
        "escalation",
        event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
        {
            "kind": DeadlineKind.provider_response.value,
            "provider": case.provider,
            "due": event.due.isoformat(),
            "escalated_to": work.settings.default_handler_name,
            "flagged_for_coordinator": True,
        },
        reason=(
            f"De zorgaanbieder heeft niet gereageerd vóór {dutch_date(event.due)}. "
            "De klachtcoördinator bekijkt of de gemeente de klacht overneemt."
        ),
    )
    await work.note(session, row, entry, flag=True)


async def mark_merged(work: CaseWork, session: AsyncSession, event: ComplaintsMerged) -> None:
    merged = await session.get(CaseRow, event.merged_id)
    kept = await session.get(CaseRow, event.complaint_id)
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    if merged is not None and merged.merged_into is None:
        merged.merged_into = event.complaint_id
        if case_of(merged).state in OPEN_STATES:
            # The duplicate closes: state merged, its terms cancelled (deadlines), no messages.
            command = Merge(at=at, actor=event.actor, into=event.complaint_id)
            await work.transition(session, merged, command)
        else:
            await work.note(
                session,
                merged,
                system_event("merge", at, {"merged_into": event.complaint_id, "by": event.actor}),
            )
    if kept is not None:
        await work.note(
            session, kept, system_event("merge", at, {"merged": event.merged_id, "by": event.actor})
        )
