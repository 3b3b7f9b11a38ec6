"""Events written by intake to `complaints.intake.v1`.

No personal data and no free text travel here (DESIGN.md "Personal data"): the complainant is
an opaque id; name, address, phone, e-mail, BSN, the description, the employee complained about
and the KCC's hand-over note stay in intake's own database. A service that needs such a text
asks intake's API for it when it needs it (claim check: `GET /api/v1/complaints/{id}`).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution


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
