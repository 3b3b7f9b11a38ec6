"""A composed letter as HTML (for the screen) and as PDF (reportlab, A4, for print and mail)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.routing.letters.compose import Letter


@dataclass(frozen=True)
class Block:
    kind: str  # title, heading, paragraph
    text: str


def blocks(text: str) -> list[Block]:
    """Title (`# `), headings (`## `) and paragraphs separated by blank lines."""
    result: list[Block] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        part = chunk.strip("\n")
        if not part.strip():
            continue
        if part.startswith("## "):
            result.append(Block("heading", part[3:].strip()))
        elif part.startswith("# "):
            result.append(Block("title", part[2:].strip()))
        else:
            result.append(Block("paragraph", part.strip()))
    return result


def _lines(text: str) -> str:
    return "<br/>".join(escape(line) for line in text.split("\n"))


def to_html(letter: Letter) -> str:
    body = []
    for block in blocks(letter.text):
        tag = {"title": "h1", "heading": "h2", "paragraph": "p"}[block.kind]
        body.append(f"<{tag}>{_lines(block.text)}</{tag}>")
    return (
        '<!doctype html>\n<html lang="nl"><head><meta charset="utf-8">'
        f"<title>{escape(letter.kind.subject)} – {escape(letter.reference)}</title>"
        "<style>body{font-family:Arial,Helvetica,sans-serif;max-width:40em;margin:2em auto;line-height:1.5;"
        "font-size:1.05rem;color:#1a1a1a}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5em}"
        ".meta{color:#444}</style></head><body>"
        f'<p class="meta">{escape(letter.organisation)}<br>Datum: {dutch_date(letter.date)}<br>'
        f"Ons kenmerk: {escape(letter.reference)}<br>Onderwerp: {escape(letter.kind.subject)}</p>"
        + (f'<p class="addressee">{"<br>".join(escape(line) for line in letter.addressee)}</p>'
           if letter.addressee else "")
        + "".join(body)
        + "</body></html>\n"
    )


_BASE = ParagraphStyle("brief", fontName="Helvetica", fontSize=11, leading=15.5, spaceAfter=7)
_STYLES = {
    "title": ParagraphStyle(
        "titel", parent=_BASE, fontName="Helvetica-Bold", fontSize=15, leading=19, spaceAfter=10
    ),
    "heading": ParagraphStyle("kop", parent=_BASE, fontName="Helvetica-Bold", fontSize=11.5, spaceBefore=8),
    "paragraph": _BASE,
}
_SENDER = ParagraphStyle("afzender", parent=_BASE, fontName="Helvetica-Bold", fontSize=13, leading=16)
_META = ParagraphStyle("kenmerk", parent=_BASE, fontSize=9.5, leading=13, textColor="#333333")


def _addressee(letter: Letter) -> list[Flowable]:
    """Name and address above the letter (where a window envelope shows them)."""
    if not letter.addressee:
        return []
    return [Paragraph(_lines("\n".join(letter.addressee)), _BASE), Spacer(1, 8 * mm)]


def to_pdf(letter: Letter) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{letter.kind.subject} – {letter.reference}",
        author=letter.organisation,
        lang="nl",
    )
    meta = Table(
        [
            [Paragraph("Datum", _META), Paragraph(dutch_date(letter.date), _META)],
            [Paragraph("Ons kenmerk", _META), Paragraph(escape(letter.reference), _META)],
            [Paragraph("Onderwerp", _META), Paragraph(escape(letter.kind.subject), _META)],
        ],
        colWidths=[30 * mm, 120 * mm],
        hAlign="LEFT",
    )
    meta.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story = [
        Paragraph(escape(letter.organisation[:1].upper() + letter.organisation[1:]), _SENDER),
        Spacer(1, 14 * mm),
        *_addressee(letter),
        meta,
        Spacer(1, 10 * mm),
    ]
    for block in blocks(letter.text):
        story.append(Paragraph(_lines(block.text), _STYLES[block.kind]))
    document.build(story)
    return buffer.getvalue()
