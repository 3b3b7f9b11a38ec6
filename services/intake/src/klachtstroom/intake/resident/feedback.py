"""The resident's answer after closing: a mark 1-10 and "voelde u zich gehoord?", once.

A poor answer (5 or lower, or not heard) asks for a follow-up call by the coordinator: the
event says so (routing flags the case, reporting counts it); the remark stays here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from klachtstroom.contracts.intake_events import FeedbackGiven
from klachtstroom.intake.http.status import public_status
from klachtstroom.intake.resident.progress import CLOSED
from klachtstroom.intake.store import Complaint, Feedback
from klachtstroom.platform.service import Service

POOR_SCORE = 5  # DESIGN.md: a score of 5 or lower, or not heard, asks for a follow-up call

NOT_CLOSED = (
    "U kunt pas een cijfer geven als uw klacht is afgehandeld. "
    "Daarna vragen we u wat u van de behandeling vond."
)
ALREADY = "U heeft al een cijfer gegeven voor deze klacht. Dank u wel. U kunt dit maar één keer doen."


class FeedbackRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Given:
    score: int
    heard: bool
    at: datetime


def needs_follow_up(score: int, heard: bool) -> bool:
    return score <= POOR_SCORE or not heard


async def record_feedback(
    service: Service, complaint_id: str, score: int, heard: bool, comment: str | None
) -> Given:
    now = service.clock.now()
    try:
        async with service.db.transaction() as session:
            complaint = await session.get(Complaint, complaint_id)
            if complaint is None or public_status(complaint).status not in CLOSED:
                raise FeedbackRefused(NOT_CLOSED)
            if await session.get(Feedback, complaint_id) is not None:
                raise FeedbackRefused(ALREADY)
            session.add(
                Feedback(complaint_id=complaint_id, score=score, heard=heard, comment=comment, at=now)
            )
            await session.flush()
            await service.outbox.add(
                session,
                FeedbackGiven(
                    complaint_id=complaint_id,
                    score=score,
                    heard=heard,
                    follow_up=needs_follow_up(score, heard),
                    has_comment=bool(comment),
                    at=now,
                ),
                subject=complaint_id,
            )
    except IntegrityError:
        raise FeedbackRefused(ALREADY) from None  # two answers at the same moment: the first counts
    service.outbox.notify()
    return Given(score, heard, now)
