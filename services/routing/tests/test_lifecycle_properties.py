"""Property tests: whatever case workers, providers and clocks throw at a case, it never
reaches an illegal state, and a refused command changes nothing."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from klachtstroom.contracts.vocabulary import Channel, DeclineGround, Handler, Outcome, Resolution
from klachtstroom.routing.case.domain import (
    ACTIVE_STATES,
    CLOSED_STATES,
    OPEN_STATES,
    Acknowledge,
    Assign,
    Case,
    CaseState,
    Command,
    Decline,
    Escalate,
    Extend,
    Hear,
    InvalidCommand,
    Mediate,
    ProviderStatus,
    Refer,
    ReferOmbudsman,
    Reopen,
    ReportProviderStatus,
    Resolve,
    Resume,
    Suspend,
    TakeOver,
    TransitionForbidden,
    Withdraw,
    same_person,
)
from klachtstroom.routing.case.lifecycle import apply, open_case, with_decision_due

RECEIVED = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
ABOUT = "P. Jansen"
# Mostly valid values, so cases travel far; some invalid ones (blank, unknown, the person
# complained about in another spelling), which must be refused without changing anything.
names = st.sampled_from(["M. de Vries", "A. Bakker", "M. de Vries", ABOUT, "p. jansen ", " "])
optional_names = st.none() | names
texts = st.sampled_from(["Wacht op stukken.", "Verslag van het horen.", "Reden.", None, "  "])
providers = st.sampled_from(["Zorg BV", "Thuishulp Oost", None, ""])
# Mostly within the first weeks, sometimes much later or before receipt (must be refused).
moments = st.one_of(st.integers(min_value=0, max_value=35), st.integers(min_value=-3, max_value=400)).map(
    lambda d: RECEIVED + timedelta(days=d, hours=d % 7)
)
decided = [Outcome.upheld, Outcome.partly_upheld, Outcome.not_upheld, Outcome.mutual_agreement]
outcomes = st.sampled_from([*decided, Outcome.no_judgement, Outcome.withdrawn, "gewonnen"])
resolutions = st.sampled_from([Resolution.informal, Resolution.formal, Resolution.formal, "half"])


@dataclass(frozen=True)
class SetDecisionDue:
    """Not a command: the deadlines service telling routing the decision due date."""

    due: date | None


def _command(cls: type[Command], **fields: st.SearchStrategy[object]) -> st.SearchStrategy[Command]:
    actors = st.sampled_from(["kcc", "coordinator", "Zorg BV", ""])
    return st.builds(cls, at=moments, actor=actors, **({"reason": texts} | fields))


commands = st.one_of(
    _command(Assign, handler_name=names, unit=st.none() | st.just("Inkomen"), provider=providers),
    _command(TakeOver, handler_name=names),
    _command(Refer, provider=providers, note=texts),
    _command(Acknowledge),
    _command(Hear, report=texts),
    _command(Extend, weeks=st.integers(min_value=-1, max_value=6)),
    _command(Suspend),
    _command(Resume),
    _command(Escalate, advisory_committee=st.booleans(), handler_name=optional_names),
    _command(Mediate),
    _command(Resolve, outcome=outcomes, resolution=resolutions, summary=texts, hearing_waived=st.booleans()),
    _command(Withdraw),
    _command(Decline, reason=st.sampled_from([*DeclineGround, "geen zin"]), explanation=texts),
    _command(Reopen),
    _command(ReferOmbudsman),
    _command(
        ReportProviderStatus,
        status=st.sampled_from([*ProviderStatus, ProviderStatus.resolved, "kwijt"]),
        outcome=st.none() | outcomes,
        resolution=st.none() | resolutions,
        measures=texts,
    ),
)
steps = st.lists(
    commands | st.builds(SetDecisionDue, st.none() | st.dates(date(2026, 3, 1), date(2027, 6, 1))),
    max_size=40,
)
cases = st.builds(
    open_case,
    id=st.just("c-1"),
    at=st.just(RECEIVED),
    channel=st.sampled_from(Channel),
    about_employee=st.sampled_from([None, ABOUT]),
    handler_name=optional_names,
    provider=providers,
)


def check_invariants(case: Case, accepted: int) -> None:
    assert case.state in set(CaseState)
    # History: one entry per accepted command, and it tells the current state.
    assert len(case.history) == accepted
    if case.history:
        assert case.history[-1].data["to_state"] == case.state.value
    for event in case.history:
        json.dumps(event.data)
    # Closed states carry their outcome; open states carry none.
    if case.state in CLOSED_STATES:
        assert case.outcome is not None and case.resolved_on is not None
    else:
        assert case.outcome is None and case.resolved_on is None and case.resolution is None
    if case.state == CaseState.declined:
        assert case.outcome == Outcome.inadmissible
    if case.state == CaseState.withdrawn:
        assert case.outcome == Outcome.withdrawn
    if case.state == CaseState.resolved and case.outcome in (Outcome.withdrawn, Outcome.inadmissible):
        # Recorded as given through 'resolve', and noted in the event.
        resolves = [e for e in case.history if e.event_type == "resolved"]
        assert resolves and "outcome_note" in resolves[-1].data
        assert case.resolution is not None
    # Awb 9:11 lid 2: one postponement of at most 4 weeks.
    assert case.extensions_used <= 1 and 0 <= case.extended_weeks <= 4
    assert (case.extended_weeks == 0) == (case.extensions_used == 0)
    # Awb 9:7: the person complained about never handles the formal complaint.
    if case.state == CaseState.formal or case.suspended_from_state == CaseState.formal:
        assert not same_person(case.handler_name, case.about_employee)
    # Suspension remembers where handling resumes, and nothing else does.
    if case.state == CaseState.suspended:
        assert case.suspended_from_state in ACTIVE_STATES
    else:
        assert case.suspended_from_state is None
    # The ombudsman only after a decision.
    if case.state == CaseState.ombudsman:
        assert case.ombudsman_referred
        assert case.history[-1].data["from_state"] in ("resolved", "declined")
    formal_decision = case.resolution == Resolution.formal and case.state == CaseState.resolved
    if formal_decision and case.handler == Handler.municipality:
        resolves = [e for e in case.history if e.event_type == "resolved"]
        assert any(e.event_type == "escalated_formal" for e in case.history) or (
            resolves and resolves[-1].data.get("formal_without_escalation")
        )
    if case.state == CaseState.referred:
        assert case.handler == Handler.provider and case.provider
    # Awb 9:8: declining only within 4 weeks of receipt.
    for event in case.history:
        if event.event_type == "declined":
            assert (event.at.date() - case.received_on).days <= 28


def play(case: Case, step_list: list[Command | SetDecisionDue]) -> tuple[Case, int]:
    accepted = 0
    check_invariants(case, accepted)
    for step in step_list:
        if isinstance(step, SetDecisionDue):
            case = with_decision_due(case, step.due)
            continue
        before = case
        try:
            case, event = apply(case, step)
        except (TransitionForbidden, InvalidCommand) as refused:
            assert case is before and case == before  # nothing changed
            message = refused.reason if isinstance(refused, TransitionForbidden) else refused.message
            assert message.strip()
        else:
            accepted += 1
            assert event is case.history[-1] and event.at == step.at
            # `hear` after a decision only adds a missing hearing report (Awb 9:10 lid 3).
            after_decision = ("reopen", "refer_ombudsman", "provider_status", "hear")
            assert before.state in OPEN_STATES or step.action in after_decision
        check_invariants(case, accepted)
    return case, accepted


@settings(max_examples=400, deadline=None)
@given(case=cases, step_list=steps)
def test_no_sequence_of_commands_reaches_an_illegal_state(
    case: Case, step_list: list[Command | SetDecisionDue]
) -> None:
    play(case, step_list)


@settings(max_examples=100, deadline=None)
@given(case=cases, step_list=steps)
def test_replaying_the_same_commands_gives_the_same_case(
    case: Case, step_list: list[Command | SetDecisionDue]
) -> None:
    assert play(case, step_list) == play(case, step_list)


@settings(max_examples=200, deadline=None)
@given(case=cases, step_list=steps, extra=commands)
def test_a_refused_command_leaves_the_case_exactly_as_it_was(
    case: Case, step_list: list[Command | SetDecisionDue], extra: Command
) -> None:
    case, _ = play(case, step_list)
    snapshot = repr(case)
    with contextlib.suppress(TransitionForbidden, InvalidCommand):
        apply(case, extra)
    assert repr(case) == snapshot
