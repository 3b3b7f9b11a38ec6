"""A resident who gave a poor answer after closing (5 or lower, or did not feel heard) gets a call
from the coordinator: the case is flagged `follow_up_call` with a Dutch text. The resident's
remark stays in intake; the coordinator reads it there."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.envelope import Envelope
from klachtstroom.contracts.intake_events import FeedbackGiven
from klachtstroom.routing.casework.work import CaseWork, system_event
from klachtstroom.routing.tables import CaseFlagRow, CaseRow

FOLLOW_UP_CALL = "follow_up_call"


def follow_up_text(event: FeedbackGiven) -> str:
    heard = "voelde zich gehoord" if event.heard else "voelde zich niet gehoord"
    return (
        f"Slechte beoordeling van de klachtbehandeling: cijfer {event.score}, {heard}. "
        "Bel de inwoner terug om te horen wat er beter kan."
    )


async def on_feedback(
    work: CaseWork, session: AsyncSession, _envelope: Envelope, event: FeedbackGiven
) -> None:
    row = await session.get(CaseRow, event.complaint_id)
    if row is None:
        return
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    data: dict[str, object] = {"score": event.score, "heard": event.heard, "follow_up": event.follow_up}
    if event.follow_up:
        session.add(CaseFlagRow(case_id=row.id, kind=FOLLOW_UP_CALL, text=follow_up_text(event), at=at))
    await work.note(
        session, row, system_event("feedback", at, data), flag=event.follow_up  # type: ignore[arg-type]
    )
