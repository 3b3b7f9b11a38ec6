"""Scenario tests for the terms of a case (Awb chapter 9 and the seed municipal practice).

The standard case is received on Tuesday 3 March 2026:
contact due Tue 10 Mar (5 working days), decline due Tue 31 Mar (4 weeks), decision due
Tue 14 Apr (6 weeks) — none of these dates moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar
from klachtstroom.deadlines.terms.compute import (
    Acknowledged,
    CaseFact,
    CaseOpened,
    Declined,
    EscalatedFormal,
    Extended,
    HandledAsComplaint,
    NoComplaintTerms,
    ProviderResponded,
    Referred,
    Reopened,
    Resolved,
    Resumed,
    Suspended,
    TakenBack,
    Term,
    TermError,
    TermPolicy,
    Withdrawn,
    compute_terms,
    provider_report_dates,
    warning_date,
)

CAL = TermijnenwetCalendar()
POLICY = TermPolicy()
RECEIVED = date(2026, 3, 3)
OPENED = CaseOpened(received_on=RECEIVED)
S = DeadlineState


def terms(facts: Sequence[CaseFact], today: date) -> dict[DeadlineKind, Term]:
    result = compute_terms(facts, POLICY, CAL, today)
    return {t.kind: t for t in result}


def providers(facts: Sequence[CaseFact], today: date) -> list[Term]:
    return [t for t in compute_terms(facts, POLICY, CAL, today) if t.kind is DeadlineKind.provider_response]


# -- a new case ---------------------------------------------------------------------------------


def test_new_case_has_contact_decision_and_decline_terms() -> None:
    t = terms([OPENED], today=RECEIVED)
    assert list(t) == [DeadlineKind.contact, DeadlineKind.decision, DeadlineKind.decline]
    assert (t[DeadlineKind.contact].start, t[DeadlineKind.contact].due) == (RECEIVED, date(2026, 3, 10))
    assert t[DeadlineKind.decision].due == date(2026, 4, 14)
    assert t[DeadlineKind.decline].due == date(2026, 3, 31)
    assert all(term.state is S.running for term in t.values())


def test_decision_term_explains_itself_in_dutch() -> None:
    explanation = terms([OPENED], today=RECEIVED)[DeadlineKind.decision].explanation
    assert explanation == [
        "Beslistermijn: 6 weken na ontvangst (Awb 9:11 lid 1)",
        "Start: dinsdag 3 maart 2026",
        "+ 6 weken = dinsdag 14 april 2026",
        "Einddatum: dinsdag 14 april 2026",
    ]


def test_first_fact_must_open_the_case() -> None:
    with pytest.raises(TermError):
        compute_terms([Acknowledged(RECEIVED)], POLICY, CAL, RECEIVED)
    with pytest.raises(TermError):
        compute_terms([OPENED, OPENED], POLICY, CAL, RECEIVED)


def test_replay_is_deterministic() -> None:
    facts = [OPENED, Acknowledged(date(2026, 3, 5)), Suspended(date(2026, 3, 10)), Resumed(date(2026, 3, 20))]
    assert compute_terms(facts, POLICY, CAL, date(2026, 4, 1)) == compute_terms(
        facts, POLICY, CAL, date(2026, 4, 1)
    )


# -- contact ------------------------------------------------------------------------------------


def test_contact_met_on_the_due_date() -> None:
    contact = terms([OPENED, Acknowledged(date(2026, 3, 10))], today=date(2026, 3, 20))[DeadlineKind.contact]
    assert (contact.state, contact.met_on) == (S.met, date(2026, 3, 10))


def test_contact_acknowledged_late_stays_breached() -> None:
    contact = terms([OPENED, Acknowledged(date(2026, 3, 11))], today=date(2026, 3, 20))[DeadlineKind.contact]
    assert (contact.state, contact.met_on) == (S.breached, date(2026, 3, 11))


def test_contact_breached_when_the_day_passes_without_contact() -> None:
    assert terms([OPENED], today=date(2026, 3, 10))[DeadlineKind.contact].state is S.running
    contact = terms([OPENED], today=date(2026, 3, 11))[DeadlineKind.contact]
    assert (contact.state, contact.met_on) == (S.breached, None)


def test_contact_counts_working_days_over_christmas() -> None:
    # Wed 24 Dec 2025 + 5 working days = Tue 6 Jan 2026 (25/26 Dec, 1 Jan, 2 Jan decree skipped).
    contact = terms([CaseOpened(date(2025, 12, 24))], today=date(2025, 12, 24))[DeadlineKind.contact]
    assert contact.due == date(2026, 1, 6)


def test_contact_cancelled_by_withdrawal_or_decline_before_contact() -> None:
    for ending in (Withdrawn(date(2026, 3, 5)), Declined(date(2026, 3, 6))):
        contact = terms([OPENED, ending], today=date(2026, 4, 1))[DeadlineKind.contact]
        assert (contact.state, contact.met_on) == (S.cancelled, None)


def test_resolution_counts_as_contact() -> None:
    contact = terms([OPENED, Resolved(date(2026, 3, 6))], today=date(2026, 4, 1))[DeadlineKind.contact]
    assert (contact.state, contact.met_on) == (S.met, date(2026, 3, 6))


# -- decision -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolved_on", "state"),
    [(date(2026, 4, 14), S.met), (date(2026, 4, 15), S.breached)],
)
def test_decision_met_or_breached_by_resolution(resolved_on: date, state: DeadlineState) -> None:
    decision = terms([OPENED, Resolved(resolved_on)], today=date(2026, 5, 1))[DeadlineKind.decision]
    assert (decision.state, decision.met_on) == (state, resolved_on)


def test_decision_breached_when_open_after_due() -> None:
    assert terms([OPENED], today=date(2026, 4, 14))[DeadlineKind.decision].state is S.running
    assert terms([OPENED], today=date(2026, 4, 15))[DeadlineKind.decision].state is S.breached


def test_decision_cancelled_by_withdrawal_but_an_earlier_breach_stays() -> None:
    t = terms([OPENED, Withdrawn(date(2026, 4, 1))], today=date(2026, 5, 1))
    assert t[DeadlineKind.decision].state is S.cancelled
    t = terms([OPENED, Withdrawn(date(2026, 4, 20))], today=date(2026, 5, 1))
    assert t[DeadlineKind.decision].state is S.breached


def test_advisory_committee_gives_ten_weeks() -> None:
    # Tue 3 Mar 2026 + 70 days = Tue 12 May 2026.
    opened_with = terms([CaseOpened(RECEIVED, advisory_committee=True)], today=RECEIVED)
    assert opened_with[DeadlineKind.decision].due == date(2026, 5, 12)
    escalated = terms([OPENED, EscalatedFormal(date(2026, 3, 20), advisory_committee=True)], today=RECEIVED)
    decision = escalated[DeadlineKind.decision]
    assert decision.due == date(2026, 5, 12)
    assert decision.explanation[0].startswith("Beslistermijn met adviescommissie: 10 weken")
    plain = terms([OPENED, EscalatedFormal(date(2026, 3, 20))], today=RECEIVED)
    assert plain[DeadlineKind.decision].due == date(2026, 4, 14)


def test_extension_adds_weeks_once() -> None:
    # 14 Apr + 4 weeks = Tue 12 May 2026.
    decision = terms([OPENED, Extended(date(2026, 4, 1), 4)], today=date(2026, 4, 20))[DeadlineKind.decision]
    assert (decision.due, decision.unmoved_due, decision.extended_weeks) == (
        date(2026, 5, 12),
        date(2026, 5, 12),
        4,
    )
    assert decision.state is S.running
    assert any("Awb 9:11 lid 2" in line for line in decision.explanation)


def test_extension_builds_on_the_unmoved_end() -> None:
    # Received Fri 20 Feb: unmoved end Good Friday 3 Apr (due Tue 7 Apr); + 4 weeks = Fri 1 May.
    facts = [CaseOpened(date(2026, 2, 20)), Extended(date(2026, 3, 30), 4)]
    decision = terms(facts, today=date(2026, 4, 1))[DeadlineKind.decision]
    assert decision.due == date(2026, 5, 1)


def test_extension_on_the_last_day_is_allowed() -> None:
    decision = terms([OPENED, Extended(date(2026, 4, 14), 2)], today=date(2026, 4, 14))[DeadlineKind.decision]
    assert decision.due == date(2026, 4, 28)  # 14 Apr + 14 days = Tue 28 Apr


@pytest.mark.parametrize(
    "facts",
    [
        [OPENED, Extended(date(2026, 4, 1), 5)],  # more than 4 weeks
        [OPENED, Extended(date(2026, 4, 1), 0)],
        [OPENED, Extended(date(2026, 3, 20), 2), Extended(date(2026, 4, 1), 2)],  # a second one
        [OPENED, Extended(date(2026, 4, 15), 4)],  # after the term ended
        [OPENED, Resolved(date(2026, 4, 1)), Extended(date(2026, 4, 2), 2)],  # after closing
    ],
)
def test_forbidden_extensions_raise(facts: list[CaseFact]) -> None:
    with pytest.raises(TermError):
        compute_terms(facts, POLICY, CAL, date(2026, 4, 20))


def test_suspension_moves_the_due_date_by_the_days_suspended() -> None:
    # Suspended Tue 10 Mar, resumed Fri 20 Mar = 10 days: 14 Apr + 10 = Fri 24 Apr 2026.
    facts = [OPENED, Suspended(date(2026, 3, 10)), Resumed(date(2026, 3, 20))]
    decision = terms(facts, today=date(2026, 3, 20))[DeadlineKind.decision]
    assert (decision.state, decision.due) == (S.running, date(2026, 4, 24))
    assert any(line.startswith("opgeschort van dinsdag 10 maart 2026") for line in decision.explanation)


def test_suspension_result_is_moved_by_the_termijnenwet() -> None:
    # 13 days: 14 Apr + 13 = Mon 27 Apr, Koningsdag -> Tue 28 Apr.
    facts = [OPENED, Suspended(date(2026, 3, 10)), Resumed(date(2026, 3, 23))]
    decision = terms(facts, today=date(2026, 3, 23))[DeadlineKind.decision]
    assert (decision.unmoved_due, decision.due) == (date(2026, 4, 27), date(2026, 4, 28))


def test_suspended_term_is_not_breached_while_suspended() -> None:
    facts = [OPENED, Suspended(date(2026, 4, 10))]
    decision = terms(facts, today=date(2026, 4, 30))[DeadlineKind.decision]
    assert decision.state is S.suspended
    assert decision.due == date(2026, 4, 14)  # not yet moved: the suspension has no end yet


def test_suspension_and_extension_add_up() -> None:
    # 14 Apr + 4 weeks + 10 days = Fri 22 May 2026.
    facts = [OPENED, Suspended(date(2026, 3, 10)), Resumed(date(2026, 3, 20)), Extended(date(2026, 4, 20), 4)]
    decision = terms(facts, today=date(2026, 4, 20))[DeadlineKind.decision]
    assert decision.due == date(2026, 5, 22)


def test_extension_during_suspension_counts_the_stopped_clock() -> None:
    # Suspended since 10 Apr: on 20 Apr the clock has stood still 10 days, so the term runs on.
    facts = [OPENED, Suspended(date(2026, 4, 10)), Extended(date(2026, 4, 20), 2)]
    assert terms(facts, today=date(2026, 4, 20))[DeadlineKind.decision].extended_weeks == 2


def test_resolution_while_suspended_ends_the_suspension() -> None:
    # Suspended 10 Apr, resolved 30 Apr: 20 days -> Mon 4 May; resolved in time.
    facts = [OPENED, Suspended(date(2026, 4, 10)), Resolved(date(2026, 4, 30))]
    decision = terms(facts, today=date(2026, 5, 10))[DeadlineKind.decision]
    assert (decision.state, decision.due) == (S.met, date(2026, 5, 4))


def test_suspension_after_the_term_ended_does_not_undo_the_breach() -> None:
    facts = [OPENED, Suspended(date(2026, 4, 20)), Resumed(date(2026, 4, 30))]
    decision = terms(facts, today=date(2026, 5, 1))[DeadlineKind.decision]
    assert (decision.state, decision.due) == (S.breached, date(2026, 4, 14))


@pytest.mark.parametrize(
    "facts",
    [
        [OPENED, Suspended(date(2026, 3, 10)), Suspended(date(2026, 3, 12))],
        [OPENED, Resumed(date(2026, 3, 10))],
        [OPENED, Suspended(date(2026, 3, 10)), Resumed(date(2026, 3, 9))],
    ],
)
def test_inconsistent_suspensions_raise(facts: list[CaseFact]) -> None:
    with pytest.raises(TermError):
        compute_terms(facts, POLICY, CAL, date(2026, 3, 20))


# -- decline (Awb 9:8) --------------------------------------------------------------------------


def test_decline_in_time_is_met_and_cancels_the_rest() -> None:
    t = terms([OPENED, Acknowledged(date(2026, 3, 5)), Declined(date(2026, 3, 20))], today=date(2026, 4, 20))
    assert (t[DeadlineKind.decline].state, t[DeadlineKind.decline].met_on) == (S.met, date(2026, 3, 20))
    assert t[DeadlineKind.decision].state is S.cancelled
    assert t[DeadlineKind.contact].state is S.met


def test_late_decline_is_breached() -> None:
    decline = terms([OPENED, Declined(date(2026, 4, 1))], today=date(2026, 4, 20))[DeadlineKind.decline]
    assert (decline.state, decline.met_on) == (S.breached, date(2026, 4, 1))


def test_decline_term_lapses_when_the_complaint_is_handled() -> None:
    t = terms([OPENED, Acknowledged(date(2026, 3, 5))], today=date(2026, 4, 1))
    assert t[DeadlineKind.decline].state is S.cancelled
    assert t[DeadlineKind.decision].state is S.running


def test_decline_term_cancelled_by_resolution_even_after_its_due_date() -> None:
    t = terms([OPENED, Resolved(date(2026, 4, 10))], today=date(2026, 4, 20))
    assert t[DeadlineKind.decline].state is S.cancelled
    assert t[DeadlineKind.decision].state is S.met


# -- provider response --------------------------------------------------------------------------

# Referred Thu 5 Mar 2026: 10 working days = Fri 6, Mon 9 .. Fri 13, Mon 16 .. Thu 19 Mar.
REFERRED = Referred(date(2026, 3, 5), "Zorg en Welzijn BV")


def test_provider_term_starts_at_referral() -> None:
    (term,) = providers([OPENED, REFERRED], today=date(2026, 3, 5))
    assert (term.start, term.due, term.state, term.provider) == (
        date(2026, 3, 5),
        date(2026, 3, 19),
        S.running,
        "Zorg en Welzijn BV",
    )
    assert providers([OPENED], today=date(2026, 3, 5)) == []


@pytest.mark.parametrize(
    ("responded", "state"),
    [(date(2026, 3, 19), S.met), (date(2026, 3, 20), S.breached)],
)
def test_provider_response(responded: date, state: DeadlineState) -> None:
    (term,) = providers([OPENED, REFERRED, ProviderResponded(responded)], today=date(2026, 4, 1))
    assert (term.state, term.met_on) == (state, responded)


def test_provider_term_breached_without_response() -> None:
    (term,) = providers([OPENED, REFERRED], today=date(2026, 3, 20))
    assert term.state is S.breached


@pytest.mark.parametrize("closing", [Resolved(date(2026, 3, 10)), Withdrawn(date(2026, 3, 10))])
def test_provider_term_cancelled_when_the_case_ends(closing: CaseFact) -> None:
    (term,) = providers([OPENED, REFERRED, closing], today=date(2026, 4, 1))
    assert term.state is S.cancelled


def test_referral_to_another_provider_replaces_the_term() -> None:
    facts = [OPENED, REFERRED, Referred(date(2026, 3, 10), "Thuiszorg Noord")]
    first, second = providers(facts, today=date(2026, 3, 10))
    assert first.state is S.cancelled
    assert (second.state, second.provider) == (S.running, "Thuiszorg Noord")


# -- warnings and provider reports --------------------------------------------------------------


def test_warning_date_is_three_working_days_before_due() -> None:
    t = terms([OPENED], today=RECEIVED)
    # Decision due Tue 14 Apr: Mon 13 (1), Fri 10 (2), Thu 9 Apr (3).
    assert warning_date(t[DeadlineKind.decision], POLICY, CAL) == date(2026, 4, 9)
    # Contact due Tue 10 Mar: Mon 9 (1), Fri 6 (2), Thu 5 Mar (3).
    assert warning_date(t[DeadlineKind.contact], POLICY, CAL) == date(2026, 3, 5)


def test_warning_date_skips_easter() -> None:
    # Received Fri 20 Feb: due Tue 7 Apr; Easter Monday and Good Friday do not count:
    # Thu 2 Apr (1), Wed 1 Apr (2), Tue 31 Mar (3).
    decision = terms([CaseOpened(date(2026, 2, 20))], today=date(2026, 2, 20))[DeadlineKind.decision]
    assert warning_date(decision, POLICY, CAL) == date(2026, 3, 31)


def test_warning_date_never_before_the_start() -> None:
    contact = terms([OPENED], today=RECEIVED)[DeadlineKind.contact]
    assert warning_date(contact, TermPolicy(warning_working_days=10), CAL) == RECEIVED


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        # 30 Jun 2026 is a Tuesday, 30 Nov 2026 a Monday: no move.
        (2026, [date(2026, 6, 30), date(2026, 11, 30)]),
        # 30 Jun 2024 is a Sunday -> Mon 1 Jul; 30 Nov 2024 a Saturday -> Mon 2 Dec.
        (2024, [date(2024, 7, 1), date(2024, 12, 2)]),
    ],
)
def test_provider_report_dates(year: int, expected: list[date]) -> None:
    assert provider_report_dates(year, CAL) == expected


# -- open or closed, taking back, reopening -----------------------------------------------------


def test_closed_on_tells_a_late_open_term_from_a_late_closed_one() -> None:
    late_open = terms([OPENED], today=date(2026, 4, 20))[DeadlineKind.decision]
    assert (late_open.state, late_open.closed_on, late_open.is_open) == (S.breached, None, True)
    late_closed = terms([OPENED, Withdrawn(date(2026, 4, 16))], today=date(2026, 4, 20))[
        DeadlineKind.decision
    ]
    assert (late_closed.state, late_closed.closed_on, late_closed.is_open) == (
        S.breached,
        date(2026, 4, 16),
        False,
    )
    met = terms([OPENED, Acknowledged(date(2026, 3, 4))], today=RECEIVED)[DeadlineKind.contact]
    assert (met.closed_on, met.is_open) == (date(2026, 3, 4), False)
    lapsed = terms([OPENED], today=date(2026, 4, 1))[DeadlineKind.decline]
    assert (lapsed.state, lapsed.is_open) == (S.cancelled, False)


def test_taking_a_case_back_cancels_the_provider_term() -> None:
    (term,) = providers([OPENED, REFERRED, TakenBack(date(2026, 3, 10))], today=date(2026, 4, 1))
    assert (term.state, term.closed_on) == (S.cancelled, date(2026, 3, 10))


def test_reopening_starts_a_new_decision_term_and_keeps_the_old_result() -> None:
    facts = [OPENED, Resolved(date(2026, 3, 20)), Reopened(date(2026, 4, 7))]
    decisions = [
        t for t in compute_terms(facts, POLICY, CAL, date(2026, 4, 7)) if t.kind is DeadlineKind.decision
    ]
    first, second = decisions
    assert (first.state, first.met_on) == (S.met, date(2026, 3, 20))
    # Tue 7 Apr 2026 + 6 weeks = Tue 19 May 2026 (an ordinary Tuesday).
    assert (second.start, second.due, second.state) == (date(2026, 4, 7), date(2026, 5, 19), S.running)
    assert second.explanation[0].startswith("Beslistermijn na heropening: 6 weken na heropening")
    # The new term behaves like any decision term: it can be extended once.
    extended = compute_terms([*facts, Extended(date(2026, 5, 1), 2)], POLICY, CAL, date(2026, 5, 1))
    assert [t.due for t in extended if t.kind is DeadlineKind.decision] == [
        date(2026, 4, 14),
        date(2026, 6, 2),
    ]


def test_reopening_an_open_case_is_refused() -> None:
    with pytest.raises(TermError):
        compute_terms([OPENED, Reopened(date(2026, 3, 10))], POLICY, CAL, date(2026, 3, 10))


# -- objections, questions and merged cases: no complaint terms ---------------------------------


@pytest.mark.parametrize(
    ("kind", "planned"),
    [
        ("complaint", {DeadlineKind.contact, DeadlineKind.decision, DeadlineKind.decline}),
        ("objection", set()),
        ("question", set()),
    ],
)
def test_only_a_complaint_gets_complaint_terms(kind: str, planned: set[DeadlineKind]) -> None:
    opened = CaseOpened(received_on=RECEIVED, kind=kind)
    assert set(terms([opened], RECEIVED)) == planned
    # Long after the six weeks nothing of an objection or question is breached either.
    assert {k for k, t in terms([opened], date(2026, 6, 1)).items() if t.state is S.breached} == (
        planned - {DeadlineKind.decline}
    )


def test_an_objection_referred_to_a_provider_gets_no_provider_term() -> None:
    facts = [CaseOpened(received_on=RECEIVED, kind="objection"), Referred(date(2026, 3, 4), "Zorg BV")]
    assert terms(facts, date(2026, 6, 1)) == {}


def test_an_objection_handled_as_a_complaint_too_gets_terms_from_receipt() -> None:
    facts = [CaseOpened(received_on=RECEIVED, kind="objection"), HandledAsComplaint(date(2026, 3, 5))]
    result = terms(facts, date(2026, 3, 5))
    assert result[DeadlineKind.contact].due == date(2026, 3, 10)
    assert result[DeadlineKind.decision].due == date(2026, 4, 14)


@pytest.mark.parametrize("why", ["Samengevoegd met een andere klacht", "Doorgestuurd: geen klacht"])
def test_a_merged_or_forwarded_case_has_its_running_terms_cancelled(why: str) -> None:
    facts = [OPENED, NoComplaintTerms(date(2026, 3, 5), why)]
    result = terms(facts, date(2026, 6, 1))
    assert {k: t.state for k, t in result.items()} == {
        DeadlineKind.contact: S.cancelled,
        DeadlineKind.decision: S.cancelled,
        DeadlineKind.decline: S.cancelled,
    }
