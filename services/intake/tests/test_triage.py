"""Triage as a KCC employee and a complaints coordinator rely on it."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage import OverrideMemory, TriageResult, triage

REPO = Path(__file__).resolve().parents[3]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("triage_bench", REPO / "bench" / "triage_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _valid(result: TriageResult) -> None:
    assert isinstance(result.kind, Kind) and isinstance(result.category, Category)
    assert isinstance(result.urgent, bool) and 0.0 <= result.confidence <= 1.0
    assert result.reasons and all(isinstance(r, str) and r for r in result.reasons)
    assert bool(result.urgent_reasons) == result.urgent


# ---------------------------------------------------------------- what a KCC employee types


@pytest.mark.parametrize(
    ("text", "kind", "category", "urgent"),
    [
        (
            "mw belt boos, uitkering nog steeds niet binnen, heeft geen geld voor boodschappen",
            Kind.complaint,
            Category.handling_time,
            True,
        ),
        ("klnt ontevreden over bejegening consulent", Kind.complaint, Category.conduct, False),
        (
            "Ik wil bezwaar maken tegen het besluit om mijn bijzondere bijstand af te wijzen.",
            Kind.objection,
            Category.other,
            False,
        ),
        (
            "ik ben het niet eens met de beschikking over mijn huishoudelijke hulp",
            Kind.objection,
            Category.other,
            False,
        ),
        (
            "Ik heb een klacht over hoe mijn bezwaar behandeld wordt: al vier maanden geen reactie.",
            Kind.complaint,
            Category.handling_time,
            False,
        ),
        ("Hoe kan ik bijzondere bijstand aanvragen?", Kind.question, Category.other, False),
        ("Ik wil graag weten waar ik mijn loonstroken moet inleveren.", Kind.question, Category.other, False),
        ("melding: lantaarnpaal bij de speeltuin is kapot", Kind.question, Category.other, False),
        (
            "Ik word van het kastje naar de muur gestuurd, de zorgaanbieder verwijst me naar de gemeente.",
            Kind.complaint,
            Category.referral,
            False,
        ),
        (
            "Ik vind het onterecht dat de gemeente de eigen bijdrage zo hoog vaststelt in haar regels.",
            Kind.complaint,
            Category.policy,
            False,
        ),
        (
            "Wij hebben zelf geconstateerd dat 30 klanten een verkeerde brief kregen; wij bellen hen na.",
            Kind.complaint,
            Category.proactive,
            False,
        ),
        (
            "Ik ben nooit teruggebeld en de brief heb ik niet ontvangen.",
            Kind.complaint,
            Category.information,
            False,
        ),
    ],
)
def test_typical_messages_are_triaged_as_a_person_would(
    text: str, kind: Kind, category: Category, urgent: bool
) -> None:
    result = triage(text)
    _valid(result)
    assert (result.kind, result.category, result.urgent) == (kind, category, urgent)


def test_reasons_are_dutch_and_quote_the_words_that_decided() -> None:
    result = triage("De medewerker was onbeschoft en heeft mij uitgelachen.")
    assert result.category is Category.conduct
    assert any('"onbeschoft"' in r and "bejegening" in r for r in result.reasons)
    urgent = triage("De deurwaarder komt vrijdag, ik word uit huis gezet.")
    assert urgent.urgent and all(r.startswith("Urgent:") for r in urgent.urgent_reasons)
    assert any("verlies van inkomen" in r for r in urgent.urgent_reasons)
    other = triage("Het eten bij de dagbesteding smaakt me niet.")
    assert any("Overig" in r for r in other.reasons)


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("ik ben boos", False),
        ("Ik word gek van jullie, al weken geen reactie op mijn mail.", False),
        ("Mijn huis is niet schoongemaakt door de thuishulp.", False),
        ("Ik heb een kind van 3 en de consulent was kortaf.", False),
        ("Ik las in de krant dat de regels veranderen, maar ik merk er niks van.", False),
        ("Ik sta volgende week op straat.", True),
        ("Als dit niet geregeld wordt kom ik met een mes langs.", True),
        ("Mijn zoon van 15 heeft geprobeerd zichzelf iets aan te doen en staat nog op de wachtlijst.", True),
        ("Een journalist van de omroep heeft mij gebeld over deze zaak.", True),
        ("Het raadslid van mijn wijk heeft gevraagd dit met voorrang te bekijken.", True),
        ("Het filmpje van de consulent gaat viral op TikTok.", True),
        ("Gas en stroom worden morgen afgesloten.", True),
        ("mw 86 jr, thuiszorg gestopt, zit zonder hulp", True),
    ],
)
def test_urgency_catches_danger_and_not_mere_anger(text: str, urgent: bool) -> None:
    assert triage(text).urgent is urgent


# ---------------------------------------------------------------- new phrasing (bench/data/LABELLING.md)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Niemand belt mij terug over mijn Wmo aanvraag.", Category.information),
        # repeatedly late = an agreement not kept (nalatigheid); a one-off late ride stays Overig
        ("De thuiszorg van Zorg Plus komt steeds te laat.", Category.information),
        ("Consulent zou terugbellen. Niet gebeurd.", Category.information),
        ("Mijn formulieren zijn zoek en niemand weet waar ze zijn.", Category.information),
        ("Zijn mijn papieren nu alweer kwijtgeraakt?", Category.information),
        ("Ik word van het kastje naar de muur gestuurd.", Category.referral),
        ("Ze schuiven het op elkaar af, de gemeente en de zorgaanbieder.", Category.referral),
        ("Ik word van hot naar her gestuurd.", Category.referral),
        ("Die handhaver was echt lomp en asociaal.", Category.conduct),
        ("Ik werd aan de balie genegeerd.", Category.conduct),
        ("Waar blijft mijn parkeervergunning? Betaald in februari.", Category.handling_time),
        ("Het schiet maar niet op met mijn aanvraag.", Category.handling_time),
        ("Wie verzint het dat je maar vier weken per jaar op vakantie mag?", Category.policy),
        (
            "Bij nacontrole zagen we dat 20 terugbelverzoeken verdwenen zijn. Wij bellen ze alsnog.",
            Category.proactive,
        ),
    ],
)
def test_everyday_phrasing_finds_its_category(text: str, category: Category) -> None:
    result = triage(text)
    assert (result.kind, result.category) == (Kind.complaint, category)
    assert not any("Geen woorden" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ik ga hier tegenin, de afwijzing van mijn traplift klopt niet.", Kind.objection),
        ("Ik vecht de afwijzing van mijn kwijtschelding aan.", Kind.objection),
        ("Daar ga ik tegen in bezwaar.", Kind.objection),
        ("Ik vroeg me af of ik recht heb op een parkeervergunning.", Kind.question),
        ("Weet u tot wanneer ik de energietoeslag kan aanvragen?", Kind.question),
        # rhetorical questions and "niemand kan me vertellen" are complaints
        ("Hoe kan het dat een uittreksel zeven weken duurt?", Kind.complaint),
        ("Het formulier werkt niet en niemand kan me vertellen hoe het wel moet.", Kind.complaint),
    ],
)
def test_kind_without_the_usual_words(text: str, kind: Kind) -> None:
    assert triage(text).kind is kind


@pytest.mark.parametrize(
    "text",
    [
        "Ik zie het niet meer zitten.",
        "ik trek het niet meer, ik heb een potje pillen klaarstaan",
        "Geen geld voor eten, de pot is leeg.",
        "We worden donderdag afgesloten van gas en licht.",
        "De meter wordt donderdag dichtgezet door Vattenfall.",
        "De ontruimingsdatum is volgende week.",
        "Ik kom verhaal halen, ik weet waar ze haar auto parkeert.",
        "Morgen staat er een interview in de Gelderlander.",
        "Hij pakte mijn arm vast en trok me de kamer in.",
    ],
)
def test_urgent_in_everyday_words(text: str) -> None:
    result = triage(text)
    assert result.urgent and result.urgent_reasons


@pytest.mark.parametrize(
    "text",
    [
        "De consulent sloeg een toon aan die ik niet pik.",
        "Mijn paspoort is gestolen, moet ik eerst aangifte doen bij de politie?",
        "Geacht college van burgemeester en wethouders, de consulent was onbeschoft.",
        "Ik schaamde me dood toen hij dat hardop zei.",
    ],
)
def test_hard_negatives_are_not_urgent(text: str) -> None:
    assert not triage(text).urgent


# ---------------------------------------------------------------- negation and typos


def test_negation_cancels_a_word_but_not_a_missing_thing() -> None:
    assert triage("De consulent was onbeschoft.").category is Category.conduct
    denied = triage("De consulent was niet onbeschoft, maar de brief heb ik nooit ontvangen.")
    assert denied.category is Category.information
    assert any("ontkend" in r and "onbeschoft" in r for r in denied.reasons)
    assert not triage("Ik ben niet bedreigd, alleen de toon was onaardig.").urgent
    assert triage("Ik ben bedreigd door een medewerker.").urgent
    # "geen stroom meer" is the emergency itself, not a denial of it
    assert triage("Ik heb sinds gisteren geen stroom meer.").urgent
    # "nog nooit zo ..." makes it stronger, not weaker
    assert triage("Ik ben nog nooit zo onbeschoft behandeld.").category is Category.conduct


@pytest.mark.parametrize(
    ("text", "category", "urgent"),
    [
        ("die ambtnaar was onbeschofd tegen me", Category.conduct, False),
        ("bejegenning was slecht, medewerkster was respektloos", Category.conduct, False),
        ("uitkring nog steeds niet ontvangen, huur achter", Category.handling_time, True),
        ("KLNT ONTEVREDEN OVER BEJEGENING CONSULENT", Category.conduct, False),
        ("De medewerker was ónbeschoft", Category.conduct, False),
    ],
)
def test_typos_capitals_and_accents_are_read_through(text: str, category: Category, urgent: bool) -> None:
    result = triage(text)
    assert (result.category, result.urgent) == (category, urgent)


def test_a_typo_is_named_in_the_reason() -> None:
    result = triage("de klantmanager was respektloos")
    assert any("typefout" in r and "respektloos" in r for r in result.reasons)


# ---------------------------------------------------------------- odd input


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "?!?!", "😡😡😡", "\x00\ud800\uffff", "123 456"])
def test_empty_or_meaningless_text_is_a_low_confidence_complaint(text: str) -> None:
    result = triage(text)
    _valid(result)
    assert (result.kind, result.category, result.urgent) == (Kind.complaint, Category.other, False)
    assert result.confidence <= 0.3


def test_huge_text_is_handled_quickly() -> None:
    text = "De consulent was onbeschoft. " + "bla die bla niet geen nog steeds wachten " * 30_000
    start = time.perf_counter()
    result = triage(text)
    assert time.perf_counter() - start < 3.0
    assert result.category is Category.conduct
    assert any("eerste" in r for r in result.reasons)


def test_non_text_input_does_not_raise() -> None:
    _valid(triage(None))  # type: ignore[arg-type]
    _valid(triage(12345))  # type: ignore[arg-type]


DUTCH_WORDS = [
    "niet",
    "geen",
    "onbeschoft",
    "uitkering",
    "bezwaar",
    "tegen",
    "besluit",
    "hoe",
    "kan",
    "ik",
    "op",
    "straat",
    "wacht",
    "al",
    "weken",
    "doorverwezen",
    "zelf",
    "geconstateerd",
    "beleid",
    "?",
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_unicode(text: str) -> None:
    _valid(triage(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(DUTCH_WORDS) | st.text(max_size=8), max_size=40).map(" ".join))
def test_never_raises_on_dutch_word_salad(text: str) -> None:
    _valid(triage(text))


# ---------------------------------------------------------------- learning from overrides


def test_an_override_changes_later_results_for_similar_texts() -> None:
    text = "De parkeervergunning voor mijn aangepaste bus is zonder overleg ingetrokken."
    assert triage(text).category is not Category.policy
    memory = OverrideMemory()
    memory.add(text, Kind.complaint, Category.policy, urgent=False)
    similar = triage("Zonder overleg is de parkeervergunning van mijn aangepaste bus ingetrokken!", memory)
    assert similar.category is Category.policy
    assert any("medewerker" in r for r in similar.reasons)
    # an unrelated text is not pulled along
    assert triage("De consulent was onbeschoft tegen mij.", memory).category is Category.conduct


def test_learned_words_nudge_texts_that_share_them() -> None:
    memory = OverrideMemory()
    memory.add(
        "Klacht over de ooievaarspas: de kortingsregeling in het zwembad", "complaint", "policy", False
    )
    memory.add("De ooievaarspas geldt niet meer voor de bibliotheek", "complaint", "policy", False)
    result = triage("Waarom krijg ik met de ooievaarspas geen korting meer bij de sportschool", memory)
    assert result.category is Category.policy


def test_urgency_from_a_person_carries_over_but_is_only_lifted_for_near_identical_text() -> None:
    memory = OverrideMemory()
    memory.add(
        "mw belt over haar zoon, hij zit thuis en gaat niet meer naar buiten", "complaint", "other", True
    )
    assert triage("mw belt over haar zoon: hij zit thuis en gaat niet meer naar buiten", memory).urgent
    lifted = OverrideMemory()
    lifted.add(
        "Ik heb het artikel in de krant over de wachtlijst gelezen.", "complaint", "handling_time", False
    )
    assert not triage("Ik heb het artikel in de krant over de wachtlijst gelezen.", lifted).urgent


def test_override_memory_round_trips_through_json() -> None:
    memory = OverrideMemory()
    memory.add("De parkeervergunning is ingetrokken", Kind.complaint, Category.policy, False)
    restored = OverrideMemory.from_json(memory.to_json())
    assert len(restored) == 1
    assert triage("De parkeervergunning is ingetrokken", restored).category is Category.policy
    with pytest.raises(ValueError):
        OverrideMemory.from_json("{not json")
    with pytest.raises(ValueError):
        OverrideMemory.from_json(
            '{"overrides": [{"text": "x", "kind": "nonsense", "category": "policy", "urgent": false}]}'
        )


# ---------------------------------------------------------------- quality on the labelled set


def test_quality_on_the_labelled_evaluation_set() -> None:
    bench = _bench()
    named = bench.splits()
    assert len(named["eval_dev"]) + len(named["eval_test"]) >= 240
    test = bench.evaluate(named["eval_test"])
    dev = bench.evaluate(named["eval_dev"])
    assert test["urgent_recall"] >= 0.95 and dev["urgent_recall"] >= 0.95
    assert bench.evaluate(named["eval_dev"] + named["eval_test"])["urgent_recall"] >= 0.95
    assert test["category_macro_f1"] >= 0.92  # measured 0.950 on the held-out split
    assert test["kind_macro_f1"] >= 0.95  # measured 1.000


def test_quality_on_fresh_phrasing() -> None:
    """The blind set written later (bench/data/LABELLING.md); fresh_test was never tuned on."""
    bench = _bench()
    named = bench.splits()
    assert len(named["fresh_dev"]) + len(named["fresh_test"]) >= 150
    test = bench.evaluate(named["fresh_test"])
    assert test["urgent_recall"] >= 0.93  # measured 1.000 (15 of 15); before this work 0.333
    assert test["urgent_precision"] >= 0.72  # measured 0.789
    assert test["category_macro_f1"] >= 0.74  # measured 0.770; before 0.353
    assert test["kind_macro_f1"] >= 0.85  # measured 0.885; before 0.693
    dev = bench.evaluate(named["fresh_dev"])  # tuned on: floors only guard against regressions
    assert dev["urgent_recall"] >= 0.95 and dev["category_macro_f1"] >= 0.95


def test_bench_rows_have_the_shape_make_bench_expects() -> None:
    rows = _bench().run()
    names = {r["name"] for r in rows}
    assert {
        "triage.eval_test.urgent_recall",
        "triage.eval_test.category_macro_f1",
        "triage.fresh_test.urgent_recall",
        "triage.fresh_test.urgent_precision",
        "triage.fresh_test.category_macro_f1",
        "triage.latency_per_text",
    } <= names
    for row in rows:
        assert set(row) == {"name", "value", "unit", "aim", "direction"}
        assert row["direction"] in {"min", "max"} and isinstance(row["aim"], float)
    latency = next(r for r in rows if r["name"] == "triage.latency_per_text")
    assert latency["value"] < 5.0
