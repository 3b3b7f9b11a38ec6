"""Events written by intake to `complaints.intake.v1`.

No personal data and no free text travel here (DESIGN.md "Personal data"): the complainant is
an opaque id; name, address, phone, e-mail, BSN, the description, the employee complained about
and the KCC's hand-over note stay in intake's own database. A service that needs such a text
asks intake's API for it when it needs it (claim check: `GET /api/v1/complaints/{id}`).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field, field_validator

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.vocabulary import (
    CaseState,
    Category,
    Channel,
    DeclineGround,
    Handler,
    Kind,
    Outcome,
    Resolution,
)


class TriageVerdict(Payload):
    kind: Kind
    category: Category
    urgent: bool
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)
    check: bool = Field(
        default=False,
        description="confidence below the triage's threshold: a person checks the classification",
    )


class ImportedHistory(Payload):
    """What a bulk import of an existing register knows about a complaint handled before."""

    state: str | None = None
    outcome: Outcome | None = None
    resolution: Resolution | None = None
    handler: Handler | None = None
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    ombudsman: bool = False
    closed_as: CaseState | None = Field(
        default=None,
        description="how the register closed it (resolved, declined or withdrawn), decided by intake "
        "with closing_state(); absent in events from before this field: derived the same way",
    )

    @field_validator("closed_as")
    @classmethod
    def _a_closing_state(cls, value: CaseState | None) -> CaseState | None:
        if value not in (None, CaseState.resolved, CaseState.declined, CaseState.withdrawn):
            raise ValueError("closed_as is resolved, declined or withdrawn")
        return value

    # What the register's row means is decided here, once: intake shows it as the complaint's
    # status, routing replays it as case events, and reporting folds routing's events.

    def closing_state(self) -> CaseState | None:
        """How the complaint was closed (resolved, declined or withdrawn), None if still open.

        `state` is what the register recorded ("resolved", "declined:<9:8 ground>", "ombudsman");
        without a usable one, the outcome and the date of handling decide: withdrawn or
        inadmissible closes it, any other outcome only with the date it was handled.
        """
        if self.closed_as is not None:
            return self.closed_as
        named = (self.state or "").split(":", 1)[0].strip().lower()
        if named == CaseState.ombudsman:
            return CaseState.declined if self.outcome == Outcome.inadmissible else CaseState.resolved
        if named in {CaseState.resolved, CaseState.declined, CaseState.withdrawn}:
            return CaseState(named)
        if self.outcome == Outcome.withdrawn:
            return CaseState.withdrawn
        if self.outcome == Outcome.inadmissible:
            return CaseState.declined
        if self.resolved_at is not None:  # a judgement without a date of handling stays open
            return CaseState.resolved
        return None

    def went_to_ombudsman(self) -> bool:
        """The closed complaint was taken to the ombudsman afterwards (second line)."""
        named = (self.state or "").split(":", 1)[0].strip().lower()
        return self.closing_state() is not None and (self.ombudsman or named == CaseState.ombudsman)

    def final_state(self) -> CaseState | None:
        """The state the case ends in once its history is replayed; None if it is still open."""
        return CaseState.ombudsman if self.went_to_ombudsman() else self.closing_state()

    def decline_ground(self) -> DeclineGround | None:
        """The Awb 9:8 ground the register names ("declined:<ground>"), if it names one."""
        named = (self.state or "").rsplit(":", 1)[-1].strip().lower()
        return DeclineGround(named) if named in {g.value for g in DeclineGround} else None


class ComplaintReceived(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.complaint.received.v1"
    topic: ClassVar[str] = topics.INTAKE

    complaint_id: str
    reference: str
    channel: Channel
    received_at: AwareDatetime
    complainant_id: str
    complainant_reachable: bool = Field(description="contact details are known (kept in intake)")
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    names_employee: bool = Field(
        default=False, description="it names an employee (Awb 9:7); the name stays in intake"
    )
    kind: Kind
    category: Category
    urgent: bool
    formal: bool = False
    triage: TriageVerdict | None = None
    kind_given: bool = Field(default=False, description="kind was given by a person, not triage")
    category_given: bool = False
    urgent_given: bool = False
    attachments: int = 0
    in_reply_to: str | None = None
    imported: ImportedHistory | None = None
    desired_outcome_given: bool = Field(
        default=False, description="the complainant said what they want to achieve (text kept in intake)"
    )
    provider_may_contact: bool = Field(
        default=False,
        description="the complainant agreed that the provider may contact them (details kept in intake)",
    )


class ComplaintTriaged(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.complaint.triaged.v1"
    topic: ClassVar[str] = topics.INTAKE

    complaint_id: str
    kind: Kind
    category: Category
    urgent: bool
    confidence: float
    reasons: list[str] = Field(default_factory=list)
    overridden_by: str | None = None
    at: AwareDatetime


class DuplicateSuspected(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.complaint.duplicate_suspected.v1"
    topic: ClassVar[str] = topics.INTAKE

    complaint_id: str
    duplicate_of: str
    score: float
    reasons: list[str] = Field(default_factory=list)
    at: AwareDatetime


class ComplaintsMerged(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.complaint.merged.v1"
    topic: ClassVar[str] = topics.INTAKE

    complaint_id: str = Field(description="the complaint that is kept")
    merged_id: str = Field(description="the complaint merged into it")
    actor: str
    at: AwareDatetime


class FeedbackGiven(Payload):
    """The resident answered the question after closing: a mark and whether they felt heard.

    The optional remark is free text written by the resident: it stays in intake.
    """

    event_type: ClassVar[str] = "nl.klachtstroom.complaint.feedback_given.v1"
    topic: ClassVar[str] = topics.INTAKE

    complaint_id: str
    score: int = Field(ge=1, le=10)
    heard: bool
    follow_up: bool = Field(description="a poor answer (5 or lower, or not heard): call the resident")
    has_comment: bool = False
    at: AwareDatetime
