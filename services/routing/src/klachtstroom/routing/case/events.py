"""From a history entry of the domain to the event on `complaints.case.v1`.

Free text (hearing reports, summaries, notes, reasons, a provider's measures) may carry personal
data: it stays in routing's database and history; an event says at most that there is such a
text (`has_measures`). Every field is named and typed in the contract: no `data` side channel.
Reporting asks routing's API for the measures when it writes a provider report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts.vocabulary import Achievement, DeclineGround, Norm, Outcome, Resolution
from klachtstroom.routing.case.domain import Case, CaseEvent, CaseState, ProviderStatus
from klachtstroom.routing.rules.ruleset import RoutingDecision

Extra = Callable[[Case, CaseEvent], dict[str, Any]]


def _nothing(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {}


def _assigned(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {
        "handler": case.handler,
        "handler_name": case.handler_name,
        "unit": case.unit,
        "provider": case.provider,
    }


def _referred(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"provider": case.provider or ""}


def _provider_status(case: Case, event: CaseEvent) -> dict[str, Any]:
    outcome = event.data.get("outcome")
    resolution = event.data.get("resolution")
    measures = event.data.get("measures")
    return {
        "provider": case.provider or "",
        "status": ProviderStatus(str(event.data.get("status"))),
        "outcome": Outcome(str(outcome)) if outcome else None,
        "resolution": Resolution(str(resolution)) if resolution else None,
        "has_measures": isinstance(measures, str) and bool(measures.strip()),
    }


def _mediation(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"handler": case.handler}


def _extended(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"weeks": event.data["weeks"], "consent": bool(event.data.get("consent"))}


def _heard(case: Case, event: CaseEvent) -> dict[str, Any]:
    data = event.data
    return {"waived": bool(data.get("waived")), "report_missing": bool(data.get("report_missing"))}


def _escalated(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"advisory_committee": bool(event.data.get("advisory_committee"))}


def _resolved(case: Case, event: CaseEvent) -> dict[str, Any]:
    achieved = event.data.get("desired_outcome_achieved")
    norms = event.data.get("norms")
    return {
        "outcome": Outcome(str(event.data["outcome"])),
        "resolution": Resolution(str(event.data["resolution"])),
        "desired_outcome_achieved": Achievement(str(achieved)) if achieved else None,
        "norms": [Norm(str(n)) for n in norms] if isinstance(norms, list) else [],
    }


def _forwarded(case: Case, event: CaseEvent) -> dict[str, Any]:
    keep = bool(event.data.get("keep_complaint"))
    destination = str(event.data.get("destination") or event.data["to"])
    to = str(event.data["to"])
    return {"to": to, "destination": destination, "keep_complaint": keep, "kind": case.kind}


def _merged(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"into": str(event.data["merged_into"])}


def _declined(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {"ground": DeclineGround(str(event.data["ground"]))}


EVENT_MODELS: Mapping[str, tuple[type[ce.CaseChange], Extra]] = {
    "assigned": (ce.CaseAssigned, _assigned),
    "referred": (ce.CaseReferred, _referred),
    "acknowledged": (ce.CaseAcknowledged, _nothing),
    "provider_status": (ce.ProviderStatusReported, _provider_status),
    "hearing_held": (ce.HearingHeld, _heard),
    "term_extended": (ce.TermExtended, _extended),
    "suspended": (ce.CaseSuspended, _nothing),
    "resumed": (ce.CaseResumed, _nothing),
    "escalated_formal": (ce.EscalatedFormal, _escalated),
    "mediation_started": (ce.MediationStarted, _mediation),
    "resolved": (ce.CaseResolved, _resolved),
    "withdrawn": (ce.CaseWithdrawn, _nothing),
    "declined": (ce.CaseDeclined, _declined),
    "reopened": (ce.CaseReopened, _nothing),
    "ombudsman_referred": (ce.OmbudsmanReferred, _nothing),
    "forwarded": (ce.CaseForwarded, _forwarded),
    "merged": (ce.CaseMerged, _merged),
}


# Who acted, as an event may say it: machine actors and providers by name, a person never (an
# employee's name is personal data, and Kafka topics are kept forever; the name stays in the
# case's history in routing's own database).
MACHINE_ACTORS = ("routering", "systeem", "system", "zorgaanbieder ")


def event_actor(actor: str) -> str:
    return actor if actor.startswith(MACHINE_ACTORS) else "medewerker"


def case_event_payload(
    before: CaseState, case: Case, event: CaseEvent, more: Mapping[str, Any] | None = None
) -> ce.CaseChange:
    """The Kafka payload of one applied transition (`case` is the case after it); `more` are
    typed fields from hooks (a referral's `response_working_days`), each a field of the model."""
    model, extra = EVENT_MODELS[event.event_type]
    # Awb 9:8: the decline ground is a fixed value, not free text; every other reason stays here.
    reason = event.reason if event.event_type == "declined" else None
    added = {name: value for name, value in (more or {}).items() if name in model.model_fields}
    return model(
        case_id=case.id,
        state=case.state,
        previous_state=before,
        at=event.at,
        actor=event_actor(event.actor),
        reason=reason,
        **(extra(case, event) | added),
    )


def opened_payload(
    case: Case, reference: str, decision: RoutingDecision, *, flagged: bool, reachable: bool = True
) -> ce.CaseOpened:
    return ce.CaseOpened(
        case_id=case.id,
        state=CaseState.received,
        previous_state=None,
        at=case.received_at,
        actor="routering",
        reason=None,
        reference=reference,
        received_at=case.received_at,
        channel=case.channel,
        kind=case.kind,
        category=case.category,
        urgent=case.urgent,
        municipality=case.municipality,
        unit=case.unit,
        provider=case.provider,
        handler=case.handler,
        handler_name=case.handler_name,
        rule_id=decision.rule_id,
        rule_version=decision.rule_version,
        flagged_for_coordinator=flagged,
        formal=case.formal_requested,
        advisory_committee=case.advisory_committee,
        complainant_reachable=reachable,
    )
