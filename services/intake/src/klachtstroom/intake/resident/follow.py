"""Following a complaint for its resident: routing's case events and deadlines' terms become the
timeline of the status page and, where the resident should know, a queued message.

Runs inside the consumer's batch transaction (inbox, rows and messages together), so every
message is queued exactly once per change. A complaint without progress row (an imported
register, or registered before this existed) is left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts.envelope import Envelope
from klachtstroom.contracts.vocabulary import DeadlineKind
from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident.messages import compose, queue
from klachtstroom.intake.resident.progress import (
    UPDATE_TEXT,
    extension_update,
    handler_role,
    handler_update,
    outcome_update,
)
from klachtstroom.intake.store import Complaint, ResidentProgress, ResidentUpdate


def forwarded_next_step(kind: str, *, keep_complaint: bool) -> str:
    """What happens after forwarding, in B1: per kind of message."""
    if keep_complaint:
        return (
            "Daar behandelen ze het deel van uw bericht dat een bezwaar is.\n"
            "Uw klacht behandelen wij gewoon verder als klacht."
        )
    if kind == "objection":
        return (
            "Daar behandelen ze uw bezwaar volgens de bezwaarprocedure.\n"
            "Zij laten u weten wanneer u een beslissing krijgt."
        )
    return "Daar geven ze antwoord op uw vraag. Meestal hoort u binnen 5 werkdagen van hen."


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Follower:
    def __init__(self, vault: Vault, show_names: bool, organisation: str = "de gemeente") -> None:
        self.vault = vault
        self.show_names = show_names
        self.organisation = organisation

    def role(self, progress: ResidentProgress) -> str:
        return handler_role(
            progress.handler_kind, progress.unit, progress.provider, progress.handler_name,
            show_name=self.show_names,
        )  # fmt: skip

    async def on_case(self, session: AsyncSession, _envelope: Envelope, event: ce.CaseChange) -> None:
        now = datetime.now(UTC)
        if isinstance(event, ce.CaseOpened):
            # Every complaint's first case event, so one UPDATE and no rows loaded (a complaint
            # without progress row matches none). The identity map is kept in step ("auto").
            await session.execute(
                update(ResidentProgress)
                .where(ResidentProgress.complaint_id == event.case_id)
                .values(
                    handler_kind=event.handler.value,
                    unit=event.unit,
                    provider=event.provider,
                    handler_name=event.handler_name,
                    updated_at=now,
                )
            )
            return
        progress = await session.get(ResidentProgress, event.case_id)
        complaint = await session.get(Complaint, event.case_id)
        if progress is None or complaint is None:
            return
        at = _aware(event.at)
        progress.updated_at = now

        async def tell(text: str) -> None:
            session.add(ResidentUpdate(complaint_id=complaint.id, at=at, text=text))
            await session.flush()

        async def send(kind: str) -> None:
            await queue(session, self.vault, complaint, kind, now)

        if isinstance(event, ce.CaseAssigned | ce.CaseReferred):
            before = self.role(progress)
            if isinstance(event, ce.CaseAssigned):
                progress.handler_kind = event.handler.value
                progress.unit, progress.provider = event.unit, event.provider
                progress.handler_name = event.handler_name
            else:
                progress.handler_kind, progress.provider = "provider", event.provider
                progress.handler_name = None
            after = self.role(progress)
            if after != before:  # Heerenveen: inform clients when their contact person changes
                await tell(handler_update(after))
                await send("handler_changed")
        elif isinstance(event, ce.TermExtended):
            progress.extended_weeks += event.weeks
            progress.extension_reason = None  # fetched from routing when the message is written
            await tell(extension_update(event.weeks))
            await send("extension")
        elif isinstance(event, ce.CaseSuspended):
            progress.suspended_reason = None
            await tell(UPDATE_TEXT["suspended"])
            await send("suspension")
        elif isinstance(event, ce.CaseForwarded):
            destination = event.destination or event.to
            await tell(f"We hebben uw bericht doorgestuurd naar {destination}.")
            if not event.keep_complaint:
                progress.closed_at = at
            context = {
                "organisation": self.organisation,
                "reference": complaint.reference,
                "destination": destination,
                "what_next": forwarded_next_step(event.kind.value, keep_complaint=event.keep_complaint),
            }
            subject, body = await compose(session, "forwarded", context)
            await queue(session, self.vault, complaint, "forwarded", now, subject=subject, body=body)
        elif isinstance(event, ce.CaseResolved):
            progress.resolution = event.resolution.value
            progress.closed_at = at
            await tell(outcome_update(event.outcome.value))
            await send("outcome")
        else:
            if isinstance(event, ce.CaseResumed):
                progress.suspended_reason = None
            if isinstance(event, ce.CaseReopened):
                progress.closed_at = None
            text = UPDATE_TEXT.get(event.event_type.split(".")[-2])
            if text:
                await tell(text)
            if isinstance(event, ce.CaseDeclined | ce.CaseWithdrawn):
                progress.closed_at = at
        await session.flush()

    async def on_deadline(self, session: AsyncSession, _envelope: Envelope, event: de.DeadlineSet) -> None:
        if event.kind != DeadlineKind.decision:
            return
        # One UPDATE per decision term (each complaint has one or more): nothing loaded.
        await session.execute(
            update(ResidentProgress)
            .where(ResidentProgress.complaint_id == event.case_id)
            .values(
                decision_due=event.due,
                deadline_extended_weeks=event.extended_weeks,
                updated_at=datetime.now(UTC),
            )
        )
