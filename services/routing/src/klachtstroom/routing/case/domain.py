"""The case as pure data: states, the Case record, commands, history events, errors, and the
state machine itself as a table (`TRANSITIONS`: per action, from-state -> to-state).

No I/O lives here. What each transition changes, and its guards, are in `lifecycle.py`
(`apply`); the routing rules are in `rules/ruleset.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from klachtstroom.contracts.vocabulary import (
    CASE_STATE_LABELS,
    CLOSED_CASE_STATES,
    OPEN_CASE_STATES,
    Category,
    Channel,
    DeclineGround,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.contracts.vocabulary import (
    CaseState as CaseState,  # re-exported: routing's modules import it from here
)
from klachtstroom.contracts.vocabulary import (
    ProviderStatus as ProviderStatus,
)

_TIMEZONE = ZoneInfo("Europe/Amsterdam")  # terms run on the Dutch calendar date

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


# Case states and provider statuses are the shared vocabulary's (contracts): one definition.
OPEN_STATES: frozenset[CaseState] = OPEN_CASE_STATES
CLOSED_STATES: frozenset[CaseState] = CLOSED_CASE_STATES
# States in which somebody is actively working the case (everything open but paused).
ACTIVE_STATES: frozenset[CaseState] = OPEN_STATES - {CaseState.suspended}


class TransitionForbidden(Exception):
    """The lifecycle does not allow this action now (HTTP 409). Nothing was changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # Dutch, for the case worker


class InvalidCommand(ValueError):
    """A command field is missing or wrong (HTTP 422). Nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message  # Dutch, for the case worker


@dataclass(frozen=True)
class CaseEvent:
    """One history entry; `event_type` is the short name on topic `complaints.case.v1`."""

    action: str
    event_type: str
    at: datetime
    actor: str
    reason: str | None
    data: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """The state of one complaint case. The case id equals the complaint id."""

    id: str
    state: CaseState
    kind: Kind
    category: Category
    urgent: bool
    channel: Channel
    received_at: datetime
    received_on: date  # Dutch calendar date of receipt; every term runs from it
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    handler: Handler = Handler.municipality
    handler_name: str | None = None  # the assignee (an employee or a provider contact)
    # Awb 9:7: the employee complained about may never handle the formal complaint. The name is
    # intake's (claim check): `names_employee` says there is one, and `about_employee` is filled
    # from intake only while a command that chooses a handler is checked; it is never stored.
    names_employee: bool = False
    about_employee: str | None = None
    formal_requested: bool = False  # the complainant asked for formal handling at intake
    resolution: Resolution | None = None
    outcome: Outcome | None = None
    acknowledged_on: date | None = None
    resolved_on: date | None = None  # the decision or closing date (resolve/decline/withdraw)
    extended_weeks: int = 0
    extensions_used: int = 0
    suspended_from_state: CaseState | None = None
    hearing_held: bool = False
    hearing_waived: bool = False  # Awb 9:10 lid 2: the complainant waived the hearing
    hearing_report_missing: bool = False  # Awb 9:10 lid 3: heard, report still to be added
    heard_at: datetime | None = None  # the last hearing (or waiver) recorded
    advisory_committee: bool = False  # Awb 9:11: 10 instead of 6 weeks
    forwarded_to: str | None = None  # the destination key an objection or question went to
    decision_due: date | None = None  # supplied by the deadlines service
    ombudsman_referred: bool = False
    reopened_count: int = 0
    history: tuple[CaseEvent, ...] = ()

    @property
    def assignee(self) -> str | None:
        return self.handler_name

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES


# --- Commands: one per API action. Every command says when it happened and who did it. ---


@dataclass(frozen=True, kw_only=True)
class Command:
    action: ClassVar[str]
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Assign(Command):
    action: ClassVar[str] = "assign"
    handler_name: str
    unit: str | None = None
    provider: str | None = None  # given: the assignee works for this provider


@dataclass(frozen=True, kw_only=True)
class TakeOver(Command):
    """The municipality takes a referred case back from the provider (second line)."""

    action: ClassVar[str] = "take_over"
    handler_name: str
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Refer(Command):
    """Warm hand-over (warme overdracht) to a provider, which handles it first."""

    action: ClassVar[str] = "refer"
    provider: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Acknowledge(Command):
    action: ClassVar[str] = "acknowledge"


@dataclass(frozen=True, kw_only=True)
class Hear(Command):
    """Awb 9:10: a hearing (the report may follow later) or the complainant's waiver of it."""

    action: ClassVar[str] = "hear"
    report: str | None = None
    waived: bool = False


@dataclass(frozen=True, kw_only=True)
class Extend(Command):
    action: ClassVar[str] = "extend"
    weeks: int
    consent: bool = False  # Awb 9:11 lid 2: the complainant's written consent to a longer postponement


@dataclass(frozen=True, kw_only=True)
class Suspend(Command):
    action: ClassVar[str] = "suspend"


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    action: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class Escalate(Command):
    action: ClassVar[str] = "escalate"
    advisory_committee: bool = False
    handler_name: str | None = None  # a new, uninvolved handler (Awb 9:7)


@dataclass(frozen=True, kw_only=True)
class Mediate(Command):
    action: ClassVar[str] = "mediate"


@dataclass(frozen=True, kw_only=True)
class Forward(Command):
    """An objection, question or report handed on to where it belongs (objection desk, KCC, ...).

    `keep_complaint`: the complaint contains an objection too; a copy goes to the destination
    and the complaint itself is handled on.
    """

    action: ClassVar[str] = "forward"
    to: str
    keep_complaint: bool = False
    destination: str | None = None  # the name the resident reads (from the configured destinations)


@dataclass(frozen=True, kw_only=True)
class Merge(Command):
    """Intake merged this complaint into `into`: the duplicate closes, the kept case goes on."""

    action: ClassVar[str] = "merge"
    into: str


@dataclass(frozen=True, kw_only=True)
class Resolve(Command):
    action: ClassVar[str] = "resolve"
    outcome: Outcome
    resolution: Resolution
    summary: str | None = None
    hearing_waived: bool = False  # Awb 9:10 lid 2: the complainant waived the hearing
    desired_outcome_achieved: str | None = None  # yes, partly, no: what the complainant wanted
    norms: tuple[str, ...] = ()  # behoorlijkheidsnormen the judgement names


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    action: ClassVar[str] = "withdraw"


@dataclass(frozen=True, kw_only=True)
class Decline(Command):
    action: ClassVar[str] = "decline"
    reason: DeclineGround  # Awb 9:8 ground instead of free text
    explanation: str | None = None


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    action: ClassVar[str] = "reopen"


@dataclass(frozen=True, kw_only=True)
class ReferOmbudsman(Command):
    action: ClassVar[str] = "refer_ombudsman"


@dataclass(frozen=True, kw_only=True)
class ReportProviderStatus(Command):
    action: ClassVar[str] = "provider_status"
    status: ProviderStatus
    outcome: Outcome | None = None
    resolution: Resolution | None = None
    measures: str | None = None


COMMANDS: dict[str, type[Command]] = {
    cls.action: cls
    for cls in (
        Assign,
        TakeOver,
        Refer,
        Acknowledge,
        Hear,
        Extend,
        Suspend,
        Resume,
        Escalate,
        Mediate,
        Forward,
        Merge,
        Resolve,
        Withdraw,
        Decline,
        Reopen,
        ReferOmbudsman,
        ReportProviderStatus,
    )
}


# --- The state machine as data ---------------------------------------------------------

S = CaseState
PREVIOUS: Literal["previous"] = "previous"  # back to the state before suspension
HANDLING: Literal["handling"] = "handling"  # back to handling after a reopen
Target = CaseState | Literal["previous", "handling"]

# Per transition key, the states it may start from and where it goes. Keys are command actions,
# plus two variants: `assign` to a provider contact is a referral, and a provider reporting
# `resolved` closes the case.
TRANSITIONS: Mapping[str, Mapping[CaseState, Target]] = {
    # From `referred`, assign/take_over is the municipality taking the case back (second line).
    "assign": {
        S.received: S.assigned,
        S.assigned: S.assigned,
        S.referred: S.assigned,
        S.acknowledged: S.acknowledged,
        S.informal: S.informal,
        S.formal: S.formal,
    },
    "assign_provider": {s: S.referred for s in (S.received, S.assigned, S.acknowledged, S.referred)},
    "take_over": {S.referred: S.assigned},
    "refer": {s: S.referred for s in (S.received, S.assigned, S.acknowledged, S.referred)},
    # Awb 9:6. A provider keeps a referred case while it confirms receipt.
    "acknowledge": {S.received: S.acknowledged, S.assigned: S.acknowledged, S.referred: S.referred},
    "mediate": {s: S.informal for s in (S.received, S.assigned, S.acknowledged, S.referred)},
    "escalate": {s: S.formal for s in (S.received, S.assigned, S.acknowledged, S.informal, S.referred)},
    # Awb 9:10: hearing belongs to formal handling; a missing report may be added after the decision.
    "hear": {S.formal: S.formal, S.resolved: S.resolved},
    "extend": {s: s for s in OPEN_STATES},
    "suspend": {s: S.suspended for s in ACTIVE_STATES},
    "resume": {S.suspended: PREVIOUS},
    # A KCC quick fix may resolve straight from `received`; a suspended case is resumed first.
    "resolve": {s: S.resolved for s in ACTIVE_STATES},
    "withdraw": {s: S.withdrawn for s in OPEN_STATES},
    "decline": {s: S.declined for s in (S.received, S.assigned, S.acknowledged)},
    "reopen": {s: HANDLING for s in (S.resolved, S.declined, S.withdrawn, S.ombudsman, S.forwarded)},
    # Not a complaint: handed on, no complaint terms. A copy leaves the complaint in handling.
    "forward": {s: S.forwarded for s in OPEN_STATES},
    "forward_copy": {s: s for s in OPEN_STATES},
    "merge": {s: S.merged for s in OPEN_STATES},
    # Third line only after a decision (Awb 9:12 names the ombudsman in the outcome).
    "refer_ombudsman": {S.resolved: S.ombudsman, S.declined: S.ombudsman},
    "provider_status": {S.referred: S.referred, S.resolved: S.resolved},
    "provider_resolved": {S.referred: S.resolved},
}

# Transition key -> event type on topic complaints.case.v1.
EVENT_TYPES: Mapping[str, str] = {
    "assign": "assigned",
    "assign_provider": "referred",
    "take_over": "assigned",
    "refer": "referred",
    "acknowledge": "acknowledged",
    "mediate": "mediation_started",
    "escalate": "escalated_formal",
    "hear": "hearing_held",
    "extend": "term_extended",
    "suspend": "suspended",
    "resume": "resumed",
    "resolve": "resolved",
    "withdraw": "withdrawn",
    "decline": "declined",
    "reopen": "reopened",
    "refer_ombudsman": "ombudsman_referred",
    "forward": "forwarded",
    "forward_copy": "forwarded",
    "merge": "merged",
    "provider_status": "provider_status",
    "provider_resolved": "provider_status",
}

STATE_LABELS: Mapping[CaseState, str] = CASE_STATE_LABELS

ACTION_LABELS: Mapping[str, str] = {
    "assign": "toewijzen",
    "take_over": "terugnemen van de zorgaanbieder",
    "refer": "doorverwijzen naar een zorgaanbieder",
    "acknowledge": "ontvangst bevestigen",
    "mediate": "informeel behandelen",
    "escalate": "formeel behandelen",
    "hear": "horen",
    "extend": "termijn verdagen",
    "suspend": "opschorten",
    "resume": "hervatten",
    "resolve": "afhandelen",
    "withdraw": "intrekken",
    "decline": "niet in behandeling nemen",
    "reopen": "heropenen",
    "refer_ombudsman": "doorverwijzen naar de ombudsman",
    "forward": "doorsturen (bezwaar, vraag of melding)",
    "merge": "samenvoegen",
    "provider_status": "status van de zorgaanbieder verwerken",
}


def forbidden_message(action: str, state: CaseState) -> str:
    label = ACTION_LABELS.get(action, action)
    message = f"'{label}' kan niet bij een klacht met status '{STATE_LABELS[state]}'."
    if action == "refer_ombudsman":
        message += " Dat kan pas na een beslissing op de klacht (afgehandeld of niet in behandeling genomen)."
    elif state == S.suspended:
        message += " Hervat de behandeling eerst."
    elif state not in OPEN_STATES and action != "reopen":
        message += " De klacht is gesloten; heropen haar eerst."
    return message


# --- Identity and time ---------------------------------------------------------------


def same_person(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def local_date(at: datetime) -> date:
    """The Dutch calendar date of a moment; a naive datetime is taken as Dutch local time."""
    return at.astimezone(_TIMEZONE).date() if at.tzinfo is not None else at.date()


def instant(at: datetime) -> datetime:
    """A comparable moment; a naive datetime is taken as Dutch local time."""
    return at if at.tzinfo is not None else at.replace(tzinfo=_TIMEZONE)
