"""A received complaint becomes a case: routed by the rules (the decision explains itself and
names rule id and version), stored, announced (`CaseOpened`), and referred when a provider
rule applies. An imported register entry is then brought to its recorded final state.

`open_many` opens a run of received complaints with a few statements for the whole run (the
consumer's batch); a complaint referred by rule or imported from a register takes the
one-by-one path, `open_from_complaint`, in its turn, so the order of events is kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.envelope import Envelope
from klachtstroom.contracts.intake_events import ComplaintReceived
from klachtstroom.contracts.vocabulary import Handler, Kind, dutch
from klachtstroom.platform.db import insert_rows
from klachtstroom.platform.telemetry import propagating
from klachtstroom.routing.case.domain import Assign, Case, CaseEvent, JsonValue, Refer
from klachtstroom.routing.case.events import opened_payload
from klachtstroom.routing.case.lifecycle import open_case, with_decision_due
from klachtstroom.routing.casework.case_rows import append_history, case_values, history_values, new_row
from klachtstroom.routing.casework.imports import replay_imported
from klachtstroom.routing.casework.work import ROUTING_ACTOR, CaseWork
from klachtstroom.routing.rules.ruleset import KnownValues, RoutingDecision, RuleSet
from klachtstroom.routing.rules.versions import (
    current_rules,
    ensure_seeded,
    known_for,
    known_values,
    provider_names,
)
from klachtstroom.routing.tables import CaseRow, DeadlineRow, HistoryRow


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
    known = await known_values(session, work.settings, rules, received)
    term = await session.get(DeadlineRow, (received.complaint_id, "decision"))
    opening = decide_opening(received, rules, known, term.due if term is not None else None)
    case, decision = opening.case, opening.decision
    row = new_row(case, reference=received.reference, now=now, **opening.columns(received))
    session.add(row)
    await session.flush()
    await append_history(session, case.id, opening.entry(), now)
    await work.service.outbox.add(
        session,
        opened_payload(
            case,
            received.reference,
            decision,
            flagged=opening.flagged,
            reachable=received.complainant_reachable,
        ),
        subject=case.id,
    )
    quiet = received.imported is not None
    if not quiet:
        for hook in work.on_open:
            await hook(session, case, received.reference)
    if opening.by_provider:
        await _refer_by_rule(work, session, row, received, decision, quiet=quiet)
    if received.imported is not None:
        await replay_imported(work, session, row, received.imported)
    return row


@dataclass(frozen=True)
class Opening:
    """How a received complaint opens: its case, the routing decision and what it says."""

    case: Case
    decision: RoutingDecision
    explanation: str
    flagged: bool
    triage_check: float | None = None  # triage's confidence when a person must check it

    @property
    def by_provider(self) -> bool:
        """A provider rule applies: the complaint is referred at once (a transition)."""
        return self.decision.handler == Handler.provider and bool(self.decision.provider)

    def columns(self, received: ComplaintReceived) -> dict[str, Any]:
        """The case row's columns beyond the case itself."""
        return {
            "flagged": self.flagged,
            "rule_id": self.decision.rule_id,
            "rule_version": self.decision.rule_version,
            "routing_explanation": self.explanation,
            "complainant_id": received.complainant_id,
            "provider_may_contact": received.provider_may_contact,
        }

    def entry(self) -> CaseEvent:
        return _opened_entry(self.case, self.decision, self.explanation, self.flagged, self.triage_check)


def decide_opening(
    received: ComplaintReceived, rules: RuleSet, known: KnownValues, decision_due: date | None
) -> Opening:
    """Route a received complaint and build its new case (pure: no database)."""
    decision = rules.match(received, known=known)
    explanation = decision.explanation
    flagged = decision.flagged_unknown
    if received.kind != Kind.complaint:
        explanation = f"{explanation} {_not_a_complaint(received.kind)}"
        flagged = True
    triage_check = None
    if needs_triage_check(received):
        flagged = True  # routed with triage's best guess; the coordinator checks the classification
        triage_check = received.triage.confidence if received.triage is not None else None
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
        names_employee=received.names_employee,
        formal_requested=received.formal,
        handler=decision.handler,
        handler_name=decision.handler_name,
    )
    if decision_due is not None:  # a decision term may have been stored before the case
        case = with_decision_due(case, decision_due)  # (events of two topics race)
    return Opening(case, decision, explanation, flagged, triage_check)


async def open_many(
    work: CaseWork, session: AsyncSession, run: Sequence[tuple[Envelope, ComplaintReceived]]
) -> None:
    """Open the cases of a run of received complaints, in order, with a few statements.

    One query finds the cases that exist already (a replay), one the decision terms stored
    before their case; rules and the provider register are read once; the new cases and
    their first history entries are inserted together (seq 1: a new case has no history).
    """
    ids = list({received.complaint_id for _envelope, received in run})
    existing = set((await session.execute(select(CaseRow.id).where(CaseRow.id.in_(ids)))).scalars())
    found = await session.execute(
        select(DeadlineRow.case_id, DeadlineRow.due).where(
            DeadlineRow.kind == "decision", DeadlineRow.case_id.in_(ids)
        )
    )
    terms: dict[str, date] = {case_id: due for case_id, due in found}
    now = work.now()
    await ensure_seeded(session, work.settings, now)
    rules = await current_rules(session, work.settings)
    providers = await provider_names(session)
    cases: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for envelope, received in run:
        if received.complaint_id in existing:
            continue  # the same complaint again (e.g. a replay): the case is already there
        existing.add(received.complaint_id)
        with propagating(envelope.traceparent):
            known = known_for(work.settings, rules, received, providers)
            opening = decide_opening(received, rules, known, terms.get(received.complaint_id))
            if opening.by_provider or received.imported is not None:
                # A transition or a replayed register follows: the one-by-one path, in turn.
                await _insert(session, cases, history)
                await open_from_complaint(work, session, received)
                continue
            case = opening.case
            cases.append(
                case_values(
                    case, reference=received.reference, now=now, version=1, **opening.columns(received)
                )
            )
            history.append(history_values(case.id, 1, opening.entry(), now))
            await work.service.outbox.add(
                session,
                opened_payload(
                    case,
                    received.reference,
                    opening.decision,
                    flagged=opening.flagged,
                    reachable=received.complainant_reachable,
                ),
                subject=case.id,
            )
            for hook in work.on_open:
                await hook(session, case, received.reference)
    await _insert(session, cases, history)


async def _insert(session: AsyncSession, cases: list[dict[str, Any]], history: list[dict[str, Any]]) -> None:
    if cases:
        # Core inserts of the tables (not the ORM's bulk path): one executemany each.
        await insert_rows(session, cast(Table, CaseRow.__table__), cases)
        await insert_rows(session, cast(Table, HistoryRow.__table__), history)
        cases.clear()
        history.clear()


def needs_triage_check(received: ComplaintReceived) -> bool:
    """Triage was unsure and no person gave the kind and category: "controleer de indeling"."""
    given = received.kind_given and (received.category_given or received.kind != Kind.complaint)
    return received.triage is not None and received.triage.check and not given


def _opened_entry(
    case: Case,
    decision: RoutingDecision,
    explanation: str,
    flagged: bool,
    triage_confidence: float | None = None,
) -> CaseEvent:
    data: dict[str, JsonValue] = {
        "rule_id": decision.rule_id,
        "rule_version": decision.rule_version,
        "explanation": explanation,
        "flagged_for_coordinator": flagged,
        "unknown_fields": list(decision.unknown_fields),
        "precedence": decision.precedence,
        "handler": case.handler.value,
        "handler_name": case.handler_name,
    }
    if triage_confidence is not None:
        data["check_triage"] = {"confidence": triage_confidence}
    return CaseEvent(
        action="open",
        event_type="opened",
        at=case.received_at,
        actor=ROUTING_ACTOR,
        reason=None,
        data=data,
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
        command = Refer(at=at, actor=actor, provider=provider)
    await work.transition(session, row, command, quiet=quiet)
