"""The kind rules as data: what makes a text an objection, a question, or (despite looking like
one of those) a complaint. Same pattern language as ``lexicon.py``; in the learned triage these
are features of the kind head, and the phrases they match may be quoted in its reasons.
"""

from __future__ import annotations

Rule = tuple[str, float]

KIND_RULES: dict[str, list[Rule]] = {
    "objection": [
        ("bezwaar ~2 tegen", 3.0),
        ("bezwaar ~2 maken|indienen|aantekenen|aan", 2.5),
        ("maak|teken ~3 bezwaar", 2.5),
        ("tegen ~8 bezwaar", 2.0),
        ("daartegen ~2 bezwaar", 3.0),
        ("bezwaarschrift", 2.0),
        ("niet ~2 eens ~6 besluit|beslissing|beschikking", 3.0),
        ("besluit|beslissing|beschikking|afwijzing ~16 niet ~2 eens", 2.5),
        ("niet ~1 akkoord ~4 besluit|beslissing|beschikking", 3.0),
        ("oneens ~6 besluit|beslissing|beschikking", 3.0),
        ("besluit|beslissing|beschikking ~12 oneens", 2.5),
        ("beslissing|besluit ~4 onterecht", 2.5),
        ("in ~1 beroep", 2.5),
        ("herzien|herziening|heroverweging|heroverwegen", 1.5),
        ("niet ~3 eens ~10 afgewezen|afgewezen|ingetrokken|stopgezet|toegekend", 2.5),
        ("opnieuw bekeken", 1.0),
        # wider vocabulary: wanting a decision changed without the word "bezwaar"
        ("ga|gaan ~3 tegenin", 2.5),
        ("accepteer|accepteren|aanvaard ~6 niet", 2.5),
        ("vecht|vechten ~6 aan", 2.5),
        ("aanvechten|aanvecht", 2.5),
        ("bezwaarsch*", 2.0),
        ("in ~1 bezwaar", 2.5),
        ("teken|tekenen ~2 protest", 2.5),
        (
            "beslissing|besluit|beschikking|afwijzing|boete|terugvordering|aanslag|waarde|korting ~8 "
            "herzien|terugdraaien|teruggedraaid|intrekt|intrekken|aangepast|aanpassen|ongedaan",
            2.5,
        ),
        (
            "beslissing|besluit|beschikking|afwijzing|boete|terugvordering|korting|beeindiging|"
            "intrekking|stopzetting|naheffing|naheffingsaanslag ~10 onterecht|onjuist",
            2.5,
        ),
        ("niet ~3 eens ~10 verlaagd|gekort|verlaging|teruggebracht|stopgezet|terugvordering|afwijzing", 2.5),
        ("niet ~2 eens ~6 terugvordering|afwijzing|korting|boete|aanslag|hoogte", 2.5),
        ("opnieuw ~3 gekeken|bekeken|beoordelen|beoordeeld|kijken", 1.5),
        ("woz ~8 hoog|aangepast|verlaagd|omlaag", 2.0),
    ],
    "question": [
        ("^ hoe|waar|wanneer|wat|welke ~1 kan|moet|kunnen|moeten|zijn|is|krijg|lang", 3.0),
        ("^ kan|mag|kunt|is ~1 ik|u|het|zij|hij", 2.5),
        ("kan|kunt|kunnen ~2 mij|me ~1 vertellen|uitleggen", 2.5),
        ("waar ~1 kan|moet ~2 terecht", 2.5),
        ("hoe ~3 bezwaar ~1 maken|indienen", 2.0),
        ("wil|willen ~1 graag ~1 weten", 3.0),
        ("wil|wilt ~1 weten", 2.5),
        ("^ melding", 3.0),
        ("graag ~1 even ~1 melden", 3.0),
        ("vraag|vraagt ~1 of|wanneer|hoe|waar|welke", 2.5),
        ("^ klopt ~1 het", 2.5),
        ("weten ~2 hoe|of|wanneer|welke|waar", 1.0),
        ("graag ~1 ontvang ~1 ik ~1 informatie", 3.0),
        ("wil graag een afspraak", 3.0),
        ("mijn vraag is", 2.5),
        ("vraag van", 1.0),
        ("alvast bedankt", 1.0),
        ("lantaarnpaal|zwerfvuil|overlast|tegels|glasbak|tak", 1.5),
        # wider vocabulary: polite questions and requests
        ("^ weet ~1 u|iemand|jij|je", 2.5),
        ("vroeg|vraag ~2 af", 3.0),
        ("graag ~1 hoor ~1 ik", 2.5),
        ("heb ~2 een ~1 vraag ~1 over|aan", 2.5),
        ("niemand ~2 kan|kon ~2 mij|me ~1 vertellen|uitleggen|zeggen", -2.5),
        ("^ hoe ~1 zit", 2.5),
        ("^ tot ~1 wanneer|welk|welke|hoeveel", 2.5),
        (
            "^ moet|mag|kan|kunt|kunnen|geldt|heb|krijg|wordt|moeten|mogen ~1 "
            "ik|u|je|het|iemand|wij|we|dat|die",
            2.5,
        ),
        ("^ wat|welke ~1 gebeurt|geldt|mag|mogen|zit", 2.5),
        ("^ wie ~1 kan|moet", 2.0),
        ("informeert|informeren ~2 naar", 2.5),
        ("graag ~1 spreken", 2.5),
        ("kan|kunt ~1 iemand|u ~3 helpen", 2.0),
        ("waar ~2 terecht", 2.5),
        ("lantaarn|knippert|matras|grofvuil|glas", 1.0),
    ],
    "complaint": [
        ("klacht ~2 indienen|in", 1.0),
        ("ontevreden|boos|klaagt|klagen", 1.0),
        ("klacht ~6 bezwaar", 4.0),
        ("bezwaar|bezwaarschrift ~10 niet ~3 behandeld|gehoord", 4.0),
        ("bezwaar|bezwaarschrift ~10 nog ~2 niks|niets|geen", 4.0),
        ("grootste ~1 bezwaar", 4.0),
        ("bezwaar ~1 gemaakt|ingediend", 2.0),
        ("bezwaar ~14 termijn|verstreken|reactie|gehoord|beslistermijn", 3.0),
        ("waarom ~4 nog steeds|al", 2.0),
        ("waarom ~12 te lang", 2.0),
        ("weten ~1 waarom", 1.5),
        # rhetorical questions are complaints ("Hoe kan het dat ...?", "Wie verzint dit?")
        ("^ hoe ~1 kan ~1 het ~1 dat", 4.0),
        ("wie ~1 verzint|bedenkt", 2.0),
        ("waar ~1 blijft", 2.0),
        ("hoe ~1 lang ~1 nog", 2.0),
        ("wat ~1 klopt ~2 nou", 2.0),
        ("hoe ~1 durft|durven", 2.0),
        ("wanneer ~2 houdt|stopt|ophouden", 2.0),
        ("nou", 1.0),
    ],
}
