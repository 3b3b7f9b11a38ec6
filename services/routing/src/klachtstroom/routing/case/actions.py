"""The bodies of `POST /api/v1/cases/{id}/{action}` and how each becomes a domain command.

Every body takes optional `at` (when it happened; a date means that day) and `actor`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import Achievement, DeclineGround, Norm, Outcome, Resolution
from klachtstroom.routing.case import domain as d

DEFAULT_ACTOR = "medewerker"
TEXT = 20_000


class ActionBody(BaseModel):
    # Unknown fields are ignored: a client that sends a note along is not refused for it.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    at: date | datetime | None = None
    actor: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=TEXT)

    def common(self, now: datetime) -> dict[str, Any]:
        return {
            "at": moment_of(self.at) if self.at is not None else now,
            "actor": self.actor or DEFAULT_ACTOR,
            "reason": self.reason,
        }

    def command(self, now: datetime) -> d.Command:
        raise NotImplementedError


class AssignBody(ActionBody):
    handler_name: str = Field(
        max_length=200,
        validation_alias=AliasChoices("handler_name", "assignee", "handler", "employee", "name"),
    )
    unit: str | None = Field(default=None, max_length=200)
    provider: str | None = Field(default=None, max_length=200)

    def command(self, now: datetime) -> d.Command:
        return d.Assign(
            **self.common(now), handler_name=self.handler_name, unit=self.unit, provider=self.provider
        )


class TakeOverBody(ActionBody):
    handler_name: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=200)

    def command(self, now: datetime) -> d.Command:
        return d.TakeOver(**self.common(now), handler_name=self.handler_name, unit=self.unit)


class ReferBody(ActionBody):
    provider: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=TEXT)

    def command(self, now: datetime) -> d.Command:
        return d.Refer(**self.common(now), provider=self.provider, note=self.note)


class HearBody(ActionBody):
    # Awb 9:10: the report may follow later (the case is flagged until then); `waived`: the
    # complainant declared not to want a hearing (lid 2).
    report: str | None = Field(default=None, max_length=TEXT * 5)
    waived: bool = False

    def command(self, now: datetime) -> d.Command:
        return d.Hear(**self.common(now), report=self.report, waived=self.waived)


class ExtendBody(ActionBody):
    weeks: int
    reason: str = Field(max_length=TEXT)  # Awb 9:11 lid 2: the postponement is reasoned
    consent: bool = False  # Awb 9:11 lid 2: written consent of the complainant to postpone longer

    def command(self, now: datetime) -> d.Command:
        return d.Extend(**self.common(now), weeks=self.weeks, consent=self.consent)


class EscalateBody(ActionBody):
    advisory_committee: bool = False
    handler_name: str | None = Field(default=None, max_length=200)

    def command(self, now: datetime) -> d.Command:
        return d.Escalate(
            **self.common(now), advisory_committee=self.advisory_committee, handler_name=self.handler_name
        )


class ResolveBody(ActionBody):
    outcome: Outcome
    resolution: Resolution
    summary: str | None = Field(default=None, max_length=TEXT * 5)
    resolved_at: date | datetime | None = None
    hearing_waived: bool = False
    # Was what the complainant wanted ("wat wilt u bereiken") achieved? yes, partly or no.
    desired_outcome_achieved: Achievement | None = None
    # The behoorlijkheidsnormen of the Nationale ombudsman the judgement names.
    norms: list[Norm] = Field(default_factory=list, max_length=22)

    def command(self, now: datetime) -> d.Command:
        common = self.common(now)
        if self.resolved_at is not None:
            common["at"] = moment_of(self.resolved_at)
        return d.Resolve(
            **common,
            outcome=self.outcome,
            resolution=self.resolution,
            summary=self.summary,
            hearing_waived=self.hearing_waived,
            desired_outcome_achieved=(
                self.desired_outcome_achieved.value if self.desired_outcome_achieved else None
            ),
            norms=tuple(norm.value for norm in self.norms),
        )


class ForwardBody(ActionBody):
    # `to`: 'objection' (the objection desk), 'kcc', or a destination configured by name.
    to: str = Field(min_length=1, max_length=200, validation_alias=AliasChoices("to", "destination"))
    # The complaint also holds an objection: a copy goes, the complaint stays in handling.
    keep_complaint: bool = Field(default=False, validation_alias=AliasChoices("keep_complaint", "copy"))

    def command(self, now: datetime) -> d.Command:
        return d.Forward(**self.common(now), to=self.to, keep_complaint=self.keep_complaint)


class DeclineBody(ActionBody):
    reason: DeclineGround  # Awb 9:8: a ground, not free text

    @field_validator("reason", mode="before")
    @classmethod
    def _ground_from_words(cls, value: object) -> object:
        """Accept the ground's name, or Dutch words / an article reference that name one."""
        if isinstance(value, str):
            return decline_ground_from_text(value) or value
        return value

    explanation: str | None = Field(default=None, max_length=TEXT)

    def command(self, now: datetime) -> d.Command:
        return d.Decline(**self.common(now) | {"reason": self.reason}, explanation=self.explanation)


# Awb 9:8 in the words case workers use; the first match wins.
_GROUND_WORDS: tuple[tuple[DeclineGround, tuple[str, ...]], ...] = (
    (
        DeclineGround.older_than_one_year,
        (
            "ouder dan een jaar",
            "meer dan een jaar",
            "langer dan een jaar",
            "9:8 lid 1 sub b",
            "9:8 lid 1 b",
            "verjaard",
        ),
    ),
    (
        DeclineGround.already_handled,
        (
            "al behandeld",
            "eerder behandeld",
            "al eerder",
            "reeds behandeld",
            "9:8 lid 1 sub a",
            "9:8 lid 1 a",
            "herhaling",
        ),
    ),
    (
        DeclineGround.court_ruling,
        (
            "rechter",
            "uitspraak",
            "beroep ingesteld",
            "9:8 lid 1 sub e",
            "9:8 lid 1 e",
            "9:8 lid 1 sub f",
            "9:8 lid 1 f",
        ),
    ),
    (
        DeclineGround.objection_possible,
        ("bezwaar", "beroep", "9:8 lid 1 sub c", "9:8 lid 1 c", "9:8 lid 1 sub d", "9:8 lid 1 d"),
    ),
    (
        DeclineGround.too_small_interest,
        ("gering", "te klein", "onvoldoende belang", "kennelijk", "ernst", "9:8 lid 2"),
    ),
    (DeclineGround.complainant_not_cooperating, ("werkt niet mee", "geen medewerking", "reageert niet")),
)


def decline_ground_from_text(text: str) -> DeclineGround | None:
    plain = " ".join(text.lower().replace("_", " ").split())
    for ground in DeclineGround:
        if plain == ground.value.replace("_", " "):
            return ground
    for ground, words in _GROUND_WORDS:
        if any(word in plain for word in words):
            return ground
    return None


_SIMPLE: Mapping[str, type[d.Command]] = {
    "acknowledge": d.Acknowledge,
    "suspend": d.Suspend,
    "resume": d.Resume,
    "mediate": d.Mediate,
    "withdraw": d.Withdraw,
    "reopen": d.Reopen,
    "refer-ombudsman": d.ReferOmbudsman,
}

BODIES: Mapping[str, type[ActionBody]] = {
    "assign": AssignBody,
    "take-over": TakeOverBody,
    "refer": ReferBody,
    "hear": HearBody,
    "extend": ExtendBody,
    "escalate": EscalateBody,
    "resolve": ResolveBody,
    "decline": DeclineBody,
    "forward": ForwardBody,
    **{name: ActionBody for name in _SIMPLE},
}

ACTIONS: tuple[str, ...] = tuple(BODIES)


def parse_command(action: str, body: Mapping[str, Any] | None, now: datetime) -> d.Command:
    """Validate a body (pydantic ValidationError on bad input) and build its command."""
    return command_of(action, BODIES[action].model_validate(dict(body or {})), now)


def command_of(action: str, body: ActionBody, now: datetime) -> d.Command:
    """The command of an action from its validated body (`BODIES[action]`)."""
    if action in _SIMPLE:
        return _SIMPLE[action](**body.common(now))
    return body.command(now)


def api_action(domain_action: str) -> str:
    """The name of an action as the API and the history show it (`refer-ombudsman`)."""
    return domain_action.replace("_", "-")
