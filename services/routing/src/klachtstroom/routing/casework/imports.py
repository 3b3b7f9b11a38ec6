"""A complaint from an imported register (handled before klachtstroom existed) is opened and
brought straight to its recorded final state, each step an ordinary event with its original
date, so reports count it like any other case.

An old register does not always follow today's guards (a decline later than 4 weeks, say);
such a step is recorded as it happened, marked `imported` and `outside_rules`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.intake_events import ImportedHistory
from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import DeclineGround, Handler, Outcome, Resolution
from klachtstroom.routing.case.domain import (
    Acknowledge,
    CaseEvent,
    CaseState,
    Command,
    Decline,
    Escalate,
    Hear,
    InvalidCommand,
    Refer,
    ReferOmbudsman,
    Resolve,
    TransitionForbidden,
    Withdraw,
    local_date,
)
from klachtstroom.routing.casework.case_rows import case_of
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.tables import CaseRow

log = logging.getLogger(__name__)

IMPORT_ACTOR = "import"
# The register does not say on which Awb 9:8 ground a complaint was declined; the event needs
# one. Marked `ground_recorded: false` so nobody reads it as a recorded ground.
UNRECORDED_GROUND = DeclineGround.already_handled


def _ground(imported: ImportedHistory) -> tuple[DeclineGround, bool]:
    named = imported.decline_ground()
    return (named, True) if named is not None else (UNRECORDED_GROUND, False)


def _at(value: datetime | None, fallback: datetime) -> datetime:
    return moment_of(value) if value is not None else fallback


def import_commands(imported: ImportedHistory, received_at: datetime, provider: str | None) -> list[Command]:
    """The commands that replay an imported history, in order, with their original dates."""
    steps: list[Command] = []
    actor = IMPORT_ACTOR
    if imported.handler == Handler.provider and provider:
        steps.append(Refer(at=received_at, actor=actor, provider=provider))
    if imported.acknowledged_at is not None:
        steps.append(Acknowledge(at=_at(imported.acknowledged_at, received_at), actor=actor))
    closed_at = _at(imported.resolved_at, _at(imported.acknowledged_at, received_at))
    final = imported.closing_state()
    if final == CaseState.withdrawn:
        steps.append(Withdraw(at=closed_at, actor=actor))
    elif final == CaseState.declined:
        steps.append(Decline(at=closed_at, actor=actor, reason=_ground(imported)[0]))
    elif final == CaseState.resolved:
        resolution = imported.resolution or Resolution.informal
        if resolution == Resolution.formal:
            # The old register records no hearing: taken as waived (Awb 9:10 lid 2), as before.
            steps.append(Escalate(at=closed_at, actor=actor))
            steps.append(Hear(at=closed_at, actor=actor, waived=True))
        outcome = imported.outcome or Outcome.no_judgement
        steps.append(
            Resolve(at=closed_at, actor=actor, outcome=outcome, resolution=resolution)
        )
    if imported.went_to_ombudsman():
        steps.append(ReferOmbudsman(at=closed_at, actor=actor))
    return steps


async def replay_imported(
    work: CaseWork, session: AsyncSession, row: CaseRow, imported: ImportedHistory
) -> None:
    case = case_of(row)
    provider = case.provider if case.state != CaseState.referred else None
    for command in import_commands(imported, case.received_at, provider):
        try:
            await work.transition(session, row, command, quiet=True)
        except (TransitionForbidden, InvalidCommand) as refused:
            if isinstance(command, Decline):
                await _record_decline(work, session, row, command, imported)
            else:
                log.warning("import: step %s skipped (%s)", command.action, type(refused).__name__)


async def _record_decline(
    work: CaseWork, session: AsyncSession, row: CaseRow, command: Decline, imported: ImportedHistory
) -> None:
    """Awb 9:8 asks for a decline within 4 weeks; the old register did it later. Record it."""
    before = case_of(row)
    ground, recorded = _ground(imported)
    case = replace(
        before,
        state=CaseState.declined,
        outcome=Outcome.inadmissible,
        resolution=None,
        resolved_on=local_date(command.at),
        suspended_from_state=None,
    )
    event = CaseEvent(
        action="decline",
        event_type="declined",
        at=command.at,
        actor=IMPORT_ACTOR,
        reason=ground.value,
        data={
            "from_state": before.state.value,
            "to_state": CaseState.declined.value,
            "ground": ground.value,
            "ground_recorded": recorded,
            "outcome": Outcome.inadmissible.value,
            "imported": True,
            "outside_rules": True,
        },
    )
    await work.record(session, row, before, case, event, quiet=True)
