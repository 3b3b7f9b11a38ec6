"""Routing's consumers: received complaints become cases; terms from deadlines are kept with them.

Each handler runs inside the batch transaction of the platform consumer (inbox, rows and
outbox together) and is safe to run twice for the same fact.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.contracts.intake_events import ComplaintReceived, ComplaintsMerged
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.platform.consumer import EventHandler
from klachtstroom.routing.casework import CaseWork, system_event
from klachtstroom.routing.domain import OPEN_STATES
from klachtstroom.routing.lifecycle import with_decision_due
from klachtstroom.routing.opening import open_from_complaint
from klachtstroom.routing.repository import case_of, store_case
from klachtstroom.routing.store import CaseRow, DeadlineRow


def build_handlers(work: CaseWork) -> dict[type[Payload], EventHandler]:
    async def on_received(session: AsyncSession, _envelope: Envelope, event: ComplaintReceived) -> None:
        await open_from_complaint(work, session, event)

    async def on_merged(session: AsyncSession, _envelope: Envelope, event: ComplaintsMerged) -> None:
        await mark_merged(work, session, event)

    async def on_deadline_set(session: AsyncSession, _envelope: Envelope, event: de.DeadlineSet) -> None:
        await keep_deadline(work, session, event)

    async def on_deadline_met(session: AsyncSession, _envelope: Envelope, event: de.DeadlineMet) -> None:
        await deadline_state(work, session, event, DeadlineState.met)

    async def on_deadline_breached(
        session: AsyncSession, _envelope: Envelope, event: de.DeadlineBreached
    ) -> None:
        await deadline_state(work, session, event, DeadlineState.breached)
        if event.kind == DeadlineKind.provider_response:
            await provider_too_late(work, session, event)

    return {
        ComplaintReceived: on_received,
        ComplaintsMerged: on_merged,
        de.DeadlineSet: on_deadline_set,
        de.DeadlineMet: on_deadline_met,
        de.DeadlineBreached: on_deadline_breached,
    }


async def keep_deadline(work: CaseWork, session: AsyncSession, event: de.DeadlineSet) -> None:
    row = await session.get(DeadlineRow, (event.case_id, event.kind.value))
    if row is None:
        row = DeadlineRow(case_id=event.case_id, kind=event.kind.value)
        session.add(row)
    row.start = event.start
    row.due = event.due
    row.unmoved_due = event.unmoved_due
    row.state = event.state.value
    row.extended_weeks = event.extended_weeks
    row.explanation = list(event.explanation)
    row.updated_at = work.now()
    await session.flush()
    if event.kind == DeadlineKind.decision:
        case_row = await session.get(CaseRow, event.case_id)
        if case_row is not None:
            # The due date as the deadlines service computed it (Termijnenwet); an extension
            # before this date is allowed (Awb 9:11 lid 2).
            store_case(case_row, with_decision_due(case_of(case_row), event.due), work.now())
            await session.flush()


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
            f"De zorgaanbieder heeft niet gereageerd vóór {event.due:%d-%m-%Y}. "
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
        await work.note(
            session,
            merged,
            system_event("merge", at, {"merged_into": event.complaint_id, "by": event.actor}),
        )
    if kept is not None:
        await work.note(
            session, kept, system_event("merge", at, {"merged": event.merged_id, "by": event.actor})
        )
