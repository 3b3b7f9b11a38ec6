"""Events written by deadlines to `complaints.deadline.v1`."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState


class DeadlinePayload(Payload):
    topic: ClassVar[str] = topics.DEADLINE

    case_id: str
    kind: DeadlineKind
    due: date
    at: AwareDatetime


class DeadlineSet(DeadlinePayload):
    """A term was set or recomputed (extension, suspension, calendar change)."""

    event_type: ClassVar[str] = "nl.klachtstroom.deadline.set.v1"
    start: date
    unmoved_due: date
    state: DeadlineState
    extended_weeks: int = 0
    explanation: list[str] = Field(default_factory=list)


class DeadlineWarning(DeadlinePayload):
    event_type: ClassVar[str] = "nl.klachtstroom.deadline.warning.v1"
    working_days_left: int
    recipient: str | None = None


class DeadlineBreached(DeadlinePayload):
    event_type: ClassVar[str] = "nl.klachtstroom.deadline.breached.v1"
    handler: str | None = None
    provider: str | None = None


class DeadlineEscalated(DeadlinePayload):
    event_type: ClassVar[str] = "nl.klachtstroom.deadline.escalated.v1"
    level: str = Field(description="handler, coordinator, manager or college")
    recipient: str | None = None


class DeadlineMet(DeadlinePayload):
    event_type: ClassVar[str] = "nl.klachtstroom.deadline.met.v1"
    met_on: date
