"""The interactive page: Mesa's SolaraViz around a LiveModel, with levers in the sidebar.

In a notebook cell::

    from simulation.viz import make_page
    page = make_page("baseline", citizens=2000)
    page

Standalone: `python -m simulation.viz baseline` (or `microgov viz baseline`) serves it on
http://127.0.0.1:8765. The sidebar holds Mesa's controls (Reset, ▶, Step; play and render
intervals) and the levers; "Apply" (or Mesa's Reset) rebuilds the model from the levers.
One Step is `hours_per_step` simulated hours (24 by default: a day); Mesa's render
interval (1) is how many Steps one click or one frame of play makes.
"""

from __future__ import annotations

import os
from dataclasses import replace

# Solara reports usage to a tracking service unless told not to; a classroom tool should
# not (set SOLARA_TELEMETRY_MIXPANEL_ENABLE=True before importing this to allow it).
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from simulation.codes import HOURS_PER_DAY  # noqa: E402
from simulation.scenario import ScenarioError, load_scenario  # noqa: E402
from simulation.viz.charts import dashboard_figure, day_table_markdown  # noqa: E402
from simulation.viz.live import (  # noqa: E402
    MECHANISMS,
    NETWORKS,
    RULES,
    SHIFTS,
    Levers,
    LiveModel,
    bundled_scenarios,
)
from simulation.viz.network import DEFAULT_SAMPLE  # noqa: E402

TITLE = "microgov: how a government account copes"
# Pause between frames while playing [ms]. Mesa's slider for it moves in steps of 10 from 1
# (and a browser snaps a value off that grid), so the default is on it.
PLAY_INTERVAL = 101


# --------------------------------------------------------------------------- views


@solara.component
def NetworkView(model: LiveModel):
    """The sampled follower network, coloured by trust; outlined: complaints waiting."""
    _Figure(model, _network_figure)


@solara.component
def Charts(model: LiveModel):
    """Backlog, response times, response rate, one-sided share, trust, items waiting."""
    _Figure(model, _charts_figure)


def _network_figure(model: LiveModel):
    with model.lock:
        state = model.network.state(model.simulation)
    return model.network.figure(state)


def _charts_figure(model: LiveModel):
    with model.lock:
        return dashboard_figure(model.observer)


@solara.component
def _Figure(model: LiveModel, make):
    """A matplotlib figure of the model, drawn again only after the model changed."""
    update_counter.get()
    dependencies = [update_counter.value, id(model)]
    figure = solara.use_memo(lambda: make(model), dependencies)
    solara.FigureMatplotlib(figure, format="png", dependencies=dependencies)


@solara.component
def DayTable(model: LiveModel):
    """The current day's numbers, and what the run is."""
    update_counter.get()
    with model.lock:
        table = day_table_markdown(model.observer)
    scenario = model.simulation.scenario
    changes = model.levers.overrides()
    applied = ", ".join(f"`{k}={v}`" for k, v in changes.items()) or "none"
    solara.Markdown(
        f"**{scenario.name}** — {scenario.description}\n\n"
        f"Levers changed from the file: {applied}. "
        f"{model.simulation.graph.n_citizens:,} citizens, {model.simulation.days} days, "
        f"seed {model.simulation.seed}.\n\n{table}"
    )


# --------------------------------------------------------------------------- levers


@solara.component
def LeverPanel(
    model: solara.Reactive, levers: solara.Reactive, sample_size: int, hours_per_step: int
):
    """Controls for the main levers; Apply rebuilds the model with `Scenario.with_overrides`."""
    error = solara.use_reactive("")
    current: Levers = levers.value

    def set_lever(name):
        def setter(value):
            levers.set(replace(levers.value, **{name: value}))

        return setter

    def choose_scenario(name: str) -> None:
        try:
            levers.set(levers.value.with_scenario(name))
            error.set("")
        except ScenarioError as exc:
            error.set(str(exc))

    def apply() -> None:
        try:
            model.set(LiveModel(levers.value, sample_size, hours_per_step))
            error.set("")
        except ScenarioError as exc:
            error.set(str(exc))

    scenario_names = bundled_scenarios()
    if current.scenario not in scenario_names:
        scenario_names = [current.scenario, *scenario_names]
    networks = list(NETWORKS)
    if current.network not in networks:  # an edge-list scenario
        networks = [current.network, *networks]

    with solara.Sidebar(), solara.Card("Levers"):
        solara.Select(
            "Scenario to start from",
            value=current.scenario,
            values=scenario_names,
            on_value=choose_scenario,
        )
        solara.Select(
            "Response mechanism",
            value=current.mechanism,
            values=list(MECHANISMS),
            on_value=set_lever("mechanism"),
        )
        solara.SliderInt(
            f"Operators on duty: {current.operators}",
            value=current.operators,
            min=0,
            max=20,
            on_value=set_lever("operators"),
        )
        solara.SliderFloat(
            f"Operator skill (mean): {current.skill_mean:.2f}",
            value=current.skill_mean,
            min=0.0,
            max=1.0,
            step=0.05,
            on_value=set_lever("skill_mean"),
        )
        solara.Select(
            "Shifts", value=current.shifts, values=list(SHIFTS), on_value=set_lever("shifts")
        )
        solara.Select(
            "Appraisal rule", value=current.rule, values=list(RULES), on_value=set_lever("rule")
        )
        solara.SliderFloat(
            f"Appraisal strength: {current.strength:.2f}",
            value=current.strength,
            min=0.0,
            max=5.0,
            step=0.25,
            on_value=set_lever("strength"),
        )
        solara.SliderInt(
            f"Reply deadline: {current.deadline_hours:.0f} h",
            value=int(round(current.deadline_hours)),
            min=4,
            max=168,
            step=4,
            on_value=lambda v: set_lever("deadline_hours")(float(v)),
        )
        solara.SliderInt(
            f"Citizens: {current.citizens:,}",
            value=current.citizens,
            min=500,
            max=50_000,
            step=500,
            on_value=set_lever("citizens"),
        )
        solara.Select(
            "Network", value=current.network, values=networks, on_value=set_lever("network")
        )
        solara.SliderInt(
            f"Days: {current.days}",
            value=current.days,
            min=1,
            max=90,
            on_value=set_lever("days"),
        )
        solara.InputInt("Seed", value=current.seed, on_value=set_lever("seed"))
        pending = current.changed(model.value.levers)
        solara.Button(
            "Apply (rebuild the model)",
            color="primary" if pending else None,
            on_click=apply,
            block=True,
        )
        if pending:
            solara.Text(
                "Not applied yet: " + ", ".join(f"{k} {a} → {b}" for k, (a, b) in pending.items())
            )
        if error.value:
            solara.Error(error.value)


# --------------------------------------------------------------------------- the page


@solara.component
def Views(model: LiveModel):
    """The network and the charts side by side (stacked on narrow screens), then the table.

    Laid out with plain Solara columns rather than SolaraViz's draggable grid: the grid
    loads its code from a public CDN at run time (so it stays blank without internet
    access) and that code needs Vue 2 (so it stays blank with ipyvuetify 3).
    """
    with solara.ColumnsResponsive(12, large=6):
        NetworkView(model)
        Charts(model)
    DayTable(model)


@solara.component
def TeachingPage(
    model: solara.Reactive,
    levers: solara.Reactive,
    sample_size: int = DEFAULT_SAMPLE,
    hours_per_step: int = HOURS_PER_DAY,
    play_interval: int = PLAY_INTERVAL,
):
    """SolaraViz (controls, stepping) with our views, and the lever panel in the sidebar."""
    SolaraViz(
        model,
        components=[],
        model_params={
            "levers": levers,
            "sample_size": sample_size,
            "hours_per_step": hours_per_step,
        },
        name=TITLE,
        render_interval=1,
        play_interval=play_interval,
    )
    Views(model.value)
    # Solara orders sidebar content by how deep in the page it is declared; the levers go
    # deeper than SolaraViz's own sidebar cards, so they come below Reset, ▶ and Step.
    # (Only the order depends on this; were it to change, the page would still work.)
    _Deeper(model, levers, sample_size, hours_per_step, depth=2)


@solara.component
def _Deeper(
    model: solara.Reactive, levers: solara.Reactive, sample_size: int, hours: int, depth: int
):
    if depth > 0:
        _Deeper(model, levers, sample_size, hours, depth - 1)
    else:
        LeverPanel(model, levers, sample_size, hours)


def make_page(
    scenario: str = "baseline",
    *,
    sample_size: int = DEFAULT_SAMPLE,
    hours_per_step: int = HOURS_PER_DAY,
    play_interval: int = PLAY_INTERVAL,
    **levers,
):
    """The interactive page for a scenario; show it by leaving it last in a notebook cell.

    `levers` set starting values: `citizens=2000`, `operators=4`, `rule="timeliness"`, …
    (see `simulation.viz.live.Levers`). `sample_size` caps the nodes drawn in the network
    view; `hours_per_step` is the simulated hours one Step (and one frame of play)
    advances; `play_interval` the pause between frames [ms]. The page's model is
    `page.kwargs["model"].value` (a LiveModel).
    """
    model, lever_state = start_state(
        scenario, sample_size=sample_size, hours_per_step=hours_per_step, **levers
    )
    return TeachingPage(
        model=model,
        levers=lever_state,
        sample_size=sample_size,
        hours_per_step=hours_per_step,
        play_interval=play_interval,
    )


def start_state(
    scenario: str = "baseline",
    *,
    sample_size: int = DEFAULT_SAMPLE,
    hours_per_step: int = HOURS_PER_DAY,
    **levers,
) -> tuple[solara.Reactive, solara.Reactive]:
    """Reactive model and levers for a page: the scenario's levers, `levers` on top."""
    load_scenario(scenario)  # a clear error now rather than in the page
    start = Levers.of(scenario, **levers)
    live = LiveModel(start, sample_size, hours_per_step)
    return solara.reactive(live), solara.reactive(start)
