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


class Achievement(StrEnum):
    """Whether what the complainant wanted ("wat wilt u bereiken") was achieved, as the handler judges."""

    yes = "yes"
    partly = "partly"
    no = "no"


class MeasureStatus(StrEnum):
    """A measure in the register of lessons from complaints (leren van klachten)."""

    planned = "planned"
    in_progress = "in_progress"
    done = "done"


class Norm(StrEnum):
    """The 22 behoorlijkheidsnormen of the Nationale ombudsman (Behoorlijkheidswijzer), in four groups."""

    # open en duidelijk
    transparency = "transparency"
    good_information = "good_information"
    listening = "listening"
    reasoned_decision = "reasoned_decision"
    # respectvol
    fundamental_rights = "fundamental_rights"
    active_participation = "active_participation"
    decent_treatment = "decent_treatment"
    fair_play = "fair_play"
    proportionality = "proportionality"
    special_care = "special_care"
    # betrokken en oplossingsgericht
    customisation = "customisation"
    cooperation = "cooperation"
    accommodating = "accommodating"
    promptness = "promptness"
    de_escalation = "de_escalation"
    # eerlijk en betrouwbaar
    integrity = "integrity"
    reliability = "reliability"
    impartiality = "impartiality"
    reasonableness = "reasonableness"
    good_preparation = "good_preparation"
    good_organisation = "good_organisation"
    professionalism = "professionalism"


NORM_GROUPS: dict[str, tuple[Norm, ...]] = {
    "Open en duidelijk": (Norm.transparency, Norm.good_information, Norm.listening, Norm.reasoned_decision),
    "Respectvol": (
        Norm.fundamental_rights, Norm.active_participation, Norm.decent_treatment,
        Norm.fair_play, Norm.proportionality, Norm.special_care,
    ),
    "Betrokken en oplossingsgericht": (
        Norm.customisation, Norm.cooperation, Norm.accommodating, Norm.promptness, Norm.de_escalation,
    ),
    "Eerlijk en betrouwbaar": (
        Norm.integrity, Norm.reliability, Norm.impartiality, Norm.reasonableness,
        Norm.good_preparation, Norm.good_organisation, Norm.professionalism,
    ),
}  # fmt: skip


class CaseState(StrEnum):
    """Where a case stands in the Awb chapter 9 lifecycle (DESIGN.md "Vocabulary", DOMAIN.md)."""

    received = "received"  # registered, nobody handles it yet
    assigned = "assigned"  # a municipal handler (or unit) has it
    referred = "referred"  # warm hand-over to a provider as first line
    acknowledged = "acknowledged"  # Awb 9:6: receipt confirmed, contact made
    informal = "informal"  # Awb 9:5: conversation or mediation
    formal = "formal"  # Awb 9:7-9:12: formal complaint handling
    suspended = "suspended"  # waiting for the complainant; the term is paused
    resolved = "resolved"  # decided (informally or formally)
    declined = "declined"  # Awb 9:8: not taken into handling
    withdrawn = "withdrawn"  # the complainant withdrew
    ombudsman = "ombudsman"  # referred to the (Nationale) ombudsman, third line
    merged = "merged"  # merged into another complaint of the same person
    forwarded = "forwarded"  # an objection or question handed on; no complaint terms


OPEN_CASE_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.received,
        CaseState.assigned,
        CaseState.referred,
        CaseState.acknowledged,
        CaseState.informal,
        CaseState.formal,
        CaseState.suspended,
    }
)
CLOSED_CASE_STATES: frozenset[CaseState] = frozenset(set(CaseState) - OPEN_CASE_STATES)


class ProviderStatus(StrEnum):
    """What a provider reports about a complaint it handles as first line."""

    registered = "registered"
    in_handling = "in_handling"
    resolved = "resolved"
    measures = "measures"


class EscalationLevel(StrEnum):
    """The rungs of the escalation ladder of an overdue term, in order."""

    handler = "handler"
    coordinator = "coordinator"
    manager = "manager"
    college = "college"


# Dutch words per concept (the same English value can mean different things in two concepts:
# `resolved` is a case state and a provider status). Shown lower case; a page capitalises.
CASE_STATE_LABELS: dict[CaseState, str] = {
    CaseState.received: "ontvangen",
    CaseState.assigned: "toegewezen",
    CaseState.referred: "doorverwezen naar de zorgaanbieder",
    CaseState.acknowledged: "ontvangst bevestigd",
    CaseState.informal: "informele behandeling",
    CaseState.formal: "formele behandeling",
    CaseState.suspended: "opgeschort",
    CaseState.resolved: "afgehandeld",
    CaseState.declined: "niet in behandeling genomen",
    CaseState.withdrawn: "ingetrokken",
    CaseState.ombudsman: "doorverwezen naar de ombudsman",
    CaseState.merged: "samengevoegd met een andere klacht",
    CaseState.forwarded: "doorgestuurd (geen klacht)",
}
PROVIDER_STATUS_LABELS: dict[ProviderStatus, str] = {
    ProviderStatus.registered: "geregistreerd",
    ProviderStatus.in_handling: "in behandeling",
    ProviderStatus.resolved: "afgehandeld",
    ProviderStatus.measures: "maatregelen gemeld",
}
ESCALATION_LEVEL_LABELS: dict[EscalationLevel, str] = {
    EscalationLevel.handler: "behandelaar",
    EscalationLevel.coordinator: "klachtcoördinator",
    EscalationLevel.manager: "leidinggevende",
    EscalationLevel.college: "college van burgemeester en wethouders",
}
DEADLINE_KIND_LABELS: dict[DeadlineKind, str] = {
    DeadlineKind.contact: "contacttermijn",
    DeadlineKind.decision: "beslistermijn",
    DeadlineKind.decline: "termijn om de klacht niet in behandeling te nemen",
    DeadlineKind.provider_response: "reactietermijn van de zorgaanbieder",
}
# What a term asks of the case worker (the dashboard's list of terms that need attention).
DEADLINE_KIND_TASKS: dict[DeadlineKind, str] = {
    DeadlineKind.contact: "persoonlijk contact",
    DeadlineKind.decision: "beslissen op de klacht",
    DeadlineKind.decline: "besluiten de klacht niet in behandeling te nemen",
    DeadlineKind.provider_response: "reactie van de zorgaanbieder",
}
DEADLINE_STATE_LABELS: dict[DeadlineState, str] = {
    DeadlineState.running: "loopt",
    DeadlineState.suspended: "opgeschort",
    DeadlineState.met: "gehaald",
    DeadlineState.breached: "verlopen",
    DeadlineState.cancelled: "vervallen",
}


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
    # achievement of the desired outcome
    "yes": "Ja",
    "partly": "Gedeeltelijk",
    "no": "Nee",
    # measure status
    "planned": "Gepland",
    "in_progress": "In uitvoering",
    "done": "Uitgevoerd",
    # behoorlijkheidsnormen
    "transparency": "Transparant",
    "good_information": "Goede informatieverstrekking",
    "listening": "Luisteren naar de burger",
    "reasoned_decision": "Goede motivering",
    "fundamental_rights": "Respecteren van grondrechten",
    "active_participation": "Bevorderen van actieve deelname door de burger",
    "decent_treatment": "Fatsoenlijke bejegening",
    "fair_play": "Fair play",
    "proportionality": "Evenredigheid",
    "special_care": "Bijzondere zorg",
    "customisation": "Maatwerk",
    "cooperation": "Samenwerking",
    "accommodating": "Coulante opstelling",
    "promptness": "Voortvarendheid",
    "de_escalation": "De-escalatie",
    "integrity": "Integriteit",
    "reliability": "Betrouwbaarheid",
    "impartiality": "Onpartijdigheid",
    "reasonableness": "Redelijkheid",
    "good_preparation": "Goede voorbereiding",
    "good_organisation": "Goede organisatie",
    "professionalism": "Professionaliteit",
}


def dutch(value: str) -> str:
    """The Dutch word for a vocabulary value, or the value itself when it has none."""
    return DUTCH_LABELS.get(value, value)
