"""Teaching views of microgov: Mesa's SolaraViz page, live charts, and tutorial helpers.

Install with `pip install -e '.[viz]'`. The page needs solara; everything else here needs
only the core dependencies, and names are imported on first use, so
`from simulation.viz import Observer` works without solara:

- `make_page(scenario, **levers)`: the interactive page (`simulation.viz.page`, solara)
- `LiveModel`, `Levers`: what the page runs (`simulation.viz.live`)
- `Observer`: hourly and daily records of a running model (`simulation.viz.observer`)
- `NetworkSample`: a seeded, laid-out sample of the follower graph (`simulation.viz.network`)
- `dashboard_figure`, `day_table`: the page's charts for notebooks (`simulation.viz.charts`)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "make_page": "simulation.viz.page",
    "LiveModel": "simulation.viz.live",
    "Levers": "simulation.viz.live",
    "Observer": "simulation.viz.observer",
    "NetworkSample": "simulation.viz.network",
    "dashboard_figure": "simulation.viz.charts",
    "day_table": "simulation.viz.charts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation.viz' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
