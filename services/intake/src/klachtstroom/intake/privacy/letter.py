"""The answer to a request for access as a letter (PDF) in plain Dutch (B1), to send to the person."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

FIELDS = (("name", "Naam"), ("address", "Adres"), ("email", "E-mailadres"), ("phone", "Telefoon"),
          ("bsn", "Burgerservicenummer"))  # fmt: skip


def _date(value: str | None) -> str:
    return value[:10] if value else "onbekend"


def access_letter(dossier: dict[str, Any], organisation: str) -> bytes:
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading2"]
    story: list[Any] = []

    def say(text: str, style: Any = body) -> None:
        story.append(Paragraph(escape(text).replace("\n", "<br/>"), style))

    say("Inzage in uw gegevens", styles["Title"])
    say(
        f"U vroeg welke gegevens {organisation} over u bewaart bij de behandeling van klachten. "
        "Dat mag u altijd vragen (artikel 15 van de Algemene verordening gegevensbescherming). "
        "In deze brief staat alles wat wij over u bewaren. Klopt er iets niet? Dan kunt u ons "
        "vragen het te verbeteren."
    )
    say("Uw contactgegevens", heading)
    for person in dossier["contact_details"]:
        lines = [f"{label}: {person[key]}" for key, label in FIELDS if person.get(key)]
        say("\n".join(lines) or "Geen contactgegevens bewaard.")
    say("Uw klachten", heading)
    for complaint in dossier["complaints"]:
        say(
            f"Klacht {complaint['reference']}, ontvangen op {_date(complaint['received_at'])}",
            styles["Heading3"],
        )
        say(f"Wat u schreef of vertelde: {complaint['description'] or '(vernietigd)'}")
        if complaint.get("desired_outcome"):
            say(f"Wat u wilde bereiken: {complaint['desired_outcome']}")
        if complaint.get("about_employee"):
            say(f"Over medewerker: {complaint['about_employee']}")
        say(
            f"Stand: {complaint['status']}"
            + (f", uitkomst: {complaint['outcome']}" if complaint.get("outcome") else "")
        )
        for message in complaint["messages"]:
            say(f"Bericht van {_date(message['received_at'])}: {message['body']}")
        for attachment in complaint["attachments"]:
            say(f"Bijlage: {attachment['filename']} ({attachment['size']} bytes)")
    if dossier["cases"]:
        say("De behandeling", heading)
        for case in dossier["cases"]:
            say(f"Dossier {case.get('reference')}: {case.get('state')}", styles["Heading3"])
            for entry in case.get("history", []):
                reason = f" — {entry['reason']}" if entry.get("reason") else ""
                say(f"{_date(entry.get('at'))}: {entry.get('action')}{reason}")
            for letter in case.get("letters", []):
                say(f"Brief '{letter['subject']}' van {letter['date']}")
    if dossier["deadlines"]:
        say("Termijnen", heading)
        for term in dossier["deadlines"]:
            say(f"{term.get('kind')}: van {term.get('start')} tot {term.get('due')} ({term.get('state')})")
    say("Rapportages", heading)
    say(dossier["reporting"])
    say("Hoe lang wij uw gegevens bewaren", heading)
    say(
        "Wij bewaren een klachtdossier 5 jaar nadat het is afgesloten. Was de ombudsman erbij "
        "betrokken, dan 10 jaar. Hebben wij de klacht niet in behandeling genomen of heeft u "
        "hem ingetrokken, dan 1 jaar. Daarna vernietigen wij uw gegevens. Alleen anonieme "
        "aantallen blijven over."
    )
    say(
        "Bent u het niet eens met hoe wij met uw gegevens omgaan? Dan kunt u een klacht indienen "
        "bij de Autoriteit Persoonsgegevens."
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm, invariant=1,
                            title="Inzage in uw gegevens", author=organisation)  # fmt: skip
    story.insert(1, Spacer(1, 0.3 * cm))
    doc.build(story)
    return out.getvalue()
