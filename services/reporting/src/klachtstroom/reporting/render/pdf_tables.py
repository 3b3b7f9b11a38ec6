"""The report tables of `html.Table` as reportlab tables: header band, zebra rows, totals.

Wide tables (a unit per row, a category per column) get their column headings turned a
quarter, as printed statistics do, so long Dutch labels stay readable in narrow columns.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, TableStyle
from reportlab.platypus import Table as PdfTable

from klachtstroom.reporting.render.html import Table
from klachtstroom.reporting.render.pdf_style import BLUE, BOLD, FONT, PALE, RULE, STYLES, TEXT_W

WIDE = 5  # more numeric columns than this: turned headings
HEAD_SIZE = 7.5
HEAD_LINE = 2.6 * cm  # longest line of a turned heading


class TurnedLabel(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A heading written bottom-to-top, in at most a few lines of `HEAD_LINE`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.lines = _lines(text, HEAD_LINE)
        self.leading = HEAD_SIZE * 1.2

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = len(self.lines) * self.leading
        self.height = max(stringWidth(line, BOLD, HEAD_SIZE) for line in self.lines)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.white)
        canvas.setFont(BOLD, HEAD_SIZE)
        canvas.rotate(90)
        for i, line in enumerate(self.lines):
            canvas.drawString(0, -(i + 1) * self.leading + HEAD_SIZE * 0.25, line)
        canvas.restoreState()


def _lines(text: str, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.replace(" / ", "/ ").split():  # keep the slash with the word before it
        if lines and stringWidth(f"{lines[-1]} {word}", BOLD, HEAD_SIZE) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def pdf_table(table: Table) -> PdfTable:
    numbers = len(table.columns) - 1
    wide = numbers > WIDE
    head: list[Any] = [Paragraph(escape(table.columns[0]), STYLES["head"])]
    head += [TurnedLabel(c) if wide else Paragraph(escape(c), STYLES["head_num"]) for c in table.columns[1:]]
    rows: list[list[Any]] = [head]
    rows += [[Paragraph(escape(name), STYLES["cell"]), *map(str, cells)] for name, cells in table.rows]
    if table.totals is not None:
        rows.append([Paragraph("<b>Totaal</b>", STYLES["cell"]), *map(str, table.totals)])
    if wide:
        other = 1.25 * cm
        first = min(TEXT_W - numbers * other, 6.5 * cm)
    else:
        first = 7.5 * cm
        other = min((TEXT_W - first) / max(numbers, 1), 2.6 * cm)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), PALE) for r in range(2, len(table.rows) + 1, 2)]
    if table.totals is not None:
        style += [
            ("LINEABOVE", (0, -1), (-1, -1), 1.0, colors.black),
            ("FONT", (1, -1), (-1, -1), BOLD, 8.5),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    result = PdfTable(rows, colWidths=[first] + [other] * numbers, repeatRows=1, hAlign="LEFT")
    result.setStyle(TableStyle(style))
    return result
