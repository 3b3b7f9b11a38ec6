"""Scenario tests of the case lifecycle (Awb chapter 9), step by step as a case worker does it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from klachtstroom.contracts.vocabulary import Category, Channel, DeclineGround, Handler, Outcome, Resolution
from klachtstroom.routing.case.domain import (
    COMMANDS,
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
)
from klachtstroom.routing.case.lifecycle import allowed_actions, apply, open_case, with_decision_due

AMS = ZoneInfo("Europe/Amsterdam")
RECEIVED = datetime(2026, 3, 3, 10, 0, tzinfo=AMS)  # Tuesday 3 March 2026
CASE_EVENT_TYPES = {
    "opened", "assigned", "referred", "acknowledged", "provider_status", "hearing_held", "term_extended",
    "suspended", "resumed", "escalated_formal", "mediation_started", "resolved", "withdrawn", "declined",
    "reopened", "ombudsman_referred",
}  # fmt: skip


def day(n: int, hour: int = 11) -> datetime:
    """A moment n days after receipt."""
    return (RECEIVED + timedelta(days=n)).replace(hour=hour)


def new_case(**fields: object) -> Case:
    defaults: dict[str, object] = {"id": "c-1", "at": RECEIVED, "channel": Channel.phone}
    return open_case(**(defaults | fields))  # type: ignore[arg-type]


def run(case: Case, *commands: Command) -> Case:
    for command in commands:
        case, _ = apply(case, command)
    return case


def states(case: Case) -> list[str]:
    return [event.event_type for event in case.history]


# --- informal path ------------------------------------------------------------------------


def test_informal_path_ends_in_recorded_agreement() -> None:
    case = new_case(category=Category.conduct, unit="Inkomen")
    case, assigned = apply(case, Assign(at=day(0, 14), actor="kcc", handler_name="A. Bakker"))
    case, ack = apply(case, Acknowledge(at=day(2), actor="A. Bakker"))
    case = run(case, Mediate(at=day(3), actor="A. Bakker"))
    case, resolved = apply(
        case,
        Resolve(
            at=day(5),
            actor="A. Bakker",
            outcome=Outcome.mutual_agreement,
            resolution=Resolution.informal,
            summary="Excuses gemaakt; klager tevreden.",
        ),
    )
    assert case.state == CaseState.resolved
    assert case.outcome == Outcome.mutual_agreement and case.resolution == Resolution.informal
    assert case.resolved_on == date(2026, 3, 8)
    assert case.acknowledged_on == date(2026, 3, 5)
    assert states(case) == ["assigned", "acknowledged", "mediation_started", "resolved"]
    assert assigned.data["handler_name"] == "A. Bakker" and assigned.data["unit"] == "Inkomen"
    assert ack.data == {
        "from_state": "assigned",
        "to_state": "acknowledged",
        "acknowledged_on": "2026-03-05",
        "received_on": "2026-03-03",
    }
    assert resolved.data["summary"] == "Excuses gemaakt; klager tevreden."
    assert "hearing_note" not in resolved.data


def test_an_informally_handled_complaint_can_still_be_upheld() -> None:
    case = run(new_case(), Mediate(at=day(1), actor="x"))
    case, _ = apply(case, Resolve(at=day(2), actor="x", outcome="upheld", resolution="informal"))  # type: ignore[arg-type]
    assert (case.outcome, case.resolution) == (Outcome.upheld, Resolution.informal)


def test_kcc_quick_fix_resolves_straight_from_received() -> None:
    case, event = apply(
        new_case(),
        Resolve(at=day(0, 12), actor="kcc", outcome=Outcome.mutual_agreement, resolution=Resolution.informal),
    )
    assert case.state == CaseState.resolved and event.data["from_state"] == "received"


# --- formal path: 9:7 impartial handler, hearing, extension --------------------------------


def test_formal_path_with_hearing_and_extension() -> None:
    case = new_case(about_employee="P. Jansen", category=Category.conduct)
    case = run(case, Assign(at=day(0, 15), actor="coordinator", handler_name="P. Jansen"))
    # Awb 9:7: the person complained about may not handle it formally.
    with pytest.raises(TransitionForbidden, match="9:7"):
        apply(case, Escalate(at=day(3), actor="coordinator"))
    with pytest.raises(InvalidCommand) as bad:
        apply(case, Escalate(at=day(3), actor="coordinator", handler_name=" p. jansen "))
    assert bad.value.field == "handler_name"

    case, escalated = apply(
        case, Escalate(at=day(3), actor="coordinator", handler_name="M. de Vries", advisory_committee=True)
    )
    assert case.state == CaseState.formal and case.handler_name == "M. de Vries" and case.advisory_committee
    assert escalated.event_type == "escalated_formal"
    with pytest.raises(InvalidCommand, match="9:7"):
        apply(case, Assign(at=day(4), actor="coordinator", handler_name="P. Jansen"))

    case, heard = apply(case, Hear(at=day(20), actor="M. de Vries", report="Beide kanten gehoord."))
    assert case.hearing_held and heard.event_type == "hearing_held"

    case = with_decision_due(case, date(2026, 5, 12))  # 10 weeks, from the deadlines service
    case, extended = apply(
        case, Extend(at=day(60), actor="M. de Vries", weeks=4, reason="Advies commissie volgt later.")
    )
    assert (case.extended_weeks, case.extensions_used) == (4, 1)
    assert extended.event_type == "term_extended" and extended.data["previous_due"] == "2026-05-12"
    # Awb 9:11 lid 2: only one postponement.
    with pytest.raises(TransitionForbidden, match="al eens verdaagd"):
        apply(case, Extend(at=day(61), actor="M. de Vries", weeks=1, reason="nog langer"))

    case, resolved = apply(
        case,
        Resolve(at=day(80), actor="M. de Vries", outcome=Outcome.partly_upheld, resolution=Resolution.formal),
    )
    assert case.state == CaseState.resolved and case.resolution == Resolution.formal
    assert resolved.data["hearing_held"] is True and "hearing_note" not in resolved.data
    assert len(case.history) == 5


def test_formal_resolve_needs_a_hearing_or_a_recorded_waiver() -> None:
    """Awb 9:10 lid 2: no formal outcome without hearing, unless the complainant waived it."""
    formal = Resolve(at=day(9), actor="c", outcome=Outcome.not_upheld, resolution=Resolution.formal)
    with pytest.raises(TransitionForbidden, match="9:10"):
        apply(new_case(), formal)  # straight from "received"
    case = run(new_case(), Escalate(at=day(1), actor="c", handler_name="M. de Vries"))
    with pytest.raises(TransitionForbidden, match="waived"):
        apply(case, formal)
    waiver, event = apply(case, Hear(at=day(3), actor="c", waived=True))
    assert waiver.hearing_waived and not waiver.hearing_held and event.data["waived"] is True
    resolved, decided = apply(waiver, formal)
    assert resolved.state == CaseState.resolved and decided.data["hearing_waived"] is True
    # The waiver may also be recorded with the decision itself.
    _, at_once = apply(case, replace(formal, hearing_waived=True))
    assert at_once.data["hearing_waived"] is True and "hearing_note" not in at_once.data


def test_formal_resolution_without_escalation_is_recorded_and_noted() -> None:
    # Registration follows what happened (e.g. a formal outcome decided in another system).
    case = run(new_case(), Mediate(at=day(1), actor="c"))
    formal = Resolve(
        at=day(2), actor="c", outcome=Outcome.upheld, resolution=Resolution.formal, hearing_waived=True
    )
    case, event = apply(case, formal)
    assert case.resolution == Resolution.formal
    assert event.data["formal_without_escalation"] is True


def test_hearing_belongs_to_formal_handling() -> None:
    with pytest.raises(TransitionForbidden, match="horen"):
        apply(new_case(), Hear(at=day(1), actor="c", report="verslag"))
    case = run(new_case(), Escalate(at=day(1), actor="c"))
    with pytest.raises(InvalidCommand) as bad:
        apply(case, Hear(at=day(2), actor="c", report="verslag", waived=True))
    assert bad.value.field == "waived"


def test_a_hearing_without_report_is_flagged_until_the_report_is_added() -> None:
    """Awb 9:10 lid 3: the report may follow the hearing; until then the case is flagged."""
    case = run(new_case(), Escalate(at=day(1), actor="c"))
    heard, event = apply(case, Hear(at=day(5), actor="c", report="  "))
    assert heard.hearing_held and heard.hearing_report_missing
    assert event.data["report_missing"] is True and "report" not in event.data
    formal = Resolve(at=day(9), actor="c", outcome=Outcome.upheld, resolution=Resolution.formal)
    resolved, _ = apply(heard, formal)  # heard: the decision may follow, the flag stays
    assert resolved.hearing_report_missing
    completed, added = apply(resolved, Hear(at=day(10), actor="c", report="Verslag van 8 maart."))
    assert not completed.hearing_report_missing and completed.state == CaseState.resolved
    assert added.data["report_added"] is True
    with pytest.raises(TransitionForbidden, match="gesloten"):
        apply(completed, Hear(at=day(11), actor="c", report="nog een"))


def test_a_second_postponement_needs_the_complainants_written_consent() -> None:
    """Awb 9:11 lid 2: once at most 4 weeks; further (or longer) only with written consent."""
    case = run(new_case(), Escalate(at=day(1), actor="c"), Extend(at=day(2), actor="c", weeks=4, reason="r"))
    with pytest.raises(TransitionForbidden, match="schriftelijke instemming") as refused:
        apply(case, Extend(at=day(3), actor="c", weeks=2, reason="nog meer tijd"))
    assert "consent" in refused.value.reason
    longer, event = apply(case, Extend(at=day(3), actor="c", weeks=6, reason="deskundige", consent=True))
    assert longer.extended_weeks == 10 and longer.extensions_used == 2
    assert event.data["consent"] is True and event.data["weeks"] == 6


@pytest.mark.parametrize(
    ("weeks", "reason", "field"),
    [(5, "r", "weeks"), (0, "r", "weeks"), (True, "r", "weeks"), (2, None, "reason"), (2, " ", "reason")],
)
def test_extension_needs_one_to_four_weeks_and_a_reason(weeks: int, reason: str | None, field: str) -> None:
    case = run(new_case(), Escalate(at=day(1), actor="c"))
    with pytest.raises(InvalidCommand) as bad:
        apply(case, Extend(at=day(2), actor="c", weeks=weeks, reason=reason))
    assert bad.value.field == field


def test_extension_must_come_before_the_term_ends() -> None:
    case = with_decision_due(run(new_case(), Escalate(at=day(1), actor="c")), date(2026, 4, 14))
    on_due_date = datetime(2026, 4, 14, 16, 0, tzinfo=AMS)
    extended, _ = apply(case, Extend(at=on_due_date, actor="c", weeks=2, reason="drukte"))
    assert extended.extended_weeks == 2
    with pytest.raises(TransitionForbidden, match="14 april 2026"):
        apply(case, Extend(at=on_due_date + timedelta(days=1), actor="c", weeks=2, reason="drukte"))
    # Unknown due date (deadlines service not heard yet): allowed.
    unknown_due = with_decision_due(case, None)
    assert apply(unknown_due, Extend(at=day(100), actor="c", weeks=1, reason="r"))[0].extensions_used == 1


# --- suspension -----------------------------------------------------------------------------


def test_suspend_and_resume_return_to_the_same_handling() -> None:
    case = run(new_case(), Escalate(at=day(1), actor="c"))
    case, suspended = apply(case, Suspend(at=day(5), actor="c", reason="Wacht op stukken van klager."))
    assert case.state == CaseState.suspended and case.suspended_from_state == CaseState.formal
    assert suspended.reason == "Wacht op stukken van klager."
    with pytest.raises(TransitionForbidden, match="Hervat"):
        apply(case, Resolve(at=day(6), actor="c", outcome=Outcome.upheld, resolution=Resolution.formal))
    with pytest.raises(TransitionForbidden):
        apply(case, Suspend(at=day(6), actor="c", reason="nog eens"))
    case, resumed = apply(case, Resume(at=day(12), actor="c"))
    assert case.state == CaseState.formal and case.suspended_from_state is None
    assert resumed.data["resumed_to"] == "formal"


def test_suspend_needs_a_reason_and_resume_needs_a_suspension() -> None:
    with pytest.raises(InvalidCommand) as bad:
        apply(new_case(), Suspend(at=day(1), actor="c"))
    assert bad.value.field == "reason"
    with pytest.raises(TransitionForbidden):
        apply(new_case(), Resume(at=day(1), actor="c"))


# --- declining (Awb 9:8) --------------------------------------------------------------------


def test_decline_within_four_weeks_of_receipt() -> None:
    case = run(new_case(), Assign(at=day(1), actor="c", handler_name="A"))
    decline = Decline(at=day(28, 17), actor="c", reason=DeclineGround.older_than_one_year)
    declined, event = apply(case, decline)
    assert declined.state == CaseState.declined and declined.outcome == Outcome.inadmissible
    assert declined.resolution is None and declined.resolved_on == date(2026, 3, 31)
    assert event.event_type == "declined" and event.data["ground"] == "older_than_one_year"
    assert event.reason == "older_than_one_year"


def test_decline_after_four_weeks_is_forbidden() -> None:
    with pytest.raises(TransitionForbidden, match="4 weken"):
        apply(new_case(), Decline(at=day(29), actor="c", reason=DeclineGround.too_small_interest))


def test_decline_needs_a_9_8_ground_and_comes_before_handling() -> None:
    with pytest.raises(InvalidCommand) as bad:
        apply(new_case(), Decline(at=day(1), actor="c", reason="geen zin"))  # type: ignore[arg-type]
    assert bad.value.field == "reason"
    informal = run(new_case(), Mediate(at=day(1), actor="c"))
    with pytest.raises(TransitionForbidden):
        apply(informal, Decline(at=day(2), actor="c", reason=DeclineGround.already_handled))


# --- withdraw, reopen, ombudsman ------------------------------------------------------------


def test_withdraw_from_any_open_state_even_suspended() -> None:
    case = run(new_case(), Escalate(at=day(1), actor="c"), Suspend(at=day(2), actor="c", reason="wacht"))
    case, event = apply(case, Withdraw(at=day(3), actor="kcc", reason="Klager ziet ervan af."))
    assert case.state == CaseState.withdrawn and case.outcome == Outcome.withdrawn
    assert case.suspended_from_state is None and event.event_type == "withdrawn"
    with pytest.raises(TransitionForbidden, match="gesloten"):
        apply(case, Withdraw(at=day(4), actor="kcc"))


def test_reopen_goes_back_to_handling_and_clears_the_decision() -> None:
    resolved = run(
        new_case(),
        Assign(at=day(1), actor="c", handler_name="A"),
        Resolve(at=day(3), actor="A", outcome=Outcome.not_upheld, resolution=Resolution.informal),
    )
    case, event = apply(resolved, Reopen(at=day(10), actor="c", reason="Nieuwe feiten."))
    assert case.state == CaseState.assigned and case.reopened_count == 1
    assert (case.outcome, case.resolution, case.resolved_on) == (None, None, None)
    assert event.data["previous_outcome"] == "not_upheld"
    # Without a handler the case goes back to the coordinator's queue.
    withdrawn = run(new_case(), Withdraw(at=day(1), actor="kcc"))
    assert apply(withdrawn, Reopen(at=day(2), actor="c"))[0].state == CaseState.received
    with pytest.raises(TransitionForbidden):
        apply(case, Reopen(at=day(11), actor="c"))


def test_ombudsman_only_after_a_decision() -> None:
    with pytest.raises(TransitionForbidden, match="beslissing"):
        apply(run(new_case(), Mediate(at=day(1), actor="c")), ReferOmbudsman(at=day(2), actor="c"))
    withdrawn = run(new_case(), Withdraw(at=day(1), actor="c"))
    with pytest.raises(TransitionForbidden):
        apply(withdrawn, ReferOmbudsman(at=day(2), actor="c"))

    resolved = run(
        new_case(),
        Escalate(at=day(1), actor="c"),
        Hear(at=day(20), actor="c", report="Beide kanten gehoord."),
        Resolve(at=day(30), actor="c", outcome=Outcome.not_upheld, resolution=Resolution.formal),
    )
    case, event = apply(resolved, ReferOmbudsman(at=day(60), actor="c"))
    assert case.state == CaseState.ombudsman and case.ombudsman_referred
    assert case.outcome == Outcome.not_upheld  # the decision stays on record
    assert event.data["within_one_year"] is True and event.event_type == "ombudsman_referred"
    declined = run(new_case(), Decline(at=day(3), actor="c", reason=DeclineGround.objection_possible))
    assert apply(declined, ReferOmbudsman(at=day(10), actor="c"))[0].state == CaseState.ombudsman
    # The ombudsman may recommend another look: reopening keeps the fact of the referral.
    reopened, _ = apply(case, Reopen(at=day(200), actor="c"))
    assert reopened.ombudsman_referred and reopened.state == CaseState.received


# --- providers: first line, status reports, second line -------------------------------------


def test_referral_to_provider_and_its_status_reports() -> None:
    case, referred = apply(
        new_case(), Refer(at=day(0, 12), actor="kcc", provider="Zorg BV", note="Warme overdracht.")
    )
    assert case.state == CaseState.referred and case.handler == Handler.provider
    assert case.provider == "Zorg BV" and referred.event_type == "referred"
    case = run(case, Acknowledge(at=day(2), actor="Zorg BV"))
    assert case.state == CaseState.referred and case.acknowledged_on == date(2026, 3, 5)
    case = run(case, ReportProviderStatus(at=day(3), actor="Zorg BV", status=ProviderStatus.registered))
    with pytest.raises(InvalidCommand) as bad:
        apply(case, ReportProviderStatus(at=day(9), actor="Zorg BV", status=ProviderStatus.resolved))
    assert bad.value.field == "outcome"
    case, done = apply(
        case,
        ReportProviderStatus(
            at=day(20), actor="Zorg BV", status=ProviderStatus.resolved, outcome=Outcome.partly_upheld
        ),
    )
    assert case.state == CaseState.resolved and case.resolution == Resolution.informal
    assert done.event_type == "provider_status" and done.data["status"] == "resolved"
    case, measures = apply(
        case,
        ReportProviderStatus(at=day(40), actor="Zorg BV", status="measures", measures="Scholing team."),  # type: ignore[arg-type]
    )
    assert measures.data["measures"] == "Scholing team." and case.state == CaseState.resolved
    with pytest.raises(TransitionForbidden, match="maatregelen"):
        apply(case, ReportProviderStatus(at=day(41), actor="Zorg BV", status=ProviderStatus.in_handling))
    # Reopened (complainant unhappy with the provider): back to the provider's queue.
    assert apply(case, Reopen(at=day(50), actor="c"))[0].state == CaseState.referred


def test_provider_status_only_for_provider_cases() -> None:
    resolved = run(
        new_case(), Resolve(at=day(1), actor="c", outcome=Outcome.upheld, resolution=Resolution.informal)
    )
    with pytest.raises(TransitionForbidden, match="zorgaanbieder"):
        apply(resolved, ReportProviderStatus(at=day(2), actor="p", status="measures", measures="m"))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [TakeOver, Assign])
def test_municipality_takes_over_a_referred_case_as_second_line(command: type[TakeOver]) -> None:
    case = run(new_case(unit="Wmo"), Refer(at=day(1), actor="kcc", provider="Zorg BV"))
    case, event = apply(case, command(at=day(8), actor="coordinator", handler_name="M. de Vries"))
    assert case.state == CaseState.assigned and case.handler == Handler.municipality
    assert case.provider == "Zorg BV"  # the complaint is still about the provider
    assert event.event_type == "assigned" and event.data["second_line"] is True
    with pytest.raises(TransitionForbidden):
        apply(case, TakeOver(at=day(9), actor="c", handler_name="X"))


def test_assign_to_a_provider_contact_is_a_referral() -> None:
    case, event = apply(new_case(), Assign(at=day(1), actor="c", handler_name="J. Smit", provider="Zorg BV"))
    assert case.state == CaseState.referred and case.handler == Handler.provider
    assert event.action == "assign" and event.event_type == "referred"


# --- time, errors, history ------------------------------------------------------------------


def test_at_before_the_day_of_receipt_is_invalid_and_changes_nothing() -> None:
    case = new_case()
    with pytest.raises(InvalidCommand) as bad:
        apply(case, Acknowledge(at=datetime(2026, 3, 2, 23, 59, tzinfo=AMS), actor="c"))
    assert bad.value.field == "at" and "3 maart 2026" in bad.value.message
    assert case.history == () and case.state == CaseState.received


def test_an_action_on_the_day_of_receipt_is_accepted_whatever_the_hour() -> None:
    """Compared by Dutch day: on the day of receipt an action is never "before receipt"; its
    history entry is not earlier than the receipt itself."""
    case = new_case()  # received 10:00
    acked, event = apply(case, Acknowledge(at=RECEIVED - timedelta(hours=2), actor="c"))
    assert acked.acknowledged_on == date(2026, 3, 3)
    assert event.at == RECEIVED


def test_a_date_only_receipt_starts_at_the_beginning_of_that_dutch_day() -> None:
    """KCC registers a call with today's date only: an action at 00:30 that day is accepted."""
    from klachtstroom.contracts.timekeeping import moment_of

    received = moment_of(date(2026, 12, 6))
    assert received == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)  # 01:00 in Amsterdam
    case = new_case(at=received)
    assert case.received_on == date(2026, 12, 6)
    assigned, _ = apply(
        case, Assign(at=datetime(2026, 12, 6, 0, 30, tzinfo=AMS), actor="kcc", handler_name="A. Bakker")
    )
    assert assigned.state == CaseState.assigned
    acked, _ = apply(assigned, Acknowledge(at=moment_of(date(2026, 12, 6)), actor="kcc"))
    assert acked.acknowledged_on == date(2026, 12, 6)


def test_naive_times_are_dutch_local_time_and_dates_follow_the_dutch_calendar() -> None:
    late_evening_utc = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # 00:30 on 4 March in Amsterdam
    case = new_case(at=late_evening_utc)
    assert case.received_on == date(2026, 3, 4)
    with pytest.raises(InvalidCommand):
        apply(case, Acknowledge(at=datetime(2026, 3, 3, 23, 55), actor="c"))  # 3 March, Dutch time
    acked, _ = apply(case, Acknowledge(at=datetime(2026, 3, 4, 0, 45), actor="c"))
    assert acked.acknowledged_on == date(2026, 3, 4)


def test_actor_is_required_and_acknowledge_happens_once() -> None:
    with pytest.raises(InvalidCommand) as bad:
        apply(new_case(), Acknowledge(at=day(1), actor=" "))
    assert bad.value.field == "actor"
    case = run(new_case(), Acknowledge(at=day(1), actor="c"))
    with pytest.raises(TransitionForbidden, match="ontvangst bevestigd"):
        apply(case, Acknowledge(at=day(2), actor="c"))
    # A provider keeps the case in `referred` while confirming; a second confirmation is refused.
    refer = Refer(at=day(1), actor="kcc", provider="Zorg BV")
    case = run(new_case(), refer, Acknowledge(at=day(1), actor="p"))
    with pytest.raises(TransitionForbidden, match="al bevestigd"):
        apply(case, Acknowledge(at=day(2), actor="c"))


def test_resolve_refuses_an_unknown_outcome() -> None:
    with pytest.raises(InvalidCommand) as bad:
        apply(new_case(), Resolve(at=day(1), actor="c", outcome="gewonnen", resolution=Resolution.informal))
    assert bad.value.field == "outcome"


@pytest.mark.parametrize("outcome", [Outcome.withdrawn, Outcome.inadmissible])
def test_resolve_records_outcomes_that_have_their_own_action_with_a_note(outcome: Outcome) -> None:
    case, event = apply(
        new_case(), Resolve(at=day(1), actor="c", outcome=outcome, resolution=Resolution.informal)
    )
    assert case.outcome == outcome
    assert "outcome_note" in event.data


def test_open_case_rejects_unknown_vocabulary_with_a_dutch_hint() -> None:
    with pytest.raises(InvalidCommand) as bad:
        new_case(channel="fax")
    assert bad.value.field == "channel" and "Telefoon" in bad.value.message


def test_history_events_are_json_safe_and_use_the_case_topic_event_types() -> None:
    case = run(
        new_case(),
        Refer(at=day(1), actor="kcc", provider="Zorg BV"),
        Escalate(at=day(2), actor="c", handler_name="M"),
        Hear(at=day(3), actor="c", report="r"),
        Extend(at=day(4), actor="c", weeks=3, reason="r"),
        Suspend(at=day(5), actor="c", reason="r"),
        Resume(at=day(6), actor="c"),
        Resolve(at=day(7), actor="c", outcome=Outcome.upheld, resolution=Resolution.formal),
        ReferOmbudsman(at=day(8), actor="c"),
        Reopen(at=day(9), actor="c"),
    )
    for event in case.history:
        assert isinstance(event, CaseEvent)
        assert event.event_type in CASE_EVENT_TYPES
        json.dumps(event.data)
    assert states(case)[-1] == "reopened" and len(case.history) == 9


def test_transition_table_covers_every_action_and_names_only_known_states() -> None:
    actions = set(COMMANDS)
    assert actions <= set(TRANSITIONS)
    for allowed in TRANSITIONS.values():
        assert set(allowed) <= set(CaseState)
    # Closed states only accept reopen, ombudsman referral and provider measures.
    for state in (CaseState.withdrawn, CaseState.ombudsman):
        assert allowed_actions(replace(new_case(), state=state)) == ["reopen"]
    assert allowed_actions(replace(new_case(), state=CaseState.resolved)) == [
        "hear",  # only to add a missing hearing report
        "provider_status",
        "refer_ombudsman",
        "reopen",
    ]


def test_an_unregistered_provider_is_flagged_for_the_coordinator() -> None:
    from klachtstroom.routing.case.flags import case_flags

    case = new_case(provider="Onbekend Zorghuis")
    flags = case_flags(case, routed_by_person=True, opened=None, provider_registered=False)
    assert [f.kind for f in flags] == ["unregistered_provider"] and "Onbekend Zorghuis" in flags[0].text
    assert case_flags(case, routed_by_person=True, opened=None, provider_registered=True) == []
