"""Inline SVG bar charts for the dashboard: no JavaScript, no external files. Pure.

Each chart is an image with a text alternative (`role="img"`, `<title>` and `<desc>` listing
every value), and the dashboard shows the same numbers in a table beside it, so nobody
depends on seeing the bars (WCAG 1.1.1, 1.4.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#154273"
TEXT = "#1a1a1a"
AXIS = "#767676"

VALUE_W = 44
ROW_H = 26
ROW_H_TWO_LINES = 36
BAR_H = 16
TOP = 8
CHAR_W = 7.4  # average width of a character at font-size 13, generously
LONG_LABEL = 24


def label_lines(label: str) -> list[str]:
    """A long label in two lines, split at ' / ' or else at the space nearest the middle."""
    if len(label) <= LONG_LABEL:
        return [label]
    if " / " in label:
        first, rest = label.split(" / ", 1)
        return [f"{first} /", rest]
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if not spaces:
        return [label]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1 :]]


def bar_chart_svg(chart_id: str, title: str, rows: Sequence[tuple[str, int]], width: int = 560) -> str:
    """Horizontal bars, one row per (label, value), values written at the end of each bar."""
    lines = [label_lines(label) for label, _ in rows]
    longest = max((len(line) for parts in lines for line in parts), default=0)
    label_w = max(120, round(longest * CHAR_W) + 12)
    row_h = ROW_H_TWO_LINES if any(len(parts) > 1 for parts in lines) else ROW_H
    plot_w = width - label_w - VALUE_W
    top = max((value for _, value in rows), default=0)
    height = TOP * 2 + row_h * max(len(rows), 1)
    description = "; ".join(f"{label}: {value}" for label, value in rows) or "geen gegevens"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line x1="{label_w}" y1="{TOP}" x2="{label_w}" y2="{height - TOP}" stroke="{AXIS}"/>',
    ]
    for i, ((_, value), label) in enumerate(zip(rows, lines, strict=True)):
        middle = TOP + i * row_h + row_h / 2
        bar_w = 0 if top == 0 else round(plot_w * value / top)
        first_dy = 0.35 - 0.6 * (len(label) - 1)
        spans = "".join(
            f'<tspan x="{label_w - 8}" dy="{first_dy if j == 0 else 1.2:.2f}em">{escape(line)}</tspan>'
            for j, line in enumerate(label)
        )
        parts += [
            f'<text y="{middle:.0f}" text-anchor="end" font-size="13" fill="{TEXT}">{spans}</text>',
            f'<rect x="{label_w}" y="{middle - BAR_H / 2:.0f}" width="{bar_w}" height="{BAR_H}" '
            f'fill="{BAR}"/>',
            f'<text x="{label_w + bar_w + 6}" y="{middle:.0f}" dy="0.35em" font-size="13" '
            f'fill="{TEXT}">{value}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)
