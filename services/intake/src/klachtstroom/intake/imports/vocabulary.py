"""The words municipalities use in their complaint registers, mapped onto klachtstroom's vocabulary.

Keys are normalised (lower case, no accents, punctuation as spaces): see `normalise`.
"""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


# field -> header spellings; the first is the name used in messages about a missing column.
COLUMNS: dict[str, tuple[str, ...]] = {
    "received_at": (
        "datum ontvangst",
        "ontvangen",
        "datum ontvangen",
        "ontvangstdatum",
        "ontvangen op",
        "datum binnenkomst",
        "binnengekomen",
        "datum klacht",
        "datum indiening",
    ),
    "channel": (
        "kanaal",
        "wijze van indienen",
        "ingediend via",
        "binnengekomen via",
        "wijze van binnenkomst",
        "ontvangen via",
    ),
    "description": (
        "omschrijving",
        "omschrijving klacht",
        "klacht",
        "inhoud",
        "inhoud klacht",
        "onderwerp",
        "toelichting",
    ),
    "category": ("categorie", "klachtcategorie", "categorie klacht", "aard van de klacht", "aard"),
    "unit": ("afdeling", "team", "organisatieonderdeel", "cluster", "domein"),
    "municipality": ("gemeente", "woonplaats gemeente"),
    "provider": ("zorgaanbieder", "aanbieder", "zorgaanbieder partner", "partner"),
    "kind": ("soort", "type", "soort melding"),
    "resolution": ("afhandeling", "wijze van afhandeling", "behandeling", "afhandelingswijze"),
    "outcome": ("uitkomst", "oordeel", "resultaat", "beslissing", "conclusie"),
    "resolved_at": (
        "datum afgehandeld",
        "afgehandeld",
        "datum afhandeling",
        "afgehandeld op",
        "datum besluit",
        "datum oordeel",
        "datum afgerond",
    ),
    "ombudsman": ("ombudsman", "naar ombudsman", "nationale ombudsman", "doorgestuurd naar ombudsman"),
    "name": ("naam", "naam klager", "naam indiener", "klager"),
    "email": ("e mail", "email", "e mailadres", "emailadres", "mail"),
    "phone": ("telefoon", "telefoonnummer", "tel", "telefoonnr"),
    "address": ("adres", "adres klager"),
}
REQUIRED = ("received_at", "channel", "description")

CHANNELS: dict[str, str] = {
    **dict.fromkeys(
        (
            "digitaal formulier",
            "formulier",
            "webformulier",
            "website",
            "internet",
            "digitaal",
            "online",
            "e formulier",
            "klachtenformulier",
            "web",
        ),
        "web_form",
    ),
    **dict.fromkeys(("e mail", "email", "mail", "per e mail", "per mail"), "email"),
    **dict.fromkeys(("telefoon", "telefonisch", "tel", "per telefoon", "kcc", "telefoon kcc"), "phone"),
    **dict.fromkeys(("brief", "post", "schriftelijk", "per brief", "per post"), "letter"),
    **dict.fromkeys(
        ("balie", "aan de balie", "persoonlijk", "baliebezoek", "loket", "bezoek", "mondeling"), "in_person"
    ),
}
KINDS: dict[str, str] = {
    **dict.fromkeys(("klacht", "klachten"), "complaint"),
    **dict.fromkeys(("bezwaar", "bezwaarschrift"), "objection"),
    **dict.fromkeys(("vraag", "melding", "vraag of melding", "vraag melding", "signaal"), "question"),
}
CATEGORIES: dict[str, str] = {
    **dict.fromkeys(("bejegening", "houding", "gedrag"), "conduct"),
    **dict.fromkeys(
        ("informatie", "nalatigheid", "informatie nalatigheid", "informatievoorziening", "communicatie"),
        "information",
    ),
    **dict.fromkeys(
        (
            "behandeltermijn",
            "afhandelingsduur",
            "behandeltermijn afhandelingsduur",
            "termijn",
            "wachttijd",
            "doorlooptijd",
            "behandelingsduur",
        ),
        "handling_time",
    ),
    **dict.fromkeys(("beleid", "regelgeving"), "policy"),
    **dict.fromkeys(("doorverwijzing", "doorverwezen"), "referral"),
    **dict.fromkeys(("proactief",), "proactive"),
    **dict.fromkeys(("overig", "overige", "anders", "divers"), "other"),
}
RESOLUTIONS: dict[str, str] = {
    **dict.fromkeys(
        ("informeel", "bemiddeld", "informeel bemiddeld", "bemiddeling", "informele afhandeling"), "informal"
    ),
    **dict.fromkeys(
        ("formeel", "formele klachtbehandeling", "formele behandeling", "formele afhandeling"), "formal"
    ),
}
OUTCOMES: dict[str, str] = {
    **dict.fromkeys(("gegrond",), "upheld"),
    **dict.fromkeys(("deels gegrond", "gedeeltelijk gegrond", "deels", "ten dele gegrond"), "partly_upheld"),
    **dict.fromkeys(("ongegrond",), "not_upheld"),
    **dict.fromkeys(
        ("wederzijdse overeenstemming", "opgelost", "in overleg opgelost", "naar tevredenheid"),
        "mutual_agreement",
    ),
    **dict.fromkeys(("ingetrokken",), "withdrawn"),
    **dict.fromkeys(
        ("niet ontvankelijk", "niet in behandeling genomen", "niet in behandeling", "niet behandeld"),
        "inadmissible",
    ),
    **dict.fromkeys(("geen oordeel",), "no_judgement"),
}
YES = frozenset(("ja", "j", "yes", "y", "x", "1", "true", "waar"))
NO = frozenset(("nee", "n", "no", "0", "false", "onwaar"))
MONTHS = {
    "jan": 1,
    "feb": 2,
    "maa": 3,
    "mrt": 3,
    "apr": 4,
    "mei": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "okt": 10,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
