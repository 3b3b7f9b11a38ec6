"""Letters to the complainant, in plain Dutch (B1), from editable templates.

The templates are Jinja2 text (`templates/*.txt.j2`): `# ` starts the title, `## ` a heading,
a blank line separates paragraphs. A municipality changes a letter through
`PUT /api/v1/letter-templates/{kind}` (admin; stored in `letter_templates`, checked by rendering it
first), or by putting a file with the same name in `$KLACHTSTROOM_DATA_DIR/routing/letters/`; the
stored wording wins over the file, the file over the shipped one. Templates run in Jinja's sandbox.

Letters are signed by `KLACHTSTROOM_ROUTING_LETTER_SIGNER` (a name or a role) when it is set, else
by the case's handler, else by "De klachtcoördinator". A letter marked sent
(`POST .../letters/{kind}/sent`) is kept as it was (`sent_letters`) and shown from then on as sent:
a later handler, template or address changes nothing in it.

A letter is addressed at the moment it is produced: the complainant's name and address are asked
from intake (casework/contact.py) for the person producing it and used only in that letter; routing
keeps neither. Without them (intake not answering, a caller who may not see them) the letter opens
with "Geachte heer of mevrouw".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from klachtstroom.contracts.timekeeping import dutch_date, local_date
from klachtstroom.contracts.vocabulary import DeclineGround, Outcome, dutch
from klachtstroom.routing.casework.case_rows import case_of
from klachtstroom.routing.casework.contact import ContactDetails
from klachtstroom.routing.settings import RoutingSettings
from klachtstroom.routing.tables import CaseRow, DeadlineRow, HistoryRow, utc

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class LetterKind:
    name: str  # template name
    subject: str
    action: str | None  # the history entry the letter belongs to (its date is the letter's date)


KINDS: Mapping[str, LetterKind] = {
    "ontvangstbevestiging": LetterKind("ontvangstbevestiging", "Ontvangstbevestiging van uw klacht", None),
    "verdaging": LetterKind("verdaging", "Verdaging van de behandeling van uw klacht", "extend"),
    "niet-in-behandeling": LetterKind(
        "niet-in-behandeling", "Uw klacht wordt niet in behandeling genomen", "decline"
    ),
    "uitkomst": LetterKind("uitkomst", "Afhandeling van uw klacht", "resolve"),
}
ALIASES = {
    "acknowledgement": "ontvangstbevestiging",
    "extension": "verdaging",
    "decline": "niet-in-behandeling",
    "outcome": "uitkomst",
}

GROUNDS: Mapping[str, str] = {
    DeclineGround.already_handled: "Wij hebben een klacht over hetzelfde voorval al eerder behandeld.",
    DeclineGround.older_than_one_year: "Wat u beschrijft, is meer dan een jaar geleden gebeurd.",
    DeclineGround.objection_possible: (
        "U kunt of kon hiertegen bezwaar maken of in beroep gaan. Die weg is bedoeld voor uw situatie."
    ),
    DeclineGround.court_ruling: "Een rechter heeft over deze zaak al een uitspraak gedaan, of doet dat nog.",
    DeclineGround.too_small_interest: (
        "Het belang van uw klacht is te klein, of wat er gebeurde is niet ernstig genoeg "
        "voor een klachtbehandeling."
    ),
    DeclineGround.complainant_not_cooperating: (
        "Wij hebben u om informatie gevraagd die wij nodig hebben, maar die hebben wij niet gekregen."
    ),
}

OUTCOMES: Mapping[str, str] = {
    Outcome.upheld: (
        "Uw klacht is gegrond. Dat betekent: u heeft gelijk. Wij bieden u hiervoor onze excuses aan."
    ),
    Outcome.partly_upheld: "Uw klacht is gedeeltelijk gegrond. Dat betekent: u heeft voor een deel gelijk.",
    Outcome.not_upheld: (
        "Uw klacht is ongegrond. Dat betekent: wij vinden dat er in dit geval niet verkeerd is gehandeld."
    ),
    Outcome.mutual_agreement: "Wij hebben samen met u een oplossing gevonden waar u tevreden mee bent.",
    Outcome.no_judgement: "Wij geven geen oordeel over uw klacht.",
}


class LetterNotApplicable(Exception):
    """This letter does not fit the case (yet) (HTTP 409)."""


def environment(settings_dir: Path, own: Mapping[str, str] | None = None) -> Environment:
    """Templates in order: the municipality's stored wording (`own`: kind -> text), a file in
    the data directory, the shipped one."""
    override = settings_dir / "letters"
    loaders: list[BaseLoader] = [
        DictLoader({f"{kind}.txt.j2": text for kind, text in (own or {}).items()}),
        FileSystemLoader(str(override)),
        FileSystemLoader(str(TEMPLATES)),
    ]
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # plain text; escaped when it is turned into HTML or PDF
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Letter:
    kind: LetterKind
    reference: str
    date: date
    organisation: str
    text: str
    # The complainant's name and address lines, when known at the moment the letter is produced.
    addressee: tuple[str, ...] = ()


def letter_kind(name: str) -> LetterKind:
    key = ALIASES.get(name, name)
    if key not in KINDS:
        raise KeyError(name)
    return KINDS[key]


def compose(
    env: Environment,
    settings: RoutingSettings,
    kind: LetterKind,
    row: CaseRow,
    history: list[HistoryRow],
    deadlines: list[DeadlineRow],
    today: date,
    recipient: ContactDetails | None = None,
) -> Letter:
    case = case_of(row)
    entry = _entry(kind, history)
    data: Mapping[str, Any] = entry.data if entry else {}
    due = next((d.due for d in deadlines if d.kind == "decision"), case.decision_due)
    # After an extension the new due date comes from the deadlines service; until it has
    # recomputed the term, the letter names no date rather than the old one.
    moved = due is not None and kind.action == "extend" and data.get("previous_due") != due.isoformat()
    signer = settings.letter_signer.strip() or _person_or_role(case.handler_name) or "De klachtcoördinator"
    name = recipient.name if recipient else None
    context: dict[str, Any] = {
        "salutation": f"Geachte {name}" if name else "Geachte heer of mevrouw",
        "reference": row.reference,
        "received_on": dutch_date(case.received_on),
        "organisation": settings.organisation,
        "category": dutch(case.category.value).lower(),
        "unit": case.unit,
        "handler_name": _person_or_role(case.handler_name),
        "decision_due": dutch_date(due) if due else None,
        "ombudsman": settings.ombudsman,
        "ombudsman_contact": settings.ombudsman_contact,
        "signature": f"{signer}\nnamens {settings.organisation}",
        "weeks": data.get("weeks"),
        "reason": entry.reason if entry and entry.reason else "",
        "new_due": dutch_date(due) if due is not None and moved else None,
        "ground_text": GROUNDS.get(str(data.get("ground")), ""),
        "explanation": data.get("explanation"),
        "outcome_text": OUTCOMES.get(case.outcome.value if case.outcome else "", ""),
        "summary": data.get("summary"),
        "hearing_held": case.hearing_held,
    }  # fmt: skip
    text = env.get_template(f"{kind.name}.txt.j2").render(context)
    on = local_date(utc(entry.at)) if entry else today
    return Letter(kind, row.reference, on, settings.organisation, text, addressee_lines(recipient))


def shipped_template(kind: LetterKind) -> str:
    return (TEMPLATES / f"{kind.name}.txt.j2").read_text(encoding="utf-8")


# What a template may use: every letter gets the same names (some are empty for some letters).
TEMPLATE_VARIABLES = (
    "salutation", "reference", "received_on", "organisation", "category", "unit", "handler_name",
    "decision_due", "ombudsman", "ombudsman_contact", "signature", "weeks", "reason", "new_due",
    "ground_text", "explanation", "outcome_text", "summary", "hearing_held",
)  # fmt: skip


class LetterTemplateRefused(ValueError):
    """A letter template that would not render (HTTP 422), with the reason in Dutch."""


def check_template(kind: LetterKind, text: str) -> None:
    """Render the template with sample values for every variable; refuse it when that fails."""
    sample: dict[str, Any] = {name: f"[{name}]" for name in TEMPLATE_VARIABLES}
    sample.update(weeks=4, hearing_held=True)
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    try:
        rendered = env.from_string(text).render(sample)
    except TemplateError as error:
        raise LetterTemplateRefused(
            f"de sjabloontaal klopt niet ({type(error).__name__}: {error.message})"
        ) from None
    if "# " not in rendered:
        raise LetterTemplateRefused("een brief begint met een titelregel die met '# ' begint")


def about_of(kind: LetterKind, history: list[HistoryRow]) -> str:
    """Which history entry a letter answers (its id), '' for the acknowledgement."""
    entry = _entry(kind, history)
    return str(entry.id) if entry is not None else ""


def addressee_lines(recipient: ContactDetails | None) -> tuple[str, ...]:
    """Name and address as written on the envelope window (the address as given, line by line)."""
    if recipient is None or not (recipient.name or recipient.address):
        return ()
    lines = [recipient.name] if recipient.name else []
    address = (recipient.address or "").replace("\r\n", "\n")
    lines += [part.strip() for part in address.replace(",", "\n").split("\n") if part.strip()]
    return tuple(lines)


def _person_or_role(name: str | None) -> str | None:
    """'A. Bakker' stays; a role such as 'klachtcoördinator' becomes 'De klachtcoördinator'."""
    if not name:
        return None
    return f"De {name}" if name[:1].islower() else name


def _entry(kind: LetterKind, history: list[HistoryRow]) -> HistoryRow | None:
    """The newest history entry the letter is about; refuse a letter that does not fit."""
    if kind.action is None:
        return None
    found = [h for h in history if h.action == kind.action]
    if not found:
        raise LetterNotApplicable(_NOT_YET[kind.name])
    entry = found[-1]
    if kind.name == "uitkomst" and entry.data.get("outcome") in {Outcome.withdrawn, Outcome.inadmissible}:
        raise LetterNotApplicable(_NOT_YET[kind.name])
    return entry


_NOT_YET = {
    "verdaging": "Deze klacht is niet verdaagd; er is geen verdagingsbrief.",
    "niet-in-behandeling": "Deze klacht is niet 'niet in behandeling genomen'.",
    "uitkomst": "Over deze klacht is nog geen oordeel gegeven (actie 'afhandelen').",
}
