"""CaseRecord: the projected row of one complaint, as stored, and its `CaseFacts` for reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.reports.facts import CLOSED_STATES, CaseFacts


@dataclass
class CaseRecord:
    """The projected row of one complaint; complete once its receipt is known."""

    id: str
    reference: str | None = None
    received_on: date | None = None
    channel: Channel | None = None
    kind: Kind | None = None
    category: Category | None = None
    urgent: bool = False
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    handler: Handler = Handler.municipality
    state: str | None = None
    resolution: Resolution | None = None
    outcome: Outcome | None = None
    resolved_on: date | None = None
    decision_due: date | None = None
    contact_due: date | None = None
    acknowledged_on: date | None = None
    ombudsman: bool = False
    mediated_with_partner: bool = False
    decision_state: str | None = None
    contact_state: str | None = None
    merged_into: str | None = None
    imported: bool = False
    urgent_reasons: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return None not in (self.reference, self.received_on, self.channel, self.kind, self.category)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    def facts(self) -> CaseFacts | None:
        """The row as reports see it; None while incomplete or after a merge into another."""
        if not self.complete or self.merged_into is not None:
            return None
        assert self.reference and self.received_on and self.channel and self.kind and self.category
        return CaseFacts(
            id=self.id,
            reference=self.reference,
            received_on=self.received_on,
            channel=self.channel,
            kind=self.kind,
            category=self.category,
            urgent=self.urgent,
            municipality=self.municipality,
            unit=self.unit,
            provider=self.provider,
            handler=self.handler,
            state=self.state or "received",
            resolution=self.resolution,
            outcome=self.outcome,
            resolved_on=self.resolved_on,
            decision_due=self.decision_due,
            contact_due=self.contact_due,
            acknowledged_on=self.acknowledged_on,
            ombudsman=self.ombudsman,
            mediated_with_partner=self.mediated_with_partner,
        )
