"""The case lifecycle (Awb chapter 9) as a state machine: a table of allowed transitions
per action, and `apply(case, command) -> (case, event)`.

`apply` is pure: it never mutates, never reads a clock and never does I/O. A command that
is not allowed raises `TransitionForbidden` (HTTP 409), a command with a bad field raises
`InvalidCommand` (HTTP 422); in both cases the caller still holds the unchanged case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.contracts.vocabulary import (
    Achievement,
    Category,
    Channel,
    DeclineGround,
    Handler,
    Kind,
    Norm,
    Outcome,
    Resolution,
    dutch,
)
from klachtstroom.routing.case.domain import (
    ACTION_LABELS,
    EVENT_TYPES,
    HANDLING,
    PREVIOUS,
    TRANSITIONS,
    Acknowledge,
    Assign,
    Case,
    CaseEvent,
    CaseState,
    Command,
    Decline,
    Escalate,
    Extend,
    Forward,
    Hear,
    InvalidCommand,
    JsonValue,
    Merge,
    ProviderStatus,
    Refer,
    ReportProviderStatus,
    Resolve,
    TakeOver,
    Target,
    TransitionForbidden,
    forbidden_message,
    instant,
    local_date,
    same_person,
)

S = CaseState

# Awb 9:8: the complainant is told within 4 weeks that the complaint is not taken into handling.
DECLINE_WINDOW = timedelta(days=28)
# Awb 9:11 lid 2: one postponement of at most 4 weeks; longer only with written consent.
MAX_EXTENSION_WEEKS = 4
MAX_CONSENTED_WEEKS = 52
CONSENT_NEEDED = (
    "Awb 9:11 lid 2: de termijn is al eens verdaagd (of u verdaagt met meer dan 4 weken). "
    "Langer uitstellen kan alleen met schriftelijke instemming van de klager: leg die vast "
    "met 'consent': true."
)
HEARING_NEEDED = (
    "Awb 9:10 lid 2: een formele afhandeling vraagt eerst het horen van klager en medewerker "
    "(actie 'horen'), of dat de klager afziet van horen (actie 'horen' met 'waived': true)."
)
REPORT_MISSING = "Hoorzitting gehouden, verslag ontbreekt (Awb 9:10 lid 3)."
# Outcomes that have their own action; `resolve` may not set them.
_OWN_ACTION_OUTCOMES = {Outcome.withdrawn: "withdraw", Outcome.inadmissible: "decline"}

Changes = dict[str, Any]
Data = dict[str, JsonValue]
Effect = Callable[[Case, Any, CaseState], tuple[Changes, Data]]
E = TypeVar("E", bound=StrEnum)


# --- Public functions -------------------------------------------------------------------


def open_case(
    *,
    id: str,
    at: datetime,
    channel: Channel | str,
    kind: Kind | str = Kind.complaint,
    category: Category | str = Category.other,
    urgent: bool = False,
    municipality: str | None = None,
    unit: str | None = None,
    provider: str | None = None,
    about_employee: str | None = None,
    names_employee: bool = False,
    formal_requested: bool = False,
    handler: Handler | str = Handler.municipality,
    handler_name: str | None = None,
) -> Case:
    """A new case in state `received`; `at` is when the complaint was received (terms run from it)."""
    if not isinstance(at, datetime):
        raise InvalidCommand("at", "Geef datum en tijd van ontvangst op.")
    return Case(
        id=_required_text(id, "id"),
        state=S.received,
        kind=_enum(Kind, kind, "kind"),
        category=_enum(Category, category, "category"),
        urgent=urgent,
        channel=_enum(Channel, channel, "channel"),
        received_at=at,
        received_on=local_date(at),
        municipality=_optional_text(municipality),
        unit=_optional_text(unit),
        provider=_optional_text(provider),
        handler=_enum(Handler, handler, "handler"),
        handler_name=_optional_text(handler_name),
        about_employee=_optional_text(about_employee),
        names_employee=names_employee or _optional_text(about_employee) is not None,
        formal_requested=formal_requested,
    )


def apply(case: Case, command: Command) -> tuple[Case, CaseEvent]:
    """Apply one command; return the new case and the history entry it appended."""
    _check_common(case, command)
    key = transition_key(command)
    allowed = TRANSITIONS[key]
    if case.state not in allowed:
        raise TransitionForbidden(forbidden_message(command.action, case.state))
    target = _resolve_target(case, allowed[case.state])
    changes, data = _EFFECTS[key](case, command, target)
    event = CaseEvent(
        action=command.action,
        event_type=EVENT_TYPES[key],
        # An action on the day of receipt but timed before it happened at receipt, at the earliest.
        at=max(instant(command.at), instant(case.received_at)),
        actor=command.actor.strip(),
        reason=_optional_text(command.reason),
        data={"from_state": case.state.value, "to_state": target.value, **data},
    )
    new_case = replace(case, state=target, history=(*case.history, event), **changes)
    return new_case, event


def with_decision_due(case: Case, due: date | None) -> Case:
    """The decision due date as computed by the deadlines service (not a lifecycle action)."""
    return replace(case, decision_due=due)


def allowed_actions(case: Case) -> list[str]:
    """Actions the table allows in the case's state (guards such as Awb 9:8's 4 weeks aside)."""
    keys = [k for k, allowed in TRANSITIONS.items() if case.state in allowed]
    return sorted({_ACTION_OF_KEY.get(k, k) for k in keys})


def transition_key(command: Command) -> str:
    if isinstance(command, Assign) and _optional_text(command.provider) is not None:
        return "assign_provider"
    if isinstance(command, ReportProviderStatus) and command.status == ProviderStatus.resolved:
        return "provider_resolved"
    if isinstance(command, Forward) and command.keep_complaint:
        return "forward_copy"
    if command.action not in TRANSITIONS:
        raise InvalidCommand("action", f"Onbekende actie '{command.action}'.")
    action: str = command.action
    return action


# --- Checks shared by every command ------------------------------------------------------


def _check_common(case: Case, command: Command) -> None:
    if not isinstance(command.at, datetime):
        raise InvalidCommand("at", "Geef datum en tijd op waarop de actie plaatsvond.")
    if _optional_text(command.actor) is None:
        raise InvalidCommand("actor", "Geef op wie de actie uitvoert.")
    # Compared by Dutch day: a receipt registered with only its date (00:00 that day), or an
    # action given as a date, is never "before receipt" on the day itself.
    if local_date(command.at) < case.received_on:
        raise InvalidCommand(
            "at",
            "Het tijdstip ligt vóór de ontvangst van de klacht "
            f"({dutch_date(case.received_on)}); controleer de datum.",
        )


def _resolve_target(case: Case, target: Target) -> CaseState:
    if target == PREVIOUS:
        # Suspension only pauses the term while waiting for the complainant; handling goes on as before.
        return case.suspended_from_state or S.received
    if target == HANDLING:
        if case.handler == Handler.provider:
            return S.referred
        return S.assigned if case.handler_name else S.received
    return CaseState(target)


def _required_text(value: object, field: str, message: str | None = None) -> str:
    text = _optional_text(value, field)
    if text is None:
        raise InvalidCommand(field, message or "Dit veld is verplicht.")
    return text


def _optional_text(value: object, field: str = "tekst") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCommand(field, "Verwacht tekst.")
    return value.strip() or None


def _enum(enum: type[E], value: object, field: str) -> E:
    try:
        return enum(value if isinstance(value, str) else str(value))
    except ValueError:
        choices = ", ".join(f"{m.value} ({dutch(m.value)})" for m in enum)
        raise InvalidCommand(field, f"Onbekende waarde '{value}'; kies uit: {choices}.") from None


def _check_impartial(case: Case, handler_name: str | None, field: str | None) -> None:
    """Awb 9:7: the person complained about never handles the formal complaint."""
    if not same_person(handler_name, case.about_employee):
        return
    message = (
        "Awb 9:7: de klacht gaat over deze medewerker; die mag de formele klacht niet "
        "zelf behandelen. Wijs een andere behandelaar aan (bij een klacht over de "
        "klachtcoördinator: diens leidinggevende)."
    )
    if field is not None:
        raise InvalidCommand(field, message)
    raise TransitionForbidden(message)


# --- Effects: what each allowed transition changes, and what its event records ----------


def _assign(case: Case, cmd: Assign | TakeOver, target: CaseState) -> tuple[Changes, Data]:
    name = _required_text(cmd.handler_name, "handler_name", "Geef de behandelaar op.")
    if target == S.formal:
        _check_impartial(case, name, "handler_name")
    unit = _optional_text(cmd.unit) or case.unit
    changes: Changes = {"handler": Handler.municipality, "handler_name": name, "unit": unit}
    second_line = case.state == S.referred  # the municipality takes over from the provider
    return changes, {
        "handler": "municipality",
        "handler_name": name,
        "unit": unit,
        "provider": case.provider,
        "second_line": second_line,
    }


def _assign_provider(case: Case, cmd: Assign, target: CaseState) -> tuple[Changes, Data]:
    name = _required_text(cmd.handler_name, "handler_name", "Geef de contactpersoon op.")
    provider = _required_text(cmd.provider, "provider")
    changes: Changes = {"handler": Handler.provider, "provider": provider, "handler_name": name}
    return changes, {"handler": "provider", "provider": provider, "handler_name": name}


def _refer(case: Case, cmd: Refer, target: CaseState) -> tuple[Changes, Data]:
    provider = _required_text(cmd.provider, "provider", "Geef de zorgaanbieder op.")
    # Warm hand-over: the provider handles it first and picks its own handler.
    changes: Changes = {"handler": Handler.provider, "provider": provider, "handler_name": None}
    return changes, {"handler": "provider", "provider": provider, "note": _optional_text(cmd.note)}


def _acknowledge(case: Case, cmd: Acknowledge, target: CaseState) -> tuple[Changes, Data]:
    if case.acknowledged_on is not None:
        raise TransitionForbidden(f"De ontvangst is al bevestigd op {dutch_date(case.acknowledged_on)}.")
    on = local_date(cmd.at)
    return {"acknowledged_on": on}, {
        "acknowledged_on": on.isoformat(),
        "received_on": case.received_on.isoformat(),
    }


def _mediate(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    return {}, {"handler": case.handler.value, "handler_name": case.handler_name}


def _escalate(case: Case, cmd: Escalate, target: CaseState) -> tuple[Changes, Data]:
    new_name = _optional_text(cmd.handler_name)
    if new_name is not None:
        _check_impartial(case, new_name, "handler_name")
    else:
        _check_impartial(case, case.handler_name, None)
    changes: Changes = {"advisory_committee": bool(cmd.advisory_committee)}
    if new_name is not None:
        changes |= {"handler": Handler.municipality, "handler_name": new_name}
    return changes, {
        "advisory_committee": bool(cmd.advisory_committee),
        "handler_name": new_name or case.handler_name,
        "formal_requested": case.formal_requested,
    }


def _hear(case: Case, cmd: Hear, target: CaseState) -> tuple[Changes, Data]:
    """Awb 9:10: a hearing, with its report now or later (flagged until then), or a waiver."""
    report = _optional_text(cmd.report, "report")
    waived = bool(cmd.waived)
    if waived and report is not None:
        raise InvalidCommand("waived", "Wie afziet van horen, heeft geen verslag; geef één van beide op.")
    if case.state == S.resolved and (waived or report is None or not case.hearing_report_missing):
        raise TransitionForbidden(
            "De klacht is gesloten: alleen een ontbrekend verslag van het horen kan nog worden toegevoegd."
        )
    if waived:
        changes: Changes = {"hearing_waived": True, "heard_at": cmd.at}
        return changes, {"waived": True, "report_missing": False}
    changes = {"hearing_held": True, "hearing_report_missing": report is None}
    if case.state != S.resolved:
        changes["heard_at"] = cmd.at
    data: Data = {"waived": False, "report_missing": report is None}
    if report is not None:
        data["report"] = report
    if case.hearing_report_missing and report is not None:
        data["report_added"] = True  # the report of an earlier hearing
    return changes, data


def _extend(case: Case, cmd: Extend, target: CaseState) -> tuple[Changes, Data]:
    weeks = cmd.weeks
    consent = bool(cmd.consent)
    limit = MAX_CONSENTED_WEEKS if consent else MAX_EXTENSION_WEEKS
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= limit:
        raise InvalidCommand(
            "weeks",
            f"Awb 9:11 lid 2: verdaag met 1 tot en met {limit} weken"
            + ("." if consent else "; langer alleen met schriftelijke instemming van de klager."),
        )
    reason = _required_text(cmd.reason, "reason", "Geef de reden van het verdagen op.")
    if case.extensions_used >= 1 and not consent:
        raise TransitionForbidden(CONSENT_NEEDED)
    on = local_date(cmd.at)
    if case.decision_due is not None and on > case.decision_due:
        raise TransitionForbidden(
            "Awb 9:11 lid 2: verdagen moet vóór het einde van de termijn "
            f"({dutch_date(case.decision_due)}); die is al verstreken."
        )
    # The new due date is computed by the deadlines service (Termijnenwet).
    changes: Changes = {
        "extended_weeks": case.extended_weeks + weeks,
        "extensions_used": case.extensions_used + 1,
    }
    return changes, {
        "weeks": weeks,
        "reason": reason,
        "consent": consent,  # the complainant's written consent, recorded in the history
        "previous_due": case.decision_due.isoformat() if case.decision_due else None,
    }


def _suspend(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    reason = _required_text(cmd.reason, "reason", "Geef op waarop de behandeling wacht.")
    return {"suspended_from_state": case.state}, {"reason": reason}


def _resume(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    return {"suspended_from_state": None}, {"resumed_to": target.value}


def _resolve(case: Case, cmd: Resolve, target: CaseState) -> tuple[Changes, Data]:
    outcome = _enum(Outcome, cmd.outcome, "outcome")
    resolution = _enum(Resolution, cmd.resolution, "resolution")
    data: Data = {
        "outcome": outcome.value,
        "resolution": resolution.value,
        "summary": _optional_text(cmd.summary),
    }
    waived = case.hearing_waived or bool(cmd.hearing_waived)
    if resolution == Resolution.formal and not (case.hearing_held or waived):
        raise TransitionForbidden(HEARING_NEEDED)
    if cmd.desired_outcome_achieved is not None:
        achieved = _enum(Achievement, cmd.desired_outcome_achieved, "desired_outcome_achieved")
        data["desired_outcome_achieved"] = achieved.value
    if cmd.norms:
        data["norms"] = list(sorted({_enum(Norm, norm, "norms").value for norm in cmd.norms}))
    if resolution == Resolution.formal and case.state != S.formal:
        # Registration follows what happened: a formal outcome recorded without the case
        # having been escalated here (e.g. handled in another system) is kept, and noted.
        data["formal_without_escalation"] = True
    if outcome in _OWN_ACTION_OUTCOMES:
        # 'withdrawn' / 'inadmissible' have their own actions; recorded as given, and noted.
        data["outcome_note"] = f"Gewoonlijk via de actie '{ACTION_LABELS[_OWN_ACTION_OUTCOMES[outcome]]}'."
    changes = _closing(case, cmd, outcome, resolution)
    if case.state == S.formal or resolution == Resolution.formal:
        data |= {"hearing_held": case.hearing_held, "hearing_waived": waived}
        if cmd.hearing_waived and not case.hearing_waived:
            changes["hearing_waived"] = True  # the waiver recorded with the decision
        if not case.hearing_held and not waived:
            data["hearing_note"] = (
                "Awb 9:10: er is geen hoorzitting vastgelegd en de klager heeft niet afgezien van horen."
            )
    return changes, data


def _withdraw(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    return _closing(case, cmd, Outcome.withdrawn, None), {"outcome": Outcome.withdrawn.value}


def _decline(case: Case, cmd: Decline, target: CaseState) -> tuple[Changes, Data]:
    ground = _enum(DeclineGround, cmd.reason, "reason")
    last_day = case.received_on + DECLINE_WINDOW
    if local_date(cmd.at) > last_day:
        raise TransitionForbidden(
            "Awb 9:8: niet in behandeling nemen moet binnen 4 weken na ontvangst "
            f"(uiterlijk {dutch_date(last_day)}). Behandel de klacht."
        )
    return _closing(case, cmd, Outcome.inadmissible, None), {
        "ground": ground.value,
        "outcome": Outcome.inadmissible.value,
        "explanation": _optional_text(cmd.explanation),
    }


def _reopen(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    changes: Changes = {
        "outcome": None,
        "resolution": None,
        "resolved_on": None,
        "suspended_from_state": None,
        "reopened_count": case.reopened_count + 1,
    }
    return changes, {
        "previous_outcome": case.outcome.value if case.outcome else None,
        "reopened_count": case.reopened_count + 1,
    }


def _forward(case: Case, cmd: Forward, target: CaseState) -> tuple[Changes, Data]:
    to = _required_text(cmd.to, "to", "Geef op waarheen: 'objection' (bezwaar), 'kcc' of een andere.")
    changes: Changes = {"forwarded_to": to}
    if not cmd.keep_complaint:
        # Not a complaint: no outcome of its own; the case is closed here.
        changes |= {"resolved_on": local_date(cmd.at), "suspended_from_state": None}
    return changes, {
        "to": to,
        "destination": _optional_text(cmd.destination) or to,
        "keep_complaint": bool(cmd.keep_complaint),
        "kind": case.kind.value,
    }


def _merge(case: Case, cmd: Merge, target: CaseState) -> tuple[Changes, Data]:
    into = _required_text(cmd.into, "into")
    if into == case.id:
        raise InvalidCommand("into", "Een klacht kan niet met zichzelf worden samengevoegd.")
    return {"resolved_on": local_date(cmd.at), "suspended_from_state": None}, {"merged_into": into}


def _refer_ombudsman(case: Case, cmd: Command, target: CaseState) -> tuple[Changes, Data]:
    decided = case.resolved_on
    return {"ombudsman_referred": True}, {
        "decided_on": decided.isoformat() if decided else None,
        # Informative only: the ombudsman, not we, judges whether it came within the year.
        "within_one_year": decided is not None and local_date(cmd.at) <= _one_year_after(decided),
    }


def _provider_status(case: Case, cmd: ReportProviderStatus, target: CaseState) -> tuple[Changes, Data]:
    status = _enum(ProviderStatus, cmd.status, "status")
    if case.handler != Handler.provider:
        raise TransitionForbidden("Deze klacht is niet doorverwezen naar een zorgaanbieder.")
    if case.state == S.resolved and status != ProviderStatus.measures:
        raise TransitionForbidden("Na afhandeling kan de zorgaanbieder alleen maatregelen melden.")
    measures = _optional_text(cmd.measures)
    if status == ProviderStatus.measures and measures is None:
        raise InvalidCommand("measures", "Beschrijf de maatregelen.")
    return {}, {"status": status.value, "provider": case.provider, "measures": measures}


def _provider_resolved(case: Case, cmd: ReportProviderStatus, target: CaseState) -> tuple[Changes, Data]:
    if cmd.outcome is None:
        raise InvalidCommand("outcome", "Geef de uitkomst van de klacht op.")
    outcome = _decision_outcome(cmd.outcome)
    # Most provider complaints end in a conversation; a provider may report formal handling.
    resolution = _enum(Resolution, cmd.resolution or Resolution.informal, "resolution")
    changes = _closing(case, cmd, outcome, resolution)
    return changes, {
        "status": ProviderStatus.resolved.value,
        "provider": case.provider,
        "outcome": outcome.value,
        "resolution": resolution.value,
        "measures": _optional_text(cmd.measures),
    }


def _decision_outcome(value: object) -> Outcome:
    outcome = _enum(Outcome, value, "outcome")
    if outcome in _OWN_ACTION_OUTCOMES:
        own = ACTION_LABELS[_OWN_ACTION_OUTCOMES[outcome]]
        raise InvalidCommand("outcome", f"Gebruik hiervoor de actie '{own}'.")
    return outcome


def _closing(case: Case, cmd: Command, outcome: Outcome, resolution: Resolution | None) -> Changes:
    return {
        "outcome": outcome,
        "resolution": resolution,
        "resolved_on": local_date(cmd.at),
        "suspended_from_state": None,
    }


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


_EFFECTS: Mapping[str, Effect] = {
    "assign": _assign,
    "assign_provider": _assign_provider,
    "take_over": _assign,
    "refer": _refer,
    "acknowledge": _acknowledge,
    "mediate": _mediate,
    "escalate": _escalate,
    "hear": _hear,
    "extend": _extend,
    "suspend": _suspend,
    "resume": _resume,
    "resolve": _resolve,
    "withdraw": _withdraw,
    "decline": _decline,
    "reopen": _reopen,
    "refer_ombudsman": _refer_ombudsman,
    "forward": _forward,
    "forward_copy": _forward,
    "merge": _merge,
    "provider_status": _provider_status,
    "provider_resolved": _provider_resolved,
}
_ACTION_OF_KEY = {
    "assign_provider": "assign",
    "provider_resolved": "provider_status",
    "forward_copy": "forward",
}
