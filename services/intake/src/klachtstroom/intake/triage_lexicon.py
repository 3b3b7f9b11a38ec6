"""The triage rules as data: Dutch phrases, what they point to, and how strongly.

Pattern language (matched on normalised, lightly stemmed tokens, see ``triage.py``):
``word`` one word (typos of edit distance 1 allowed for words of 6+ letters),
``pre*`` / ``*suf`` / ``*mid*`` a word starting with / ending with / containing text,
``a|b`` alternatives, ``~N`` up to N words in between, ``^`` start of a sentence.
A rule without a negation word in it is cancelled by "niet/geen/nooit" just before it
("niet onbeschoft"). Rules are data so a reviewer can read why triage decided what it did.
"""

from __future__ import annotations

# (pattern, weight) per target. Targets: the Category values, "objection", "question",
# "complaint" (kind evidence), and "urgent:<ground>" for the urgency grounds below.
Rule = tuple[str, float]

TARGET_LABELS: dict[str, str] = {
    "conduct": "bejegening",
    "information": "informatie of nalatigheid",
    "handling_time": "de behandeltermijn",
    "policy": "beleid of regels",
    "referral": "doorverwijzing",
    "proactive": "een melding die de organisatie zelf heeft gedaan",
    "other": "een klacht zonder vaste categorie",
    "objection": "een bezwaar tegen een besluit",
    "question": "een vraag of melding",
    "complaint": "een klacht",
    "urgent:threat": "dreiging of geweld",
    "urgent:vulnerable": "een kwetsbaar persoon in gevaar",
    "urgent:impact": "media- of politieke aandacht",
    "urgent:livelihood": "verlies van inkomen, woning, energie of eten",
}

RULES: dict[str, list[Rule]] = {
    "conduct": [
        ("onbeschoft|onbeschofte|onbeleefd|onvriendelijk|onaardig|respectloos|respectloze", 2.0),
        ("grof|bot|kortaf|arrogant|neerbuigend|denigrerend|kleinerend|ongepast|kwetsend", 1.5),
        ("beledigend|beledigd|geschoffeerd|vernederd|vernederend|gekleineerd|bevooroordeeld", 2.0),
        ("uitgelachen|uitgescholden|uitscheldt|afgesnauwd|intimidatie|geintimideerd", 2.0),
        ("lach*|schold|scheld*|snauw*|schreeuw*|zuchtte", 1.0),
        ("lachte ~3 uit|weg", 1.5), ("belachelijk gemaakt", 2.0),
        ("bejegening|bejegend|toon|houding|gedrag|gedroeg*|opmerking*|grapjes", 1.5),
        ("discrimin*|gediscrimineerd|racis*|afkomst|hoofddoek", 2.5),
        ("niet|nooit ~2 serieus ~1 genomen", 2.5), ("niet ~1 gehoord", 1.0),
        ("niet ~1 respectvol|vriendelijk|beleefd|netjes|correct", 2.0),
        ("luisterde|luisteren|luistert ~2 niet", 1.5), ("niemand luistert", 1.0),
        ("als ~2 crimineel|kind|fraudeur|profiteur", 2.0), ("profiteur|zwerver|lui|luie", 1.0),
        ("slechte moeder|vader", 1.5), ("weggezet|weggewuifd|onderbroken|ongeinteresseerd", 1.5),
        ("hing ~4 op", 1.5), ("verhief ~2 stem", 2.0), ("zeuren", 0.5), ("excuses", 0.5),
        ("zonder ~1 toestemming", 1.0), ("privacy|prive", 1.0), ("gegevens ~4 gedeeld", 1.0),
        ("vastgepakt|geduwd|geslagen|sloeg", 2.0), ("papieren ~3 grond", 1.0),
        ("bejegen*", 1.0), ("op ~1 haar|zijn ~1 telefoon", 1.0), ("gekeken|keek ~3 niet", 0.5),
    ],
    "information": [
        ("verkeerd|verkeerde|onjuist|onjuiste ~2 informatie|info|uitleg|antwoord|antwoorden|advies", 2.5),
        ("verkeerd|verkeerde ~2 adres|rekening|rekeningnummer|bedrag|telefoonnummer", 2.0),
        ("verschillende ~1 antwoorden|verhalen", 2.0), ("informatie|uitleg|antwoord", 0.7),
        ("niet|nooit ~3 teruggebeld|gebeld|afgebeld", 2.0), ("terugbelverzoek*", 2.0),
        ("niet|nooit|geen ~3 ontvangen|gehad|gekregen", 1.0), ("niets|niks ~2 ontvangen", 1.5),
        ("brief|post|bericht|mail ~4 niet|nooit|geen", 1.0), ("geen ~1 post|bericht|brief", 1.0),
        ("kwijt|kwijtgeraakt|kwijtgemaakt|zoekgeraakt|kwijtraken", 2.5), ("dossier", 0.7),
        ("afspraak|afspraken ~3 niet ~2 nagekomen", 2.5), ("niet ~1 nagekomen", 2.0),
        ("niet ~3 gekomen|verschenen|komen opdagen", 1.5), ("dichte deur", 2.0),
        ("zou ~6 niet|nooit", 0.7), ("beloofde|beloofd|toezegging|toegezegd", 1.0),
        ("niemand ~3 verteld|vertellen|informeren|uitleggen|gebeld|laten weten", 2.0),
        ("niets|niks ~1 laten weten", 1.5), ("wist|weet ~1 van ~1 niets|niks", 2.0),
        ("zonder ~2 informeren|bericht|uitleg", 1.5), ("niet op de hoogte", 2.0),
        ("fout|fouten|vergissing|foutief", 1.5), ("klopt niet", 1.0),
        ("onduidelijk|onbegrijpelijk|snap niet", 1.5), ("nagelaten|nalatig*", 2.5),
        ("niet ~2 doorgegeven|verwerkt|betaald|overgemaakt|geregeld|gedaan", 1.0),
        ("ontbreken|ontbreekt", 1.0), ("niet ~1 bereikbaar", 1.5), ("neemt|nam ~3 niet ~1 op", 1.5),
        ("standaardmail|standaardbrief", 1.5), ("in de steek gelaten", 1.0),
        ("ingevoerd|overgenomen|verwerkt", 0.5), ("website|formulier ~5 werkt ~1 niet", 1.5),
        ("niet schoongemaakt", 0.5), ("niet ~2 gekomen", 0.5),
    ],
    "handling_time": [
        ("te|veel ~2 lang", 2.0), ("duurt|duren|duurde", 1.5), ("wacht*|gewacht", 1.5),
        ("wachtlijst|wachttijd", 2.0), ("termijn|beslistermijn|behandeltermijn", 2.0),
        ("verstreken|verlopen|overschreden|voorbij", 1.0),
        ("al ~2 dagen|weken|maanden|jaren|jaar", 1.5), ("weken|maanden", 0.7),
        ("nog steeds|altijd ~3 niet|geen|niks|niets|niemand", 2.0), ("nog ~1 niks|niets", 1.0),
        ("geen ~1 reactie|antwoord|besluit|beslissing|bericht|uitsluitsel", 1.5),
        ("reageert|reageren|gereageerd ~3 niet", 1.5), ("niks|niets ~1 gehoord|gedaan|doet", 1.5),
        ("niet ~2 beoordeeld|behandeld|beslist|uitbetaald|verwerkt", 1.0),
        ("in behandeling", 1.0), ("uitgesteld|stil|lijntje|traag", 1.5), ("sinds", 0.7),
        ("op zich wachten", 2.0), ("pas over", 1.0), ("later", 0.5), ("verder", 0.5),
    ],
    "policy": [
        ("beleid|minimabeleid|parkeerbeleid", 2.5), ("regel|regels", 2.0), ("regeling", 0.5),
        ("onterecht|oneerlijk", 1.5), ("niet ~1 eerlijk|redelijk", 1.5),
        ("te ~1 hoog|laag|streng|beperkt", 1.5), ("eigen ~1 bijdrage", 1.5),
        ("bezuinig*|wegbezuinigd|afgeschaft|versober*|verlaagd|gekort", 2.0),
        ("schandalig|schande|onmenselijk|onzin|achterhaald", 1.0),
        ("slaat ~1 nergens ~1 op", 1.5), ("waarom ~2 moet|moeten|betaal", 1.0),
        ("kostendelersnorm|tegenprestatie|sollicitatieplicht|inkomensgrens|meegeteld", 2.0),
        ("maar ~3 per ~1 jaar|week|maand", 1.5), ("alleen ~4 vergoed*|binnen", 1.0),
        ("heroverweg*|besloten", 1.0), ("openingstijden", 1.5), ("hetzelfde als", 1.0),
        ("nergens recht op", 2.0), ("te gek", 1.0), ("heft|heffen|belasting", 0.5),
        ("gemeente ~6 regelt", 1.0), ("bijverdienen|ingehouden", 0.5),
    ],
    "referral": [
        ("doorverwezen|doorverwijzing|doorverwijzen", 3.0), ("kastje ~3 muur", 3.0),
        ("verwijst|verwijzen|verwezen ~6 naar", 2.5), ("naar elkaar", 2.0),
        ("doorverbonden|doorgeschakeld|doorgestuurd|teruggestuurd", 2.5),
        ("stuurt|stuurde ~4 door|terug", 2.0), ("terug ~1 gestuurd", 2.0),
        ("ander|andere ~1 loket|afdeling|nummer", 1.5), ("loket ~4 loket|loketten", 2.0),
        ("loketten", 1.5), ("verkeerde ~1 afdeling", 1.5),
        ("niemand ~4 verantwoordelijk*", 2.0), ("moest|moet ~1 zijn", 1.0),
        ("zeggen|zeiden ~1 ze", 0.5), ("hoor|hoorde ~3 niet|ook niet", 1.0),
        ("niet bij hen", 1.5), ("oude ~4 nieuwe", 1.0), ("weer ~2 terug|naar", 0.5),
    ],
    "proactive": [
        ("zelf ~3 geconstateerd|vastgesteld|ontdekt|gezien|gemerkt", 3.0),
        ("wij|we ~3 zelf|zagen|merkten|constateerden|ontdekten", 2.0),
        ("eigen ~1 constatering|beweging|initiatief|controle|dossiercontrole|rapportages", 3.0),
        ("ambtshalve|proactief|proactieve", 3.0), ("interne ~1 melding|signalering", 3.0),
        ("steekproef|controle", 1.5), ("meldt ~1 zelf", 3.0),
        ("registreren|registratie|registreer ~4 proactieve|proactief", 2.0),
        ("excuusbrief|correctie", 1.0), ("nemen|bellen ~4 contact|na|op", 0.5),
        ("teamleider|kwaliteitsmedewerker|notitie", 1.0), ("onze|ons", 0.5),
    ],
    "other": [
        ("kwaliteit|vies|kapot|slecht|nutteloos|onhandig|onoverzichtelijk", 0.8),
        ("parkeren|wachtruimte|koffie|lift|verwarming", 0.8),
    ],
    "objection": [
        ("bezwaar ~2 tegen", 3.0), ("bezwaar ~2 maken|indienen|aantekenen|aan", 2.5),
        ("maak|teken ~3 bezwaar", 2.5), ("tegen ~8 bezwaar", 2.0), ("daartegen ~2 bezwaar", 3.0),
        ("bezwaarschrift", 2.0), ("niet ~2 eens ~6 besluit|beslissing|beschikking", 3.0),
        ("besluit|beslissing|beschikking|afwijzing ~16 niet ~2 eens", 2.5),
        ("niet ~1 akkoord ~4 besluit|beslissing|beschikking", 3.0),
        ("beslissing|besluit ~4 onterecht", 2.5), ("in ~1 beroep", 2.5),
        ("herzien|herziening", 1.5), ("opnieuw bekeken", 1.0),
    ],
    "question": [
        ("^ hoe|waar|wanneer|wat|welke ~1 kan|moet|kunnen|moeten|zijn|is|krijg|lang", 3.0),
        ("^ kan|mag|kunt|is ~1 ik|u|het|zij|hij", 2.5), ("hoe ~3 bezwaar ~1 maken|indienen", 2.0),
        ("wil|willen ~1 graag ~1 weten", 3.0), ("wil|wilt ~1 weten", 2.0),
        ("^ melding", 3.0), ("graag ~1 even ~1 melden", 3.0), ("vraag|vraagt ~1 of", 2.0),
        ("graag ~1 ontvang ~1 ik ~1 informatie", 3.0), ("wil graag een afspraak", 3.0),
        ("mijn vraag is", 2.5), ("vraag van", 1.0), ("alvast bedankt", 1.0),
        ("lantaarnpaal|zwerfvuil|overlast|tegels|glasbak|tak", 1.5),
    ],
    "complaint": [
        ("klacht ~2 indienen|in", 1.0), ("ontevreden|boos|klaagt|klagen", 1.0),
        ("klacht ~6 bezwaar", 4.0), ("bezwaar|bezwaarschrift ~10 niet ~3 behandeld|gehoord", 4.0),
        ("bezwaar|bezwaarschrift ~10 nog ~2 niks|niets|geen", 4.0), ("grootste ~1 bezwaar", 4.0),
        ("waarom ~4 nog steeds|al", 2.0), ("waarom ~6 te lang", 2.0),
    ],
    "urgent:threat": [
        ("mes|wapen|vermoorden|neerschieten|doodmaken", 1.0), ("bedreigd|bedreiging|bedreigen", 1.0),
        ("geslagen|sloeg|vastgepakt|geduwd|blauwe plekken|mishandeld", 1.0),
        ("agressief|agressie", 1.0), ("weet ~1 waar ~3 woont", 1.0),
        ("komen ~1 opzoeken|halen", 1.0), ("iets ~1 gaat ~1 doen", 1.0), ("te pakken", 1.0),
    ],
    "urgent:vulnerable": [
        ("zelfmoord|suicide|suicidaal|suicidale", 1.0), ("eind ~1 aan ~2 maken", 1.0),
        ("niet ~1 meer ~1 wil|willen ~1 leven", 1.0), ("zichzelf ~4 aandoen|doen", 1.0),
        ("iets ~1 aandoet|aandoen", 1.0), ("uit ~1 huis ~2 gehaald|geplaatst", 1.0),
        ("veiligheid|onveilig|weggelopen|vermist|paniek", 1.0), ("ernstige ~1 zorgen", 1.0),
        ("geen|zonder ~2 eten|medicijnen|insuline|slaapplek", 1.0),
        ("stoppen ~3 zorg", 1.0), ("kan ~3 zichzelf ~2 niet ~1 verzorgen", 1.0),
        ("in ~2 bed ~2 zonder", 1.0),
    ],
    "urgent:impact": [
        ("journalist|omroep|rtv|krantenartikel|volkskrant|telegraaf|nos|tiktok|viral", 1.0),
        ("naar|ingeschakeld|benaderd|gebeld ~3 krant|pers|media", 1.0), ("krant ~3 ingeschakeld|benaderd", 1.0),
        ("raadslid|wethouder|gemeenteraad|raadsvragen|fractie|raadsleden", 1.0),
        ("facebook|twitter|instagram ~6 gedeeld|delen|gepost|geplaatst", 1.0), ("massaal ~1 gedeeld", 1.0),
        ("social ~1 media ~4 zetten|plaatsen|delen|gedeeld", 1.0), ("item ~2 maken", 1.0),
    ],
    "urgent:livelihood": [
        ("huisuitzetting|uitzetting|ontruimen|ontruiming|ontruimingsprocedure|dakloos", 1.0),
        ("op ~1 straat", 1.0), ("uit ~2 huis ~2 gezet", 1.0), ("deurwaarder", 1.0),
        ("gas|stroom|water|energie|licht ~6 afgesloten|afsluiten", 1.0),
        ("afgesloten ~4 gas|stroom|water|energie|licht", 1.0), ("zonder ~1 gas|stroom|energie|water", 1.0),
        ("beslag", 1.0), ("beslag ~4 opgeheven", -1.0),
        ("geen ~1 uitkering|inkomen|leefgeld", 1.0),
        ("uitkering|uitkring|leefgeld|pgb|zorgbudget ~4 niet ~3 binnen|ontvangen|gestort|betaald|uitbetaald|overgemaakt", 1.0),
        ("geen ~1 geld ~1 voor|om|meer", 1.0), ("niets|niks ~2 ontvangen", 1.0),
        ("niets|niks ~1 over", 1.0), ("huur ~4 niet ~2 betalen|betaald", 1.0), ("huur ~3 achter", 1.0),
        ("slaap ~4 auto", 1.0), ("noodhulp", 1.0), ("euro ~3 om ~2 leven", 1.0),
    ],
}

NEGATORS: frozenset[str] = frozenset({"niet", "geen", "nooit", "allerminst", "nergens"})

# Words after which a preceding negation no longer applies ("niet boos, maar onbeschoft").
NEGATION_STOPS: frozenset[str] = frozenset({"maar", "wel", "toch", "en", "of"})

# Real Dutch words one letter away from a rule word: never read them as a typo of it.
FUZZY_BLOCKLIST: frozenset[str] = frozenset(
    {"kracht", "bereid", "geleid", "gestoord", "gestoort", "wachter", "moeder", "vader", "mensen",
     "dagen", "regent", "reden", "kinderen", "beslaan", "termijnen", "rekenen", "melden"}
)

STOPWORDS: frozenset[str] = frozenset(
    "de het een en of maar ik je jij u hij zij ze we wij mij me mijn uw zijn haar hun ons onze "
    "is was ben bent wordt werd worden zijn had heb heeft hebben kan kon kunnen zou zal moet "
    "niet wel geen al nog ook dan dat die dit deze daar hier er om op in aan te van voor met "
    "bij naar uit over tot door als na nu zo heel erg veel meer toch even weer dus want omdat "
    "wat wie hoe waar wanneer welke mw dhr klnt klant mevrouw meneer".split()
)
