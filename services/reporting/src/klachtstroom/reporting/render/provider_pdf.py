"""The twice-yearly provider report as PDF (A4): the same sections and tables as the HTML page."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from klachtstroom.reporting.render.html import provider_sections
from klachtstroom.reporting.render.pdf_style import MARGIN, STYLES, register_fonts
from klachtstroom.reporting.render.pdf_tables import pdf_table
from klachtstroom.reporting.reports.provider import ProviderReport


def provider_title(report: ProviderReport) -> str:
    return f"Halfjaarrapportage klachten {report['provider']} – {report['year']}-H{report['half']}"


def render_provider_pdf(report: ProviderReport) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    title = provider_title(report)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="klachtstroom",
        subject="Halfjaarrapportage klachten zorgaanbieder",
        creator="klachtstroom",
        invariant=1,
        lang="nl-NL",
    )
    half = "eerste" if report["half"] == 1 else "tweede"
    lead = f"Klachten over {report['provider']} ontvangen in het {half} halfjaar van {report['year']}."
    story: list[Flowable] = [
        Paragraph(escape(title), STYLES["h1"]),
        Paragraph(escape(lead), STYLES["body"]),
        Spacer(1, 0.4 * cm),
    ]
    for section in provider_sections(report):
        story.append(Paragraph(escape(section.title), STYLES["h1"]))
        story += [Paragraph(escape(p), STYLES["body"]) for p in section.paragraphs]
        story += [Paragraph(escape(b), STYLES["bullet"], bulletText="•") for b in section.bullets]
        for table in section.tables:
            story.append(
                KeepTogether([Paragraph(escape(table.caption), STYLES["caption"]), pdf_table(table)])
            )
        story.append(Spacer(1, 0.5 * cm))
    story.append(
        Paragraph(
            escape(
                "Geteld naar datum van ontvangst. De maatregelen zijn overgenomen zoals de zorgaanbieder "
                "ze meldde."
            ),
            STYLES["body"],
        )
    )
    doc.build(story)
    return buffer.getvalue()
