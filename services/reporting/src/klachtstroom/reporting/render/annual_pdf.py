"""The annual report as a printed 'Jaarverslag klachtbehandeling' (PDF, reportlab).

Layout as municipalities publish it: a title page with the key figures, the summary, then
every section of `html.annual_sections` (the same tables and captions as the HTML and
CSV), with bar charts of last year against this year per channel and per category.

Deterministic: reportlab's invariant mode (fixed document id and dates), embedded DejaVu fonts
(shipped with matplotlib, full Unicode for names such as 'Súdwest-Fryslân') and charts that
are PNGs of the same numbers; the same report gives the same bytes.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.contracts.vocabulary import Category, Channel, dutch
from klachtstroom.reporting.render.html import Section, annual_sections, annual_title
from klachtstroom.reporting.render.pdf_charts import grouped_bars
from klachtstroom.reporting.render.pdf_style import (
    BLUE,
    BOLD,
    FONT,
    GREY,
    MARGIN,
    PAGE_H,
    PAGE_W,
    PALE,
    STYLES,
    TEXT_W,
    register_fonts,
)
from klachtstroom.reporting.render.pdf_tables import pdf_table
from klachtstroom.reporting.reports.annual import AnnualReport, percentage


def render_annual_pdf(report: AnnualReport, organisation: str | None = None) -> bytes:
    """The annual report as PDF bytes (A4)."""
    register_fonts()
    buffer = io.BytesIO()
    title = annual_title(report, organisation)
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=organisation or "klachtstroom",
        subject="Jaarverslag klachtbehandeling",
        creator="klachtstroom",
        invariant=1,
        lang="nl-NL",
    )
    frame = Frame(MARGIN, MARGIN, TEXT_W, PAGE_H - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates(
        [
            PageTemplate("title", [frame], onPage=lambda c, d: _title_page(c, report, title, organisation)),
            PageTemplate("body", [frame], onPage=lambda c, d: _running_page(c, d, title)),
        ]
    )
    story: list[Flowable] = [NextPageTemplate("body"), PageBreak()]
    story += _summary(report)
    for section in annual_sections(report)[1:]:  # the summary came first, with key figures
        story += _section(section, report)
    doc.build(story)
    return buffer.getvalue()


# --- pages -----------------------------------------------------------------------------------


def _key_figures(report: AnnualReport) -> list[tuple[str, str]]:
    terms = report["within_term"]
    closed = terms["within"] + terms["late"]
    resolution = report["by_resolution"]
    decided = resolution["informal"] + resolution["formal"]
    return [
        (str(report["total"]), "meldingen ontvangen"),
        (f"{percentage(terms['within'], closed)}%" if closed else "–", "binnen de termijn afgehandeld"),
        (f"{percentage(resolution['informal'], decided)}%" if decided else "–", "informeel opgelost"),
        (str(report["ombudsman"]), "voorgelegd aan de ombudsman"),
    ]


def _title_page(canvas: Canvas, report: AnnualReport, title: str, organisation: str | None) -> None:
    canvas.saveState()
    canvas.setFillColor(BLUE)
    canvas.rect(0, PAGE_H - 11 * cm, PAGE_W, 11 * cm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(FONT, 14)
    canvas.drawString(
        MARGIN, PAGE_H - 3.2 * cm, organisation or report["municipality"] or "Klachtbehandeling"
    )
    canvas.setFont(BOLD, 30)
    canvas.drawString(MARGIN, PAGE_H - 5.6 * cm, "Jaarverslag")
    canvas.drawString(MARGIN, PAGE_H - 6.9 * cm, "klachtbehandeling")
    canvas.setFont(BOLD, 44)
    canvas.drawString(MARGIN, PAGE_H - 9.3 * cm, str(report["year"]))
    canvas.setFillColor(colors.black)
    canvas.setFont(FONT, 11)
    y = PAGE_H - 12.6 * cm
    lines = [
        f"Overzicht van de klachten en andere meldingen die in {report['year']} zijn ontvangen,",
        f"met de vergelijking met {report['year'] - 1}.",
    ]
    if report["municipality"] and organisation:
        lines.append(f"Gemeente: {report['municipality']}.")
    for line in lines:
        canvas.drawString(MARGIN, y, line)
        y -= 0.6 * cm
    box_w = (TEXT_W - 3 * 0.4 * cm) / 4
    for i, (figure, label) in enumerate(_key_figures(report)):
        x = MARGIN + i * (box_w + 0.4 * cm)
        canvas.setFillColor(PALE)
        canvas.rect(x, 12.2 * cm, box_w, 3.2 * cm, stroke=0, fill=1)
        canvas.setFillColor(BLUE)
        canvas.setFont(BOLD, 22)
        canvas.drawString(x + 0.35 * cm, 14.1 * cm, figure)
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, 8)
        for j, part in enumerate(_wrap(label, 22)):
            canvas.drawString(x + 0.35 * cm, 13.3 * cm - j * 0.38 * cm, part)
    canvas.setFillColor(BLUE)
    canvas.setFont(BOLD, 11)
    canvas.drawString(MARGIN, 10.4 * cm, "In dit verslag")
    canvas.setFillColor(colors.black)
    canvas.setFont(FONT, 9.5)
    titles = ["Samenvatting", *(s.title for s in annual_sections(report)[1:])]
    half = (len(titles) + 1) // 2
    for i, name in enumerate(titles):
        column, row = divmod(i, half)
        canvas.drawString(MARGIN + column * TEXT_W / 2, 9.6 * cm - row * 0.55 * cm, f"{i + 1}.  {name}")
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 9)
    as_of = dutch_date(date.fromisoformat(report["as_of"]))
    canvas.drawString(
        MARGIN, 3.0 * cm, f"Stand van de registratie: {as_of}. Geteld naar datum van ontvangst."
    )
    canvas.drawString(MARGIN, 2.4 * cm, "Opgesteld op grond van artikel 9:12a Algemene wet bestuursrecht.")
    canvas.setTitle(title)
    canvas.restoreState()


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _running_page(canvas: Canvas, doc: Any, title: str) -> None:
    canvas.saveState()
    canvas.setStrokeColor(BLUE)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, PAGE_H - MARGIN + 0.5 * cm, PAGE_W - MARGIN, PAGE_H - MARGIN + 0.5 * cm)
    canvas.setFont(FONT, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, PAGE_H - MARGIN + 0.7 * cm, title)
    canvas.drawRightString(PAGE_W - MARGIN, MARGIN - 1.0 * cm, f"Pagina {doc.page}")
    canvas.restoreState()


# --- content ---------------------------------------------------------------------------------


def _para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), STYLES[style])


def _bullet(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["bullet"], bulletText="•")


def _summary(report: AnnualReport) -> list[Flowable]:
    return [_para("Samenvatting", "h1"), *map(_bullet, report["summary_sentences"]), Spacer(1, 0.4 * cm)]


def _section(section: Section, report: AnnualReport) -> list[Flowable]:
    flow: list[Flowable] = [_para(section.title, "h1")]
    flow += [_para(p) for p in section.paragraphs]
    flow += [_bullet(b) for b in section.bullets]
    for table in section.tables:
        flow.append(KeepTogether([_para(table.caption, "caption"), pdf_table(table)]))
    chart = _chart_for(section.title, report)
    if chart is not None:
        flow += [Spacer(1, 0.3 * cm), chart]
    flow.append(Spacer(1, 0.5 * cm))
    return flow


def _chart_for(title: str, report: AnnualReport) -> Flowable | None:
    year, previous = report["year"], report["comparison"]
    if title.startswith("Hoe kwamen"):
        key, vocabulary, caption = "by_channel", [c.value for c in Channel], "Meldingen per kanaal"
    elif title.startswith("Waar gingen"):
        key, vocabulary, caption = "by_category", [c.value for c in Category], "Meldingen per onderwerp"
    else:
        return None
    now: dict[str, int] = report[key]  # type: ignore[literal-required]
    before: dict[str, int] = previous[key]  # type: ignore[literal-required]
    png = grouped_bars(
        f"{caption}, {previous['year']} en {year}",
        [dutch(v) for v in vocabulary],
        {
            str(previous["year"]): [before.get(v, 0) for v in vocabulary],
            str(year): [now.get(v, 0) for v in vocabulary],
        },
        width_cm=TEXT_W / cm,
    )
    image = Image(io.BytesIO(png))
    scale = TEXT_W / image.imageWidth
    image.drawWidth, image.drawHeight = TEXT_W, image.imageHeight * scale
    return image
