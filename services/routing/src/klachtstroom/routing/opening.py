"""A received complaint becomes a case: routed by the rules (the decision explains itself and
names rule id and version), stored, announced (`CaseOpened`), and referred when a provider
rule applies. An imported register entry is then brought to its recorded final state."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.intake_events import ComplaintReceived
from klachtstroom.contracts.vocabulary import Handler, Kind, dutch
from klachtstroom.routing.casework import ROUTING_ACTOR, CaseWork
from klachtstroom.routing.domain import Assign, Case, CaseEvent, Refer
from klachtstroom.routing.events import opened_payload
from klachtstroom.routing.imports import replay_imported
from klachtstroom.routing.lifecycle import open_case, with_decision_due
from klachtstroom.routing.repository import append_history, new_row
from klachtstroom.routing.rulebook import current_rules, ensure_seeded, known_values
from klachtstroom.routing.rules import RoutingDecision
from klachtstroom.routing.store import CaseRow, DeadlineRow


def _not_a_complaint(kind: Kind) -> str:
    return (
        f"Dit is geen klacht maar een {dutch(kind.value).lower()}: "
        "de klachtcoördinator verwijst het door naar de juiste plek."
    )


async def open_from_complaint(
    work: CaseWork, session: AsyncSession, received: ComplaintReceived
) -> CaseRow | None:
    """Open the case of a received complaint (case id == complaint id); None when it exists."""
    if await session.get(CaseRow, received.complaint_id) is not None:
        return None  # the same complaint again (e.g. a replay): the case is already there
    now = work.now()
    await ensure_seeded(session, work.settings, now)
    rules = await current_rules(session, work.settings)
    decision = rules.match(received, known=await known_values(session, work.settings, rules, received))
    explanation = decision.explanation
    flagged = decision.flagged_unknown
    if received.kind != Kind.complaint:
        explanation = f"{explanation} {_not_a_complaint(received.kind)}"
        flagged = True
    case = open_case(
        id=received.complaint_id,
        at=received.received_at,
        channel=received.channel,
        kind=received.kind,
        category=received.category,
        urgent=received.urgent,
        municipality=received.municipality,
        unit=received.unit,
        provider=received.provider or decision.provider,
        about_employee=received.about_employee,
        formal_requested=received.formal,
        handler=decision.handler,
        handler_name=decision.handler_name,
    )
    case = await _with_known_due(session, case)
    row = new_row(
        case,
        reference=received.reference,
        now=now,
        flagged=flagged,
        rule_id=decision.rule_id,
        rule_version=decision.rule_version,
        routing_explanation=explanation,
        description=received.description,
        handover_note=received.handover_note,
        complainant_id=received.complainant_id,
    )
    session.add(row)
    await session.flush()
    await append_history(session, case.id, _opened_entry(case, decision, explanation, flagged), now)
    await work.service.outbox.add(
        session, opened_payload(case, received.reference, decision, flagged=flagged), subject=case.id
    )
    quiet = received.imported is not None
    if not quiet:
        for hook in work.on_open:
            await hook(session, row, case)
    if decision.handler == Handler.provider and decision.provider:
        await _refer_by_rule(work, session, row, received, decision, quiet=quiet)
    if received.imported is not None:
        await replay_imported(work, session, row, received.imported)
    return row


def _opened_entry(case: Case, decision: RoutingDecision, explanation: str, flagged: bool) -> CaseEvent:
    return CaseEvent(
        action="open",
        event_type="opened",
        at=case.received_at,
        actor=ROUTING_ACTOR,
        reason=None,
        data={
            "rule_id": decision.rule_id,
            "rule_version": decision.rule_version,
            "explanation": explanation,
            "flagged_for_coordinator": flagged,
            "unknown_fields": list(decision.unknown_fields),
            "handler": case.handler.value,
            "handler_name": case.handler_name,
        },
    )


async def _refer_by_rule(
    work: CaseWork,
    session: AsyncSession,
    row: CaseRow,
    received: ComplaintReceived,
    decision: RoutingDecision,
    *,
    quiet: bool,
) -> None:
    """The provider is the first line: hand the complaint over at once (warme overdracht)."""
    provider = decision.provider or ""
    actor = f"{ROUTING_ACTOR} (regel {decision.rule_id}, versie {decision.rule_version})"
    at = received.received_at
    if decision.handler_name:
        command: Assign | Refer = Assign(
            at=at, actor=actor, handler_name=decision.handler_name, provider=provider
        )
    else:
        command = Refer(at=at, actor=actor, provider=provider, note=received.handover_note)
    await work.transition(session, row, command, quiet=quiet)


async def _with_known_due(session: AsyncSession, case: Case) -> Case:
    """A decision term may have been stored before the case (events of two topics race)."""
    term = await session.get(DeadlineRow, (case.id, "decision"))
    return with_decision_due(case, term.due) if term is not None else case
