"""Bar charts for the printed annual report (matplotlib, Agg, PNG). Deterministic.

Only the object-oriented API is used (no pyplot state), under a lock, so charts can be drawn
from worker threads. Same numbers, same fonts: same PNG bytes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

BLUE = "#154273"  # the report's heading colour
LIGHT = "#8fb3d9"
GRID = "#d9d9d9"
TEXT = "#1a1a1a"
DPI = 200
_LOCK = threading.Lock()


def grouped_bars(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    width_cm: float = 16.0,
) -> bytes:
    """Horizontal bars per label, one bar per series (e.g. last year and this year), as PNG."""
    names = list(series)
    colours = [LIGHT, BLUE] if len(names) == 2 else [BLUE] * len(names)
    rows = len(labels)
    height_cm = 1.3 + rows * (0.3 * len(names) + 0.25)
    with _LOCK:
        figure = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        bar = 0.8 / len(names)
        top = max((max(values, default=0) for values in series.values()), default=0)
        for i, name in enumerate(names):
            # Reverse so the first label is at the top, as in the table beside it.
            positions = [
                rows - 1 - r + (len(names) - 1 - i - (len(names) - 1) / 2) * bar for r in range(rows)
            ]
            values = list(series[name])
            bars = axes.barh(positions, values, height=bar * 0.92, color=colours[i], label=name)
            for rect, value in zip(bars, values, strict=True):
                axes.text(
                    rect.get_width() + max(top, 1) * 0.01,
                    rect.get_y() + rect.get_height() / 2,
                    str(value),
                    va="center",
                    ha="left",
                    fontsize=7,
                    color=TEXT,
                )
        axes.set_yticks(range(rows))
        axes.set_yticklabels(list(reversed(labels)), fontsize=8, color=TEXT)
        axes.set_xlim(0, max(top, 1) * 1.12)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(axis="x", labelsize=7, colors=TEXT)
        axes.grid(axis="x", color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.set_title(title, fontsize=9, color=TEXT, loc="left", fontweight="bold")
        if len(names) > 1:
            axes.legend(fontsize=7, frameon=False, loc="lower right")
        figure.tight_layout(pad=0.4)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
