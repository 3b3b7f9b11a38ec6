"""The messages a resident receives, in B1 Dutch; a municipality can replace each wording.

Defaults ship here; an edited wording is stored in `message_templates` (PUT
/api/v1/message-templates/{kind}). Templates are Jinja2 in a sandbox, plain text, with only
the variables listed per kind. `tests/test_resident_wording.py` checks every default against a
Dutch readability score (Flesch-Douma).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


# What each kind may use; `organisation` and `reference` are always there.
VARIABLES: dict[str, tuple[str, ...]] = {
    "receipt": ("status_url", "decision_due"),
    "handler_changed": ("handler", "status_url"),
    "extension": ("weeks", "reason", "decision_due", "status_url"),
    "suspension": ("awaited", "status_url"),
    "outcome": ("outcome", "next_step", "status_url"),
    # Not a complaint (DOMAIN.md): an objection or a question is told where it goes instead.
    "receipt_objection": ("status_url",),
    "receipt_question": ("status_url",),
    "forwarded": ("destination", "what_next"),
    # An e-mail of which not everything could be kept (a refused attachment): the sender is told.
    "mail_not_accepted": ("not_accepted",),
}

DEFAULTS: dict[str, Wording] = {
    "receipt": Wording(
        "Wij hebben uw klacht ontvangen ({{ reference }})",
        """Beste heer of mevrouw,

Wij hebben uw klacht goed ontvangen. Dank u wel dat u dit aan ons laat weten.
Uw klachtnummer is {{ reference }}. Noem dit nummer als u ons belt.

Wat gebeurt er nu?
Binnen 5 werkdagen nemen we contact met u op. We vragen wat er is gebeurd. En wat u graag wilt.
{% if decision_due %}U krijgt ons oordeel uiterlijk op {{ decision_due }}.
{% else %}U krijgt ons oordeel binnen 6 weken.
{% endif %}
Op deze pagina ziet u altijd hoe het met uw klacht gaat:
{{ status_url }}
Deel deze link niet met anderen. U heeft geen account nodig.

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "receipt_objection": Wording(
        "Wij hebben uw bezwaar ontvangen ({{ reference }})",
        """Beste heer of mevrouw,

Wij hebben uw bericht goed ontvangen. Uw nummer is {{ reference }}.

Uw bericht gaat over een besluit van ons. Dan is het geen klacht. Het is een bezwaar.
Voor een bezwaar is er een eigen regeling: de bezwaarprocedure.
We sturen uw bericht naar het team dat bezwaren behandelt.

Wat gebeurt er nu?
Dat team laat u weten wat er gebeurt.
U dient een bezwaar in binnen 6 weken na de datum van het besluit.
Daarna krijgt u meestal binnen 6 weken een beslissing op uw bezwaar.
Praat u eerst met een commissie? Dan duurt het tot 12 weken.

Op deze pagina ziet u hoe het met uw bericht gaat:
{{ status_url }}
Deel deze link niet met anderen.

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "receipt_question": Wording(
        "Wij hebben uw vraag ontvangen ({{ reference }})",
        """Beste heer of mevrouw,

Wij hebben uw bericht goed ontvangen. Uw nummer is {{ reference }}.

Uw bericht is een vraag of een melding. Dat is geen klacht.
We sturen uw bericht naar het Klantcontactcentrum (KCC).
Daar geven ze antwoord op uw vraag. Of ze zorgen dat de melding bij de juiste persoon komt.
Meestal hoort u binnen 5 werkdagen van ons.

Op deze pagina ziet u hoe het met uw bericht gaat:
{{ status_url }}
Deel deze link niet met anderen.

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "mail_not_accepted": Wording(
        "Niet alles uit uw e-mail is aangekomen ({{ reference }})",
        """Beste heer of mevrouw,

Wij hebben uw e-mail ontvangen. Uw nummer is {{ reference }}.
Maar niet alles uit uw e-mail konden we gebruiken.
Dit hebben we niet bewaard: {{ not_accepted }}.

Is dit belangrijk voor uw klacht? Stuur het dan nog een keer.
Dat kan als PDF, JPG, PNG of Word-bestand.
Elk bestand mag niet groter zijn dan 10 MB.
Stuur niet meer dan 3 bestanden per e-mail.

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "forwarded": Wording(
        "Wij hebben uw bericht doorgestuurd ({{ reference }})",
        """Beste heer of mevrouw,

Wij hebben uw bericht doorgestuurd naar {{ destination }}.
{{ what_next }}
U hoeft zelf niets te doen.

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "handler_changed": Wording(
        "Iemand anders behandelt nu uw klacht ({{ reference }})",
        """Beste heer of mevrouw,

Uw klacht wordt nu behandeld door {{ handler }}.
Deze persoon neemt contact met u op als dat nodig is.
U hoeft zelf niets te doen.

Op deze pagina ziet u hoe het met uw klacht gaat:
{{ status_url }}

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "extension": Wording(
        "We hebben meer tijd nodig voor uw klacht ({{ reference }})",
        """Beste heer of mevrouw,

Het lukt ons niet om uw klacht op tijd af te handelen. Dat spijt ons.
We nemen {{ weeks }} {{ "week" if weeks == 1 else "weken" }} extra.
De reden is: {{ reason }}
U krijgt ons oordeel nu uiterlijk op {{ decision_due }}.

Op deze pagina ziet u hoe het met uw klacht gaat:
{{ status_url }}

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "suspension": Wording(
        "We wachten op informatie van u ({{ reference }})",
        """Beste heer of mevrouw,

We hebben iets van u nodig om verder te gaan met uw klacht.
Dit hebben we nodig: {{ awaited }}
Stuur het ons zo snel als u kunt. Zolang we wachten, staat de termijn stil.

Op deze pagina ziet u hoe het met uw klacht gaat:
{{ status_url }}

Met vriendelijke groet,
{{ organisation }}
""",
    ),
    "outcome": Wording(
        "Uw klacht is afgehandeld ({{ reference }})",
        """Beste heer of mevrouw,

Uw klacht is afgehandeld. Ons oordeel: {{ outcome }}.
U krijgt of kreeg hierover ook een brief.

{{ next_step }}

Wat vond u van de manier waarop wij uw klacht hebben behandeld?
Geef ons een cijfer van 1 tot 10. Het kost u 1 minuut.
Op deze pagina ziet u hoe het met uw klacht gaat:
{{ status_url }}

Met vriendelijke groet,
{{ organisation }}
""",
    ),
}

KINDS = tuple(DEFAULTS)

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class WordingRefused(ValueError):
    """An edited template that cannot be used (syntax, or a variable that does not exist)."""


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A template compiled once per text: compiling took a fifth of a registration's time."""
    return _ENV.from_string(source)


def render(wording: Wording, context: dict[str, Any]) -> tuple[str, str]:
    subject = _compiled(wording.subject).render(context).strip()
    body = _compiled(wording.body).render(context)
    return " ".join(subject.split()), body


def sample_context(kind: str) -> dict[str, Any]:
    """Example values, to check an edited template before it is stored (and for the tests)."""
    return {
        "organisation": "Gemeente Voorbeeld",
        "reference": "KL-2026-000042",
        "status_url": "https://klachten.voorbeeld.nl/status/voorbeeldcode",
        "decision_due": "14 april 2026",
        "handler": "een klachtbehandelaar van de afdeling Inkomen",
        "weeks": 4,
        "reason": "We wachten nog op een gesprek met de medewerker.",
        "awaited": "een kopie van de brief die u kreeg",
        "outcome": "uw klacht is gegrond. U heeft gelijk",
        "next_step": "Bent u het niet eens met ons oordeel? Dan kunt u naar de Nationale ombudsman.",
        "destination": "het team Bezwaar en beroep",
        "what_next": "Daar behandelen ze uw bezwaar. Zij laten u weten wanneer u een beslissing krijgt.",
        "not_accepted": "1 bestand dat te groot was",
    }


def check(kind: str, wording: Wording) -> None:
    """Refuse a template that would fail when a message is sent."""
    try:
        render(wording, sample_context(kind))
    except TemplateError as error:
        raise WordingRefused(str(error.message or error)) from None
