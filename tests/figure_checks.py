"""Checks of a drawn figure a reader would stumble on: overlapping labels, e-notation.

`overlapping_texts(fig)` draws the figure at its own size and returns every pair of
texts (tick labels, axis labels, titles, legend entries, annotations) whose boxes
overlap, and every text that sticks out of the figure; `labels_beyond_axes(fig)` the
y labels taller than their panel in a column of panels (reaching beside the next);
`unreadable_numbers(fig)` the texts in e-notation (`1.58e+03`) or with an offset above
an axis (`×10³`, `1e3`).
"""

from __future__ import annotations

import re
from itertools import combinations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

OVERLAP_PIXELS = 1.0  # boxes touching by less than this do not count as overlapping
E_NOTATION = re.compile(r"\d(\.\d+)?e[+\-−]?\d", re.IGNORECASE)


def _drawn(fig: Figure):
    """Draw the figure (as saving it would, with its layout) and return the renderer."""
    canvas = FigureCanvasAgg(fig)  # a Figure made without pyplot has no drawing canvas
    canvas.draw()
    return canvas.get_renderer()


def _texts(fig: Figure, annotations: bool = True) -> list[tuple[str, Text]]:
    """(where, text) of every visible, non-empty text the figure draws.

    Without `annotations`, the texts placed at data points (`ax.texts`) are left out.
    """
    found: list[tuple[str, Text]] = []

    def add(where: str, text: Text | None) -> None:
        if text is not None and text.get_visible() and text.get_text().strip():
            found.append((where, text))

    add("suptitle", getattr(fig, "_suptitle", None))
    for number, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        name = f"axes {number}"
        for title in (ax.title, ax._left_title, ax._right_title):
            add(f"{name} title", title)
        for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if not (ax.axison and axis.get_visible()):
                continue
            add(f"{name} {axis_name} label", axis.label)
            add(f"{name} {axis_name} offset", axis.get_offset_text())
            for tick in axis._update_ticks():  # the ticks drawn: those inside the view
                add(f"{name} {axis_name} tick", tick.label1)
                add(f"{name} {axis_name} tick", tick.label2)
        for text in ax.texts if annotations else ():
            add(f"{name} text", text)
        legend = ax.get_legend()
        if legend is not None:
            add(f"{name} legend title", legend.get_title())
            for text in legend.get_texts():
                add(f"{name} legend", text)
    for legend in fig.legends:
        for text in legend.get_texts():
            add("figure legend", text)
    return found


def overlapping_texts(fig: Figure, *, drawn: bool = False, annotations: bool = True) -> list[str]:
    """Pairs of texts that overlap, and texts outside the figure, as readable lines.

    The figure is drawn first, unless `drawn` says it just was; `annotations=False`
    leaves out the texts at data points (see `_texts`).
    """
    renderer = _drawn(fig) if not drawn else FigureCanvasAgg(fig).get_renderer()
    texts = _texts(fig, annotations)
    boxes = [(where, text, text.get_window_extent(renderer)) for where, text in texts]
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    for where, text, box in boxes:
        inside = (
            box.x0 >= -OVERLAP_PIXELS
            and box.y0 >= -OVERLAP_PIXELS
            and box.x1 <= width + OVERLAP_PIXELS
            and box.y1 <= height + OVERLAP_PIXELS
        )
        if not inside:
            problems.append(f"{where} {text.get_text()!r} sticks out of the figure")
    for (where_a, a, box_a), (where_b, b, box_b) in combinations(boxes, 2):
        overlap_x = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        overlap_y = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if overlap_x > OVERLAP_PIXELS and overlap_y > OVERLAP_PIXELS:
            problems.append(f"{where_a} {a.get_text()!r} overlaps {where_b} {b.get_text()!r}")
    return problems


def labels_beyond_axes(fig: Figure, *, drawn: bool = False) -> list[str]:
    """Y labels that run past their panel into the one above or below, as lines.

    In a column of panels a y label may span its axes and the title above them; one
    taller than that reaches beside the next panel, where nothing overlaps it when the
    panels share their x axis, so `overlapping_texts` does not see it. A panel with no
    other panel above or below it may have a longer label.
    """
    renderer = _drawn(fig) if not drawn else FigureCanvasAgg(fig).get_renderer()
    frames = [
        (number, ax, ax.get_window_extent(renderer))
        for number, ax in enumerate(fig.axes)
        if ax.get_visible() and ax.axison
    ]
    problems = []
    for number, ax, frame in frames:
        label = ax.yaxis.label
        if not (ax.yaxis.get_visible() and label.get_visible() and label.get_text().strip()):
            continue
        stacked = any(
            other != number and min(frame.x1, beside.x1) - max(frame.x0, beside.x0) > 0
            for other, _, beside in frames
        )
        if not stacked:
            continue
        top = frame.y1
        for title in (ax.title, ax._left_title, ax._right_title):
            if title.get_visible() and title.get_text().strip():
                top = max(top, title.get_window_extent(renderer).y1)
        box = label.get_window_extent(renderer)
        if box.y1 > top + OVERLAP_PIXELS or box.y0 < frame.y0 - OVERLAP_PIXELS:
            problems.append(
                f"axes {number} y label {label.get_text()!r} runs {box.y0:.0f}-{box.y1:.0f} px, "
                f"past its panel's {frame.y0:.0f}-{top:.0f} px"
            )
    return problems


def unreadable_numbers(fig: Figure, *, drawn: bool = False) -> list[str]:
    """Texts in e-notation, and axes that print an offset or a scale above their ticks."""
    if not drawn:
        _drawn(fig)
    return [
        f"{where} {text.get_text()!r}"
        for where, text in _texts(fig)
        if E_NOTATION.search(text.get_text()) or where.endswith("offset")
    ]


def all_text(fig: Figure) -> str:
    """Every visible text of the figure, joined (for checks of what it says)."""
    _drawn(fig)
    return " | ".join(text.get_text() for _, text in _texts(fig))


def record_figures(monkeypatch) -> dict[str, Figure]:
    """file name → Figure of every figure saved through `OutputDir` from now on."""
    from simulation.safe_write import OutputDir

    saved: dict[str, Figure] = {}
    original = OutputDir.save_figure

    def recording(self, name: str, fig: Figure, dpi: float):
        saved[name] = fig
        return original(self, name, fig, dpi)

    monkeypatch.setattr(OutputDir, "save_figure", recording)
    return saved


def problems(fig: Figure, *, annotations: bool = True) -> list[str]:
    """Everything `overlapping_texts`, `labels_beyond_axes`, `unreadable_numbers` find."""
    _drawn(fig)
    overlaps = overlapping_texts(fig, drawn=True, annotations=annotations)
    return overlaps + labels_beyond_axes(fig, drawn=True) + unreadable_numbers(fig, drawn=True)
