"""Colours, fonts and paragraph styles of the printed reports (reportlab)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

BLUE = colors.HexColor("#154273")
PALE = colors.HexColor("#eef3f9")
RULE = colors.HexColor("#c8c8c8")
GREY = colors.HexColor("#4a4a4a")
PAGE_W, PAGE_H = A4
MARGIN = 2.2 * cm
TEXT_W = PAGE_W - 2 * MARGIN

# DejaVu ships with matplotlib: full Unicode (names such as 'Súdwest-Fryslân'), embedded, and
# the same font as in the charts.
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"


def register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(_FONT_DIR / "DejaVuSans-Bold.ttf")))


STYLES = {
    "body": ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, textColor=colors.black,
                           spaceAfter=4),
    "h1": ParagraphStyle("h1", fontName=BOLD, fontSize=16, leading=20, textColor=BLUE, spaceBefore=4,
                         spaceAfter=8, keepWithNext=1),
    "caption": ParagraphStyle("caption", fontName=BOLD, fontSize=9, leading=12, spaceBefore=8, spaceAfter=4,
                              keepWithNext=1),
    "note": ParagraphStyle("note", fontName=FONT, fontSize=7.5, leading=10, textColor=GREY, spaceBefore=3),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5, alignment=TA_LEFT),
    "head": ParagraphStyle("head", fontName=BOLD, fontSize=8, leading=10, textColor=colors.white),
    "head_num": ParagraphStyle("head_num", fontName=BOLD, fontSize=8, leading=10, textColor=colors.white,
                               alignment=TA_RIGHT),
    "bullet": ParagraphStyle("bullet", fontName=FONT, fontSize=10, leading=14, leftIndent=14, bulletIndent=2,
                             bulletFontName=FONT, spaceAfter=3),
}  # fmt: skip
