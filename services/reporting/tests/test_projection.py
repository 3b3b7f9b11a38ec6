"""The projection: from hand-made event sequences to CaseFacts rows, in any valid delivery order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from reporting_events import Story, fold_in_order, interleave

from klachtstroom.contracts.intake_events import ImportedHistory
from klachtstroom.contracts.registry import payload_of
from klachtstroom.contracts.timekeeping import start_of_day
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection import urgency
from klachtstroom.reporting.projection.event_log import log_entries
from klachtstroom.reporting.projection.queries import facts_of
from klachtstroom.reporting.reports.facts import CaseFacts

D = date(2025, 3, 3)


def formal_story() -> Story:
    """Received by phone, assigned, acknowledged on day 2, formal, extended 4 weeks, upheld on day 45."""
    s = Story(D, channel=Channel.phone, category=Category.conduct, unit="Inkomen")
    s.received().opened().assigned().acknowledged(days=2).terms().escalated(days=10)
    s.extended(4, days=30).deadline(DeadlineKind.decision, date(2025, 5, 12), extended_weeks=4)
    return s.resolved(Outcome.upheld, Resolution.formal, days=45)


def test_a_formal_case_becomes_exactly_these_facts() -> None:
    story = formal_story()
    facts = fold_in_order(story.events)[story.id]
    assert facts == CaseFacts(
        id=story.id,
        reference=story.reference,
        received_on=D,
        channel=Channel.phone,
        kind=Kind.complaint,
        category=Category.conduct,
        urgent=False,
        municipality="Voorbeeldstad",
        unit="Inkomen",
        provider=None,
        handler=Handler.municipality,
        state="resolved",
        resolution=Resolution.formal,
        outcome=Outcome.upheld,
        resolved_on=D + timedelta(days=45),
        decision_due=date(2025, 5, 12),
        contact_due=D + timedelta(days=7),
        acknowledged_on=D + timedelta(days=2),
        decision_state=DeadlineState.running,
        contact_state=DeadlineState.running,
    )


def stories() -> list[Story]:
    provider = Story(D, unit=None, provider="Zorg Plus", category=Category.information)
    provider.received().opened(handler=Handler.provider).referred("Zorg Plus").terms().mediated()
    provider.provider_status("measures", 10, measures="Training bejegening voor het team")
    provider.provider_status("resolved", 12, outcome=Outcome.partly_upheld)
    declined = (
        Story(D, channel=Channel.letter, category=Category.policy).received().opened().terms().declined()
    )
    withdrawn = Story(D, channel=Channel.email).received().opened().terms().withdrawn()
    reopened = (
        Story(D).received().opened().assigned().terms().resolved(Outcome.not_upheld, Resolution.informal)
    )
    reopened.reopened(days=25)
    ombudsman = Story(D).received().opened().terms().resolved(Outcome.not_upheld, Resolution.informal, days=9)
    ombudsman.ombudsman(days=60)
    late_case_first = Story(D, category=Category.handling_time).opened().terms().received()
    return [formal_story(), provider, declined, withdrawn, reopened, ombudsman, late_case_first]


def test_every_valid_delivery_order_gives_the_same_rows() -> None:
    told = stories()
    expected = fold_in_order([e for s in told for e in s.events])
    for seed in range(40):
        assert fold_in_order(interleave(told, seed)) == expected


def test_transitions_set_outcome_resolution_and_flags() -> None:
    formal, provider, declined, withdrawn, reopened, ombudsman, _ = stories()
    rows = fold_in_order(
        interleave(stories_list := [formal, provider, declined, withdrawn, reopened, ombudsman], 7)
    )
    assert len(rows) == len(stories_list)

    p = rows[provider.id]
    assert (p.handler, p.provider, p.state) == (Handler.provider, "Zorg Plus", "resolved")
    assert p.mediated_with_partner
    assert (p.outcome, p.resolution, p.resolved_on) == (
        Outcome.partly_upheld,
        Resolution.informal,
        D + timedelta(12),
    )

    assert (rows[declined.id].state, rows[declined.id].outcome) == ("declined", Outcome.inadmissible)
    assert rows[declined.id].resolution is None
    assert (rows[withdrawn.id].state, rows[withdrawn.id].outcome) == ("withdrawn", Outcome.withdrawn)
    r = rows[reopened.id]
    assert (r.state, r.outcome, r.resolution, r.resolved_on) == ("assigned", None, None, None)
    o = rows[ombudsman.id]
    assert (o.state, o.ombudsman, o.outcome) == ("ombudsman", True, Outcome.not_upheld)
    assert not rows[formal.id].mediated_with_partner


def test_a_case_event_before_the_receipt_waits_for_it() -> None:
    s = Story(D, category=Category.handling_time)
    s.opened().assigned(unit="Werk")
    early = fold_in_order(s.events)[s.id]
    assert early is not None  # CaseOpened alone names everything a report needs
    deadline_only = Story(D).deadline(DeadlineKind.decision, D + timedelta(weeks=6))
    assert fold_in_order(deadline_only.events)[deadline_only.id] is None  # no row yet
    deadline_only.received()
    row = fold_in_order(deadline_only.events)[deadline_only.id]
    assert row is not None and row.decision_due == D + timedelta(weeks=6)


def test_an_imported_complaint_is_counted_from_routings_replay_of_its_history() -> None:
    history = ImportedHistory(
        outcome=Outcome.upheld,
        resolution=Resolution.formal,
        ombudsman=True,
        resolved_at=start_of_day(D + timedelta(days=30)),  # a moment: payload times are timezone-aware
    )
    s = Story(D).received(imported=history)
    alone = fold_in_order(s.events)[s.id]
    assert (alone.imported, alone.state) == (True, "received")  # the history alone decides nothing here
    s.opened().escalated(days=30).resolved(Outcome.upheld, Resolution.formal, days=30).ombudsman(days=30)
    f = fold_in_order(s.events)[s.id]
    assert f is not None
    assert (f.state, f.outcome, f.resolution, f.ombudsman) == (
        "ombudsman",
        Outcome.upheld,
        Resolution.formal,
        True,
    )
    assert f.resolved_on == D + timedelta(days=30)
    withdrawn = (
        Story(D).received(imported=ImportedHistory(outcome=Outcome.withdrawn)).opened().withdrawn(days=0)
    )
    assert fold_in_order(withdrawn.events)[withdrawn.id].state == "withdrawn"


def test_a_triage_override_makes_it_urgent_with_reasons() -> None:
    s = Story(D).received().opened().triaged(urgent=True, category=Category.information)
    row = fold_in_order(s.events)[s.id]
    assert row.urgent and row.category == Category.information
    assert row.urgent_reasons == (urgency.OVERRIDDEN,)
    given = Story(D, urgent=True).received(urgent_given=True)
    assert fold_in_order(given.events)[given.id].urgent_reasons == (urgency.GIVEN_AT_INTAKE,)


def test_a_merged_complaint_leaves_the_reports() -> None:
    from klachtstroom.contracts.intake_events import ComplaintsMerged

    kept, merged = Story(D).received(), Story(D).received()
    kept._emit(ComplaintsMerged(complaint_id=kept.id, merged_id=merged.id, actor="x", at=kept.at()))
    rows = fold_in_order(interleave([kept, merged], 3))
    assert rows[merged.id].merged_into == kept.id
    assert facts_of([rows[merged.id], rows[kept.id]]) == [rows[kept.id]]


def test_the_log_keeps_no_free_text_or_names() -> None:
    s = Story(D).received()  # the complaint's texts are not in the events at all (claim check)
    s.opened().assigned().resolved(Outcome.upheld, Resolution.informal)
    payloads = [payload_of(envelope) for _, envelope in s.events]
    logged = "\n".join(entry.data for payload in payloads for entry in log_entries(payload))
    for secret in (
        "Jan Jansen",
        "Dorpsstraat",
        "0612345678",
        "Bel terug",
        "Medewerker Jansen",
        "De Vries",
        "vrije tekst",
        "p-1",
    ):
        assert secret not in logged


@pytest.mark.parametrize(
    ("reason", "safe"),
    [
        (
            'Urgent: Woord "dakloos" wijst op verlies van inkomen, woning, energie of eten',
            "Aanwijzing voor verlies van inkomen, woning, energie of eten.",
        ),
        (
            'Urgent: Woorden "Piet Klaassen bedreigd" (gelezen als typefout van "bedreigt") '
            "wijzen op dreiging of geweld",
            "Aanwijzing voor dreiging of geweld.",
        ),
        ('Urgent: "Kerkstraat 12"', None),
        ("Urgent: bel 0612345678", None),
    ],
)
def test_urgency_reasons_never_quote_the_complaint(reason: str, safe: str | None) -> None:
    assert urgency.safe_reason(reason) == safe


def test_deadline_states_are_kept_per_kind() -> None:
    s = Story(D).received().terms().deadline(DeadlineKind.contact, D + timedelta(days=7), DeadlineState.met)
    row = fold_in_order(s.events)[s.id]
    assert (row.contact_state, row.decision_state) == ("met", "running")
