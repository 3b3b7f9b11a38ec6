"""CaseFacts: the reporting projection of one complaint, and the per-case judgements reports share.

A `CaseFacts` row is built from the Kafka events of one complaint (intake, routing, deadlines):
the one type of a projected case. The fold makes it (projection/fold.py), the projection stores
it and reads it back (projection/queries.py), and reports, signals and the dashboard read it.
Every report in this package is a pure function of a set of these rows, so replaying the
topics gives the same rows and therefore the same report (DESIGN: "Replaying the same events
gives the same state and the same report").

The judgements below (is a case closed, was it decided within its term, was there contact in
time) live here once, so the annual report, the provider report, the open data register and
the trend signals can never disagree about a single case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from klachtstroom.contracts.vocabulary import (
    CLOSED_CASE_STATES,
    OPEN_CASE_STATES,
    CaseState,
    Category,
    Channel,
    Handler,
    Kind,
    Outcome,
    Resolution,
)

# Case states are the vocabulary's (contracts). Reports count a case closed once it was decided;
# "ombudsman": the complainant went to the ombudsman after our decision (Awb 9:12 names that
# next step), so for our own term the case is closed by that earlier decision; so is a case
# forwarded (no complaint) or merged into another (it leaves the reports through `merged_into`).
OPEN_STATES: frozenset[str] = OPEN_CASE_STATES
CLOSED_STATES: frozenset[str] = CLOSED_CASE_STATES
CASE_STATES: frozenset[str] = OPEN_STATES | CLOSED_STATES

# Key used in tables for a case without a unit, municipality or provider. An English
# identifier like the vocabulary values; renderers show it as "Onbekend".
UNKNOWN = "unknown"

TermStatus = Literal["within", "late", "open"]
ContactStatus = Literal["within", "late"]


@dataclass(slots=True)
class CaseFacts:
    """One complaint (or other registration) as the reports see it. No personal data.

    Filled in by the fold, one event at a time (projection/fold.py); nothing changes it afterwards.
    Not frozen for that reason alone: a frozen copy per event made the rebuild twice as slow.
    """

    id: str
    reference: str
    received_on: date
    channel: Channel
    kind: Kind
    category: Category
    urgent: bool
    municipality: str | None
    unit: str | None
    provider: str | None
    handler: Handler
    state: str
    resolution: Resolution | None = None
    outcome: Outcome | None = None
    resolved_on: date | None = None  # decision date: resolve, decline or withdraw
    decision_due: date | None = None  # final due date of the decision term, extension included
    contact_due: date | None = None  # personal contact within 5 working days (practice, Awb 9:6)
    acknowledged_on: date | None = None
    ombudsman: bool = False
    mediated_with_partner: bool = False  # informal handling together with a provider (Awb 9:5)
    # The projection's own fields: what signals and the dashboard need beyond the reports.
    decision_state: str | None = None  # the deadline service's state of the decision term
    contact_state: str | None = None  # ... and of the contact term
    merged_into: str | None = None  # merged into that complaint: not in reports or signals
    imported: bool = False  # a register row imported from another system: no urgent signal
    urgent_reasons: tuple[str, ...] = ()  # why it is urgent (projection/urgency.py), in order

    def __post_init__(self) -> None:
        # A projection bug should fail loudly here, not turn into a silently wrong report.
        if self.state not in CASE_STATES:
            raise ValueError(f"unknown case state {self.state!r}")

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES


def effective_outcome(fact: CaseFacts) -> Outcome | None:
    """The outcome a report counts for this case, or None while it has none.

    Only closed cases have an outcome: a reopened case's earlier verdict no longer stands.
    A decline or withdrawal without an explicit outcome still has an obvious one.
    """
    if not fact.is_closed:
        return None
    if fact.outcome is not None:
        return fact.outcome
    if fact.state == CaseState.declined:
        return Outcome.inadmissible  # Awb 9:8: niet in behandeling genomen
    if fact.state == CaseState.withdrawn:
        return Outcome.withdrawn
    return None


def effective_resolution(fact: CaseFacts) -> Resolution | None:
    """Informal or formal, counted for closed cases only (how the case *was* handled)."""
    return fact.resolution if fact.is_closed else None


def term_status(fact: CaseFacts) -> TermStatus:
    """Within, late or open for the decision term (DESIGN: 'within_term' in reports).

    Closed cases are judged by their decision date against the final due date, extension
    included (Awb 9:11). Every open case is 'open', whatever its due date. A closed case
    without a due date or without a decision date counts as within: a report never calls a
    case late without the dates that prove it.
    """
    if not fact.is_closed:
        return "open"
    if fact.decision_due is None or fact.resolved_on is None:
        return "within"
    return "within" if fact.resolved_on <= fact.decision_due else "late"


def contact_status(fact: CaseFacts, as_of: date) -> ContactStatus | None:
    """Was there personal contact within 5 working days? None when it cannot be said yet.

    The contact date is the acknowledgement, or else the decision itself (a case settled in a
    phone call on day two had its contact). Without either, the case is late once its contact
    due date lies before `as_of`, and still pending (None) before that, so a report computed
    as of a fixed date is reproducible. Cases without a contact term count nowhere.
    """
    if fact.contact_due is None:
        return None
    known = [d for d in (fact.acknowledged_on, fact.resolved_on) if d is not None]
    if known:
        contact_on = min(known)
        return "within" if contact_on <= fact.contact_due else "late"
    return "late" if fact.contact_due < as_of else None
