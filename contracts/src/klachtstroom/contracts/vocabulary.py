"""The shared vocabulary of klachtstroom: English identifiers, Dutch labels for people.

One concept, one place: every service imports these enums; nobody re-declares them.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    web_form = "web_form"
    email = "email"
    phone = "phone"
    letter = "letter"
    in_person = "in_person"


class Kind(StrEnum):
    complaint = "complaint"
    objection = "objection"  # bezwaar: against a decision, not a complaint -> refer
    question = "question"  # vraag/melding


class Category(StrEnum):
    conduct = "conduct"
    information = "information"
    handling_time = "handling_time"
    policy = "policy"
    referral = "referral"
    proactive = "proactive"
    other = "other"


class Resolution(StrEnum):
    informal = "informal"  # Awb 9:5
    formal = "formal"  # Awb 9:10-9:12


class Outcome(StrEnum):
    upheld = "upheld"
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"
    mutual_agreement = "mutual_agreement"
    withdrawn = "withdrawn"
    inadmissible = "inadmissible"  # Awb 9:8
    no_judgement = "no_judgement"


class Handler(StrEnum):
    municipality = "municipality"
    provider = "provider"


class DeclineGround(StrEnum):
    """The grounds of Awb 9:8 lid 1 on which a complaint may be left unhandled."""

    already_handled = "already_handled"  # 9:8 lid 1 a: same conduct already handled under 9
    older_than_one_year = "older_than_one_year"  # 9:8 lid 1 b
    objection_possible = "objection_possible"  # 9:8 lid 1 c/d: objection or appeal open or used
    court_ruling = "court_ruling"  # 9:8 lid 1 e/f: judged by a court
    too_small_interest = "too_small_interest"  # 9:8 lid 2 a/b: interest or seriousness too small
    complainant_not_cooperating = "complainant_not_cooperating"  # 9:8 lid 2 (practice)


class DeadlineKind(StrEnum):
    contact = "contact"
    decision = "decision"
    decline = "decline"
    provider_response = "provider_response"


class DeadlineState(StrEnum):
    running = "running"
    suspended = "suspended"
    met = "met"
    breached = "breached"
    cancelled = "cancelled"


DUTCH_LABELS: dict[str, str] = {
    # channel
    "web_form": "Digitaal formulier",
    "email": "E-mail",
    "phone": "Telefoon",
    "letter": "Brief",
    "in_person": "Balie",
    # kind
    "complaint": "Klacht",
    "objection": "Bezwaar",
    "question": "Vraag of melding",
    # category
    "conduct": "Bejegening",
    "information": "Informatie / nalatigheid",
    "handling_time": "Behandeltermijn / afhandelingsduur",
    "policy": "Beleid",
    "referral": "Doorverwijzing",
    "proactive": "Proactief",
    "other": "Overig",
    # resolution
    "informal": "Informeel / bemiddeld",
    "formal": "Formele klachtbehandeling",
    # outcome
    "upheld": "Gegrond",
    "partly_upheld": "Gedeeltelijk gegrond",
    "not_upheld": "Ongegrond",
    "mutual_agreement": "Wederzijdse overeenstemming",
    "withdrawn": "Ingetrokken",
    "inadmissible": "Niet-ontvankelijk / niet in behandeling genomen",
    "no_judgement": "Geen oordeel",
    # handler
    "municipality": "Gemeente",
    "provider": "Zorgaanbieder",
}


def dutch(value: str) -> str:
    """The Dutch word for a vocabulary value, or the value itself when it has none."""
    return DUTCH_LABELS.get(value, value)
