"""Events written by routing to `complaints.case.v1`: one per transition of a case.

Every fact a consumer needs is a named, typed field (no untyped `data` side channel whose keys
drift): `tests/test_contract_fields.py` fails when a consumer reads a field no model has.
Timestamps are timezone-aware; no free text travels here (see DESIGN.md "Personal data").
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload
from klachtstroom.contracts.vocabulary import (
    Achievement,
    CaseState,
    Category,
    Channel,
    DeclineGround,
    Handler,
    Kind,
    Norm,
    Outcome,
    ProviderStatus,
    Resolution,
)


class CaseChange(Payload):
    """Common fields of every case transition: who, when and why."""

    topic: ClassVar[str] = topics.CASE

    case_id: str
    state: CaseState
    previous_state: CaseState | None = None
    at: AwareDatetime
    actor: str = "system"
    reason: str | None = Field(default=None, description="only a decline's Awb 9:8 ground (no free text)")


class CaseOpened(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.opened.v1"

    reference: str
    received_at: AwareDatetime
    channel: Channel
    kind: Kind
    category: Category
    urgent: bool
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    handler: Handler
    handler_name: str | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    flagged_for_coordinator: bool = False
    formal: bool = False
    advisory_committee: bool = False
    # False when the complainant left no way to be reached (or asked for no contact): no contact
    # term to chase and no escalation mail about it (intake keeps the details themselves).
    complainant_reachable: bool = True


class CaseAssigned(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.assigned.v1"
    handler: Handler
    handler_name: str | None = None
    unit: str | None = None
    provider: str | None = None


class CaseReferred(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.referred.v1"
    provider: str
    response_working_days: int | None = Field(
        default=None, ge=1, description="the provider's agreed response time in working days"
    )


class CaseAcknowledged(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.acknowledged.v1"


class ProviderStatusReported(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.provider_status.v1"
    provider: str
    status: ProviderStatus
    outcome: Outcome | None = None
    resolution: Resolution | None = None
    has_measures: bool = Field(
        default=False, description="the provider described measures; the text stays in routing"
    )


class HearingHeld(CaseChange):
    """Awb 9:10: a hearing (its report may follow: `report_missing`) or the complainant's waiver."""

    event_type: ClassVar[str] = "nl.klachtstroom.case.hearing_held.v1"
    waived: bool = False
    report_missing: bool = False


class TermExtended(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.term_extended.v1"
    # Awb 9:11 lid 2: once at most 4 weeks; further or longer only with written consent.
    weeks: int = Field(ge=1, le=52)
    consent: bool = Field(default=False, description="the complainant consented in writing")


class CaseSuspended(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.suspended.v1"


class CaseResumed(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.resumed.v1"


class EscalatedFormal(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.escalated_formal.v1"
    advisory_committee: bool = False


class MediationStarted(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.mediation_started.v1"
    handler: Handler = Field(description="who mediates: the municipality, or the provider (Awb 9:5)")


class CaseResolved(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.resolved.v1"
    outcome: Outcome
    resolution: Resolution
    desired_outcome_achieved: Achievement | None = None
    norms: list[Norm] = Field(default_factory=list, description="behoorlijkheidsnormen the judgement names")


class CaseWithdrawn(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.withdrawn.v1"


class CaseDeclined(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.declined.v1"
    ground: DeclineGround


class CaseReopened(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.reopened.v1"


class CaseForwarded(CaseChange):
    """An objection, question or report handed on to its own procedure (`to`: a destination key
    such as 'objection' or 'kcc'). `keep_complaint`: a copy went; the complaint holds an objection
    too and is handled on as a complaint."""

    event_type: ClassVar[str] = "nl.klachtstroom.case.forwarded.v1"
    to: str
    destination: str = Field(default="", description="the destination's name, as the resident reads it")
    keep_complaint: bool = False
    kind: Kind = Kind.complaint


class CaseMerged(CaseChange):
    """A duplicate merged into another complaint (`into`, kept): no terms, no messages, not open."""

    event_type: ClassVar[str] = "nl.klachtstroom.case.merged.v1"
    into: str


class OmbudsmanReferred(CaseChange):
    event_type: ClassVar[str] = "nl.klachtstroom.case.ombudsman_referred.v1"


class OmbudsmanOutcomeRecorded(CaseChange):
    """What the ombudsman concluded after a referral; the recommendations' text stays in routing."""

    event_type: ClassVar[str] = "nl.klachtstroom.case.ombudsman_outcome.v1"
    ombudsman_outcome: Outcome
    recommendations: int = Field(default=0, ge=0, description="how many recommendations were made")
    norms: list[Norm] = Field(default_factory=list)
