"""Working a case: one command in, the new state, its history entry and its event out, in ONE
transaction (the case row, `case_history`, the outbox and any queued outbound call).

Concurrency: the case row carries a version; when two actions race, the later flush finds
a different version (StaleDataError), its transaction rolls back and the action is tried
again on the fresh case, where the state machine decides anew (often: 409).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from klachtstroom.platform.service import Service
from klachtstroom.routing.case.domain import (
    Assign,
    Case,
    CaseEvent,
    Command,
    Escalate,
    JsonValue,
    TakeOver,
    TransitionForbidden,
)
from klachtstroom.routing.case.events import case_event_payload
from klachtstroom.routing.case.lifecycle import apply
from klachtstroom.routing.casework.case_rows import append_history, case_of, load_row, store_case
from klachtstroom.routing.casework.complaint_text import fetch_complaint_text
from klachtstroom.routing.settings import RoutingSettings
from klachtstroom.routing.tables import CaseRow

log = logging.getLogger(__name__)

RETRIES = 5


@dataclass(frozen=True)
class Transition:
    row: CaseRow
    before: Case
    case: Case
    event: CaseEvent
    quiet: bool = False  # replaying an imported register: no webhooks, no outbound calls


TransitionHook = Callable[[AsyncSession, Transition], Awaitable[None]]
# Called when a case opens, with the case and its reference (the row may be one of many
# inserted at once, so a hook gets what it needs to read, not the row to change).
OpenHook = Callable[[AsyncSession, Case, str], Awaitable[None]]
EventData = Callable[[AsyncSession, Transition], Awaitable[dict[str, JsonValue]]]

ROUTING_ACTOR = "routering"
MANUAL_ROUTING = frozenset({"assign", "refer", "take_over"})
CHOOSES_HANDLER = (Assign, TakeOver, Escalate)  # commands that Awb 9:7 checks


CONCURRENT_CHANGE = "De klacht werd tegelijk door iemand anders gewijzigd. Probeer het opnieuw."


class CaseWork:
    def __init__(self, service: Service, settings: RoutingSettings) -> None:
        self.service = service
        self.settings = settings
        self.on_transition: list[TransitionHook] = []
        self.on_open: list[OpenHook] = []
        self.event_data: list[EventData] = []  # extra, non-personal data for the case event

    def now(self) -> datetime:
        moment: datetime = self.service.clock.now()
        return moment

    async def execute(
        self,
        case_id: str,
        command: Command,
        *,
        alongside: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> Transition:
        """An action from the API in its own transaction, retried when another action raced it.

        `alongside` writes more rows in the same transaction (e.g. the `webhook-id` of the
        provider's report that caused the action, so a repeat has no second effect).
        """
        for _attempt in range(RETRIES):
            try:
                async with self.service.db.transaction() as session:
                    if alongside is not None:
                        await alongside(session)
                    row = await load_row(session, case_id)
                    done = await self.transition(session, row, command)
                self.service.outbox.notify()
                return done
            except StaleDataError:
                log.info("case changed concurrently; trying the action again")
        raise TransitionForbidden(CONCURRENT_CHANGE)  # 409: the case kept changing under this action

    async def transition(
        self, session: AsyncSession, row: CaseRow, command: Command, *, quiet: bool = False
    ) -> Transition:
        before = case_of(row)
        if before.names_employee and not quiet and isinstance(command, CHOOSES_HANDLER):
            # Awb 9:7: the check needs the name of the employee complained about; intake keeps it.
            text = await fetch_complaint_text(self.service.peers, before.id)  # ComplaintTextUnavailable
            before = replace(before, about_employee=text.about_employee)
        case, event = apply(before, command)  # raises TransitionForbidden / InvalidCommand: nothing written
        return await self.record(session, row, before, case, event, quiet=quiet)

    async def record(
        self,
        session: AsyncSession,
        row: CaseRow,
        before: Case,
        case: Case,
        event: CaseEvent,
        *,
        quiet: bool = False,
    ) -> Transition:
        """Store an applied transition: row (version-checked), history, outbox, hooks."""
        now = self.now()
        store_case(row, replace(case, history=()), now, event)
        await session.flush()  # the version check: StaleDataError when another action won
        await append_history(session, case.id, event, now)
        done = Transition(row, before, case, event, quiet)
        more: dict[str, JsonValue] = {}
        for add in self.event_data:
            more |= await add(session, done)
        if done.event.action in MANUAL_ROUTING and not event.actor.startswith(ROUTING_ACTOR):
            row.flagged = False  # a person routed it: the coordinator's flag is dealt with
        payload = case_event_payload(before.state, case, event, more)
        await self.service.outbox.add(session, payload, subject=case.id)
        for hook in self.on_transition:
            await hook(session, done)
        return done

    async def note(
        self, session: AsyncSession, row: CaseRow, event: CaseEvent, *, flag: bool = False
    ) -> None:
        """A history entry that is not a lifecycle transition (merge, escalation of a provider)."""
        if flag:
            row.flagged = True
        row.updated_at = self.now()
        await session.flush()
        await append_history(session, row.id, event, self.now())


def system_event(
    action: str, at: datetime, data: dict[str, JsonValue], *, reason: str | None = None
) -> CaseEvent:
    """A history entry written by routing itself; it has no event on the case topic."""
    return CaseEvent(action=action, event_type="", at=at, actor="systeem", reason=reason, data=data)
