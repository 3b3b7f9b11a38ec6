"""Routing rules: the most specific rule wins, providers are the first line, and an unknown
value never refuses a complaint (it goes to the default handler, flagged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klachtstroom.contracts.vocabulary import Category, Channel, Handler
from klachtstroom.routing.case.lifecycle import open_case
from klachtstroom.routing.rules.ruleset import (
    InvalidRuleSet,
    KnownValues,
    RoutingRule,
    RuleSet,
    handler_for_complaint_about,
    match,
)


@dataclass(frozen=True)
class Complaint:
    municipality: str | None = None
    unit: str | None = None
    category: str | None = None
    provider: str | None = None


DEFAULT = RoutingRule(id="default", handler_name="Klachtcoördinator")
RULES = RuleSet(
    version=1,
    rules=(
        DEFAULT,
        RoutingRule(id="oss", municipality="Oss", handler_name="Team Klachten Oss"),
        RoutingRule(id="oss-inkomen", municipality="Oss", unit="Inkomen", handler_name="Team Inkomen"),
        RoutingRule(
            id="oss-inkomen-bejegening",
            municipality="Oss",
            unit="Inkomen",
            category=Category.conduct,
            handler_name="Teamleider Inkomen",
        ),
        RoutingRule(id="uden", municipality="Uden", handler_name="KCC Uden"),
        RoutingRule(id="uden-spoed", municipality="Uden", handler_name="Wethouder-secretariaat", priority=5),
        RoutingRule(
            id="zorg-bv", provider="Zorg BV", handler=Handler.provider, handler_name="Klachtenfunctionaris"
        ),
        RoutingRule(id="wmo", unit="Wmo", handler_name="Team Wmo"),
    ),
)


def test_most_specific_rule_wins() -> None:
    decision = RULES.match(Complaint(municipality="Oss", unit="Inkomen", category="conduct"))
    assert (decision.rule_id, decision.handler_name) == ("oss-inkomen-bejegening", "Teamleider Inkomen")
    assert not decision.flagged_unknown
    assert "gemeente 'Oss', afdeling 'Inkomen', categorie 'Bejegening'" in decision.explanation
    policy = Complaint(municipality="Oss", unit="Inkomen", category="policy")
    assert RULES.match(policy).rule_id == "oss-inkomen"
    assert RULES.match(Complaint(municipality="Oss", category="policy")).rule_id == "oss"


def test_none_fields_are_wildcards_and_matching_ignores_case() -> None:
    assert RULES.match(Complaint(municipality=" oss ", unit="inkomen")).rule_id == "oss-inkomen"
    assert RULES.match(Complaint(unit="Wmo", municipality="Oss")).rule_id in {"oss", "wmo"}
    assert RULES.match(Complaint()).rule_id == "default"


def test_priority_breaks_ties_between_equally_specific_rules() -> None:
    decision = RULES.match(Complaint(municipality="Uden"))
    assert decision.rule_id == "uden-spoed"
    tied = [RoutingRule(id="b", unit="Wmo"), RoutingRule(id="a", unit="Wmo")]
    assert match(tied, Complaint(unit="Wmo")).rule_id == "a"  # deterministic by id


def test_the_provider_named_in_the_complaint_is_the_first_line() -> None:
    decision = RULES.match(Complaint(municipality="Oss", unit="Inkomen", provider="zorg bv"))
    assert decision.rule_id == "zorg-bv" and decision.handler == Handler.provider
    assert decision.provider == "Zorg BV" and decision.handler_name == "Klachtenfunctionaris"
    assert "eerste lijn" in decision.explanation and not decision.flagged_unknown


def test_a_named_provider_wins_over_an_unknown_unit_or_category() -> None:
    """Precedence is data: the provider rule decides, the unknown unit is named, not flagged."""
    decision = RULES.match(Complaint(unit="Jeugd", provider="Zorg BV", category="raar"))
    assert (decision.rule_id, decision.handler) == ("zorg-bv", Handler.provider)
    assert decision.precedence == "named_provider"
    assert not decision.flagged_unknown and decision.unknown_fields == ()
    assert "afdeling 'Jeugd'" in decision.explanation and "gaat voor" in decision.explanation
    # An unknown municipality is not outranked: which municipality is it for?
    elsewhere = RULES.match(Complaint(municipality="Atlantis", provider="Zorg BV"))
    assert elsewhere.precedence == "unknown_value" and elsewhere.flagged_unknown
    assert RULES.match(Complaint(municipality="Oss")).precedence == "most_specific"


@pytest.mark.parametrize(
    ("complaint", "word"),
    [
        (Complaint(municipality="Atlantis"), "gemeente 'Atlantis'"),
        (Complaint(municipality="Oss", unit="Sterrenkunde"), "afdeling 'Sterrenkunde'"),
        (Complaint(municipality="Oss", provider="Onbekend Zorg"), "zorgaanbieder 'Onbekend Zorg'"),
        (Complaint(municipality="Oss", category="raar"), "categorie 'raar'"),
    ],
)
def test_unknown_values_go_to_the_default_rule_and_are_flagged(complaint: Complaint, word: str) -> None:
    decision = RULES.match(complaint)
    assert decision.rule_id == "default" and decision.handler_name == "Klachtcoördinator"
    assert decision.flagged_unknown and word in decision.explanation
    assert "klachtcoördinator" in decision.explanation


def test_values_from_the_register_are_known_even_without_their_own_rule() -> None:
    complaint = Complaint(municipality="Bernheze", provider="Thuishulp Oost")
    assert RULES.match(complaint).flagged_unknown
    known = KnownValues(municipalities=frozenset({"Bernheze"}), providers=frozenset({"Thuishulp Oost"}))
    decision = RULES.match(complaint, known=known)
    assert decision.rule_id == "default" and not decision.flagged_unknown


def test_without_a_default_rule_the_coordinator_still_gets_the_complaint() -> None:
    rules = [RoutingRule(id="oss", municipality="Oss", handler_name="Team Oss")]
    for complaint in (Complaint(municipality="Atlantis"), Complaint(municipality=None)):
        decision = match(rules, complaint)
        assert decision.rule_id is None and decision.rule_version is None
        assert decision.handler == Handler.municipality and decision.flagged_unknown


def test_a_case_can_be_routed_directly() -> None:
    case = open_case(
        id="c-1",
        at=datetime(2026, 3, 3, 9, tzinfo=ZoneInfo("Europe/Amsterdam")),
        channel=Channel.letter,
        municipality="Oss",
        unit="Inkomen",
        category=Category.conduct,
    )
    assert RULES.match(case).rule_id == "oss-inkomen-bejegening"


def test_replacing_the_rule_set_increments_the_version_and_stamps_changed_rules() -> None:
    changed = RoutingRule(id="oss", municipality="Oss", handler_name="Nieuw team")
    added = RoutingRule(id="boxtel", municipality="Boxtel", handler_name="Team Boxtel")
    kept = [r for r in RULES.rules if r.id not in {"oss"}]
    second = RULES.replaced([*kept, changed, added])
    assert second.version == 2
    versions = {rule.id: rule.version for rule in second.rules}
    assert versions["oss"] == 2 and versions["boxtel"] == 2 and versions["default"] == 1
    decision = second.match(Complaint(municipality="Oss"))
    assert (decision.rule_version, decision.handler_name) == (2, "Nieuw team")
    assert "versie 2" in decision.explanation
    third = second.replaced(second.rules)
    assert third.version == 3 and {r.id: r.version for r in third.rules} == versions


def test_an_unusable_rule_set_is_refused() -> None:
    with pytest.raises(InvalidRuleSet) as duplicate:
        RULES.replaced([DEFAULT, DEFAULT])
    assert duplicate.value.field == "rules[1].id"
    with pytest.raises(InvalidRuleSet) as no_provider:
        RuleSet(version=1, rules=(RoutingRule(id="p", handler=Handler.provider),))
    assert no_provider.value.field == "rules[0].provider"
    with pytest.raises(InvalidRuleSet):
        RuleSet(version=0)


def test_complaint_about_an_employee_goes_to_someone_uninvolved() -> None:
    manager_of = {"K. Coördinator": "L. Leidinggevende", "A. Bakker": "T. Teamleider"}
    # Awb 9:7: the coordinator handles complaints about others ...
    coordinator = "K. Coördinator"
    assert handler_for_complaint_about("A. Bakker", manager_of, coordinator=coordinator) == coordinator
    # ... but a complaint about the coordinator goes to their manager.
    assert (
        handler_for_complaint_about("k. coördinator", manager_of, coordinator="K. Coördinator")
        == "L. Leidinggevende"
    )
    assert handler_for_complaint_about("A. Bakker", manager_of) == "T. Teamleider"
    assert handler_for_complaint_about("Z. Onbekend", manager_of) is None
    assert handler_for_complaint_about("X", {"X": "x"}) is None  # never the person themselves


values = st.none() | st.sampled_from(["Oss", "Uden", "Atlantis", "Inkomen", "Wmo", "Zorg BV", "x", ""])


@given(
    complaint=st.builds(
        Complaint,
        municipality=values,
        unit=values,
        provider=values,
        category=st.none() | st.sampled_from([*Category, "raar"]),
    )
)
def test_routing_always_decides_and_explains(complaint: Complaint) -> None:
    decision = RULES.match(complaint)
    assert decision.explanation.strip()
    rule = next((r for r in RULES.rules if r.id == decision.rule_id), None)
    assert rule is not None
    if decision.flagged_unknown:
        assert rule.is_default
    else:
        assert rule.matches(complaint)
        better = [r for r in RULES.rules if r.matches(complaint) and r.specificity > rule.specificity]
        assert rule.provider is not None or not better
