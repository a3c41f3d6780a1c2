"""Quick redraws of the page's figures: draw what stays once, then only what moves.

The page redraws its figures after every Step. Drawing a whole figure (axes, ticks,
labels, legends, a network's thousands of edges) takes a good part of a second; what
changes from one Step to the next (the charts' lines, the nodes' colours) takes a few
milliseconds. `LiveFigure` keeps a picture of the rest (matplotlib's "blitting") and paints
only the moving artists over it; it draws the picture again only when the figure's `key`
(a chart's axis limits) changed. Each chart has a figure of its own, so a chart whose axis
grows is drawn whole while the others are not. `PageDrawings` holds the page's live
figures of a model.

Needs matplotlib and Pillow (core dependencies), not solara.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from simulation.viz.charts import Dashboard

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

    from simulation.viz.live import LiveModel


class LiveFigure:
    """A figure drawn as PNG, redrawing whole only when `key()` changes.

    The `moving` artists are marked animated, so a full draw leaves them out (saving the
    figure still draws them). `png()` paints them, lowest zorder first, over a picture of
    everything else, taken at the first call and whenever `key()` differs from the last.
    The layout of the first draw stays.
    """

    def __init__(
        self,
        figure: Figure,
        moving: Sequence[Artist],
        key: Callable[[], Hashable] = lambda: None,
    ):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.moving = sorted(moving, key=lambda artist: artist.get_zorder())
        for artist in self.moving:
            artist.set_animated(True)
        self.key = key
        self._background = None
        self._drawn_key: Hashable = None
        self.full_draws = 0  # how often the picture of the rest was drawn

    def png(self) -> bytes:
        """The figure as it stands, as PNG bytes."""
        from PIL import Image

        key = self.key()
        if self._background is None or key != self._drawn_key:
            self.canvas.draw()
            # Keep the positions of this first layout: a layout engine run again at a
            # later whole draw could move the axes a little, off the quick redraws.
            self.figure.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._drawn_key = key
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for artist in self.moving:
            self.figure.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())[..., :3]
        out = io.BytesIO()
        # Level 1: a little larger than the default level 6, several times quicker.
        Image.fromarray(pixels).save(out, format="png", compress_level=1)
        return out.getvalue()


class PageDrawings:
    """The page's live figures of one LiveModel: the network sample and the six charts.

    `network_size` is the network figure's size and `chart_size` each chart's [in].
    """

    def __init__(
        self,
        model: LiveModel,
        network_size: tuple[float, float] = (6.4, 5.6),
        chart_size: tuple[float, float] = (4.5, 2.2),
    ):
        self.model = model
        with model.lock:
            state = model.network.state(model.simulation)
            self.network = model.network.drawing(state, figsize=network_size)
            self.dashboard = Dashboard(
                model.observer, days=model.simulation.days, panel_size=chart_size
            )
        self._network = LiveFigure(self.network.figure, self.network.moving)
        self._charts = [
            LiveFigure(figure, chart.moving, chart.limits)
            for figure, chart in zip(self.dashboard.figures, self.dashboard.charts, strict=True)
        ]

    def network_png(self) -> bytes:
        """The network sample coloured by the model's current trust, as PNG."""
        with self.model.lock:
            self.network.update(self.model.network.state(self.model.simulation))
        return self._network.png()

    def chart_pngs(self) -> list[bytes]:
        """The six charts up to the model's current hour, as PNGs (order of PANEL_SPECS)."""
        with self.model.lock:
            self.dashboard.update()
        return [chart.png() for chart in self._charts]

    @property
    def full_draws(self) -> int:
        """Whole-figure draws so far, of all the figures (the rest were quick redraws)."""
        return self._network.full_draws + sum(chart.full_draws for chart in self._charts)
