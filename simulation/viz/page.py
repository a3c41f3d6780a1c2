"""The interactive page: a LiveModel with Mesa's controls, the levers, and live views.

In a notebook cell::

    from simulation.viz import make_page
    page = make_page("baseline", citizens=2000)
    page

Standalone: `python -m simulation.viz baseline` (or `microgov viz baseline`) serves it on
http://127.0.0.1:8765. The sidebar holds Mesa's controls (SolaraViz's ModelController:
Reset, ▶, Step) with the pause between frames and the steps per click, then the levers;
"Apply" (or Mesa's Reset) rebuilds the model from the levers. One Step is
`hours_per_step` simulated hours (24 by default: a day).

The page is put together from SolaraViz's parts rather than SolaraViz itself, whose
sidebar always holds a "Model Parameters" card for Mesa's own parameter widgets (empty
here: the levers need more than those widgets do, such as loading a scenario's settings)
and whose draggable grid loads its code from a public CDN. Clicks on Step are handled one
after another, none dropped: the server takes a tab's messages in order, and a Step with
its redraw takes a small part of a second (`simulation.viz.drawing`).
"""

from __future__ import annotations

import os
from dataclasses import replace

# Solara reports usage to a tracking service unless told not to; a classroom tool should
# not (set SOLARA_TELEMETRY_MIXPANEL_ENABLE=True before importing this to allow it).
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import solara  # noqa: E402
from mesa.visualization.solara_viz import ModelController  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from simulation.codes import HOURS_PER_DAY  # noqa: E402
from simulation.scenario import ScenarioError, load_scenario  # noqa: E402
from simulation.viz.charts import day_table_markdown  # noqa: E402
from simulation.viz.drawing import PageDrawings  # noqa: E402
from simulation.viz.live import (  # noqa: E402
    MECHANISMS,
    NETWORKS,
    RULES,
    SHIFTS,
    Levers,
    LiveModel,
    account_lever_note,
    bundled_scenarios,
)
from simulation.viz.network import DEFAULT_SAMPLE  # noqa: E402

TITLE = "microgov: how a government account copes"
PLAY_INTERVAL = 100  # pause between frames while playing [ms]
# Figure sizes [in] at 100 dpi: about the width of the page's two columns in a window
# 1400 px wide, so the figures show at their own size and their text at 11 px or more.
NETWORK_SIZE = (3.8, 4.6)
CHART_SIZE = (2.7, 1.95)  # each of the six charts, two side by side


# --------------------------------------------------------------------------- views


@solara.component
def LiveViews(model: LiveModel):
    """The sampled network coloured by trust, and the charts; drawn again after each Step."""
    update_counter.get()
    drawings = solara.use_memo(lambda: PageDrawings(model, NETWORK_SIZE, CHART_SIZE), [id(model)])
    dependencies = [update_counter.value, id(model)]
    network = solara.use_memo(drawings.network_png, dependencies)
    charts = solara.use_memo(drawings.chart_pngs, dependencies)
    with solara.ColumnsResponsive(12, large=[5, 7]):
        solara.Image(network, format="png")
        with solara.GridFixed(columns=2):
            for chart in charts:
                solara.Image(chart, format="png")


@solara.component
def DayTable(model: LiveModel):
    """What the run is, its accounts (with each one's backlog now) and the day's numbers."""
    update_counter.get()
    with model.lock:
        table = day_table_markdown(model.observer)
        accounts = accounts_markdown(model)
    scenario = model.simulation.scenario
    changes = model.levers.overrides()
    applied = ", ".join(f"`{k}={v}`" for k, v in changes.items()) or "none"
    solara.Markdown(
        f"**{scenario.name}** — {scenario.description}\n\n"
        f"Levers changed from the file: {applied}. "
        f"{model.simulation.graph.n_citizens:,} citizens, {model.simulation.days} days, "
        f"seed {model.simulation.seed}.\n\n"
        f"**Accounts** (backlog: items waiting for the account's operators)\n\n{accounts}"
        f"\n\n{table}"
    )


def accounts_markdown(live: LiveModel) -> str:
    """The accounts as a Markdown table: what each is and its backlog and replies now."""
    rows = live.observer.account_table()
    columns = list(rows[0])
    right = {"follow share", "operators", "backlog now", "received so far", "response rate so far"}
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---:" if c in right else "---" for c in columns) + "|"
    # a department's name may hold a "|", which would end a cell
    lines = ["| " + " | ".join(row[c].replace("|", "\\|") for c in columns) + " |" for row in rows]
    return "\n".join([header, rule, *lines])


def pending_changes(pending: dict) -> list[str]:
    """Lever changes not applied yet, as text (`operators of wechat_city 1 → 3`)."""
    texts = []
    for name, (was, now) in pending.items():
        if name == "account_operators":
            before = dict(was)
            texts += [
                f"operators of {a} {before.get(a)} → {n}" for a, n in now if before.get(a) != n
            ]
        else:
            texts.append(f"{name} {was} → {now}")
    return texts


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

    def set_account_operators(account: str):
        def setter(value: int) -> None:
            levers.set(levers.value.with_account_operators(account, value))

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

    with solara.Card("Levers"):
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
        if current.account_operators:  # each account's own (they override [staffing]'s)
            for account, operators in current.account_operators:
                solara.SliderInt(
                    f"Operators of {account}: {operators}",
                    value=operators,
                    min=0,
                    max=20,
                    on_value=set_account_operators(account),
                )
        else:
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
        note = account_lever_note(model.value.simulation.scenario)
        if note:
            solara.Text(note)
        if pending:
            solara.Text("Not applied yet: " + ", ".join(pending_changes(pending)))
        if error.value:
            solara.Error(error.value)


# --------------------------------------------------------------------------- the page


@solara.component
def Controls(
    model: solara.Reactive,
    levers: solara.Reactive,
    sample_size: int,
    hours_per_step: int,
    play_interval: int,
):
    """Mesa's Reset, ▶ and Step, how fast ▶ plays and how far a click goes, and the time."""
    pause = solara.use_reactive(play_interval)
    steps_per_click = solara.use_reactive(1)
    threads = solara.use_reactive(False)  # Mesa's controller reads `.value` of it
    with solara.Card("Controls"):
        ModelController(
            model,
            model_parameters={
                "levers": levers,
                "sample_size": sample_size,
                "hours_per_step": hours_per_step,
            },
            play_interval=pause,
            render_interval=steps_per_click,
            use_threads=threads,
        )
        SimulatedTime(model.value)
        solara.SliderInt(
            f"Pause between frames of ▶: {pause.value} ms",
            value=pause,
            min=0,
            max=1000,
            step=50,
        )
        solara.SliderInt(
            f"Steps per click: {steps_per_click.value} ({steps_per_click.value * hours_per_step} h)",
            value=steps_per_click,
            min=1,
            max=30,
        )


@solara.component
def SimulatedTime(live: LiveModel):
    """How far the run has come."""
    update_counter.get()
    hours = live.simulation.hour
    solara.Text(
        f"Simulated: day {hours // HOURS_PER_DAY} of {live.simulation.days}, "
        f"{hours % HOURS_PER_DAY:02d}:00 ({hours:,} of {live.hours_total:,} hours)"
    )


@solara.component
def TeachingPage(
    model: solara.Reactive,
    levers: solara.Reactive,
    sample_size: int = DEFAULT_SAMPLE,
    hours_per_step: int = HOURS_PER_DAY,
    play_interval: int = PLAY_INTERVAL,
):
    """The page: title bar, sidebar (controls, then levers), the live views and the table."""
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        Controls(model, levers, sample_size, hours_per_step, play_interval)
        LeverPanel(model, levers, sample_size, hours_per_step)
    LiveViews(model.value)
    DayTable(model.value)


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
