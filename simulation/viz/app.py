"""The standalone interactive page, for `solara run`.

    python -m simulation.viz baseline          # or: microgov viz baseline
    solara run simulation/viz/app.py --host 127.0.0.1

Both serve on this machine only (127.0.0.1). The scenario to start from is read from
the environment variable MICROGOV_VIZ_SCENARIO (a bundled name or a .toml path; default
baseline), and MICROGOV_VIZ_CITIZENS optionally sets the population. Each browser tab
gets its own model. At start the server says in one line if Solara's browser assets are
missing, and how to install them (`simulation.viz.offline`).
"""

from __future__ import annotations

import os

import solara

from simulation.viz import offline
from simulation.viz.page import TITLE, TeachingPage, start_state

offline.warn_once()  # once per server, at its start (it runs this file then)

SCENARIO = os.environ.get("MICROGOV_VIZ_SCENARIO", "baseline")
CITIZENS = os.environ.get("MICROGOV_VIZ_CITIZENS")


@solara.component
def Page():
    """The page of one browser tab: a fresh model of the scenario, and its levers."""
    levers = {"citizens": int(CITIZENS)} if CITIZENS else {}
    model, lever_state = solara.use_memo(lambda: start_state(SCENARIO, **levers), [])
    solara.Title(TITLE)
    TeachingPage(model=model, levers=lever_state)
