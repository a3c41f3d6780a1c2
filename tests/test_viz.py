"""The teaching views: levers, the observer, the network sample, the SolaraViz page.

Tests of the page need the 'viz' extra (solara, with Solara's browser assets) and are
skipped with a reason without it; the real-browser test also needs Chromium (`apt-get
install chromium`; `.ci/run` installs it, and under CI its absence fails the test).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from simulation import load_scenario
from simulation.codes import HOURS_PER_DAY
from simulation.viz.live import Levers, LiveModel
from simulation.viz.network import NetworkSample, sample_nodes

HAS_SOLARA = importlib.util.find_spec("solara") is not None
needs_solara = pytest.mark.skipif(
    not HAS_SOLARA, reason="solara is not installed (pip install -e '.[viz]')"
)
ROOT = Path(__file__).resolve().parent.parent


def small_live(**levers) -> LiveModel:
    return LiveModel(Levers.of("baseline", **{"citizens": 1000, "days": 3, **levers}))


# --------------------------------------------------------------------------- no screen


def test_the_core_and_the_viz_helpers_import_without_solara():
    code = (
        "import sys, simulation, simulation.viz, simulation.viz.live, simulation.viz.charts\n"
        "from simulation.viz import Observer, NetworkSample\n"
        "heavy = [m for m in ('solara', 'ipykernel', 'jupyter_client', 'nbclient') "
        "if m in sys.modules]\n"
        "assert not heavy, f'imported {heavy}'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr


def test_untouched_levers_leave_the_scenario_file_as_it_is():
    for name in ("baseline", "closed_loop", "appraisal_timeliness_48h", "edge_list_example"):
        levers = Levers.of(name)
        assert levers.overrides() == {}, f"{name}: {levers.overrides()}"
        expected = load_scenario(name).content_hash()
        assert levers.scenario_object().content_hash() == expected, name


def test_levers_become_dotted_overrides():
    levers = Levers.of(
        "baseline",
        mechanism="closed_loop",
        operators=5,
        skill_mean=0.7,
        shifts="24x7",
        rule="timeliness",
        strength=2.0,
        deadline_hours=24.0,
        citizens=3000,
        network="small_world",
    )
    scenario = levers.scenario_object()
    assert scenario.mechanism.preset == "closed_loop"
    assert scenario.mechanism.referral is True, "the preset's settings come with it"
    assert scenario.staffing.operators == 5
    assert scenario.staffing.skill_mean == 0.7
    assert scenario.staffing.shifts == "24x7"
    assert scenario.accountability.rule == "timeliness"
    assert scenario.accountability.strength == 2.0
    assert scenario.accountability.deadline_hours == 24.0
    assert scenario.population.citizens == 3000
    assert scenario.network.kind == "small_world"
    with pytest.raises(TypeError, match="unknown lever"):
        Levers.of("baseline", operator=3)


def test_the_deadline_lever_replaces_deadlines_by_kind():
    untouched = Levers.of("guangdong_12345_deadlines")
    assert untouched.overrides() == {}
    scenario = Levers.of("guangdong_12345_deadlines", deadline_hours=24.0).scenario_object()
    assert scenario.accountability.deadlines is None
    assert scenario.accountability.deadline_hours == 24.0


def test_another_network_replaces_an_edge_list_file():
    scenario = Levers.of("edge_list_example", network="random", citizens=500).scenario_object()
    assert scenario.network.kind == "random"
    assert scenario.network.edge_list is None


def test_choosing_another_scenario_keeps_the_size_of_the_run():
    levers = Levers.of("baseline", citizens=1500, days=5, seed=7, operators=9)
    switched = levers.with_scenario("understaffed")
    assert (switched.citizens, switched.days, switched.seed) == (1500, 5, 7)
    assert switched.operators == load_scenario("understaffed").staffing.operators
    assert switched.changed(levers)["scenario"] == ("baseline", "understaffed")


def test_observer_records_every_hour_and_agrees_with_the_model():
    live = small_live()
    live.run_hours(2 * HOURS_PER_DAY + 5)
    model, observer = live.simulation, live.observer
    hourly = observer.hourly_frame()
    assert list(hourly["hour"]) == list(range(1, 2 * HOURS_PER_DAY + 6))
    assert model.hour == 2 * HOURS_PER_DAY + 5
    daily = observer.daily_frame()
    assert list(daily["day"]) == [0, 1], "only completed days"
    metrics = model.metrics.daily_frame()
    assert list(daily["received"]) == list(metrics["received"][:2])
    assert list(daily["mean_trust"]) == list(metrics["mean_trust"][:2])
    end_of_day_1 = hourly.loc[hourly["hour"] == 2 * HOURS_PER_DAY].iloc[0]
    assert daily["response_rate_so_far"].iloc[1] == end_of_day_1["response_rate_so_far"]
    last = hourly.iloc[-1]
    assert last["response_rate_so_far"] == pytest.approx(model.summary()["response_rate"])
    assert last["backlog_operators"] == model.operator_desk.backlog(float(model.hour))
    assert last["mean_trust"] == pytest.approx(model.population.trust.mean())
    # office hours: nobody on duty at night, two operators at 10:00 on day 0 (a Monday)
    on_duty = hourly.set_index("hour")["operators_on_duty"]
    assert on_duty[3] == 0 and on_duty[11] == 2
    today = observer.today()
    assert today["day"] == 2 and today["hour_of_day"] == 5


def matrix_live(**levers) -> LiveModel:
    return LiveModel(Levers.of("weibo_and_wechat", **{"citizens": 1000, "days": 3, **levers}))


def test_observer_records_each_accounts_backlog_and_response_rate():
    live = matrix_live()
    live.run_hours(HOURS_PER_DAY + 11)
    model, hourly = live.simulation, live.observer.hourly_frame()
    names = ["weibo_city", "wechat_city"]
    assert live.observer.accounts == names
    backlogs = hourly[[f"backlog_operators@{n}" for n in names]]
    np.testing.assert_array_equal(backlogs.sum(axis=1), hourly["backlog_operators"])
    assert backlogs.to_numpy().max() > 0, "requests wait at both desks over a night"
    last = hourly.iloc[-1]
    summary = model.summary()
    for name in names:
        assert last[f"response_rate_so_far@{name}"] == pytest.approx(
            summary[f"response_rate@{name}"], nan_ok=True
        )
    rows = live.observer.account_table()
    assert [r["account"] for r in rows] == names
    assert [int(r["received so far"]) for r in rows] == [
        int(summary[f"received@{n}"]) for n in names
    ]
    assert small_live().observer.accounts == [], "one account: no per-account columns"
    assert "backlog_operators@government" not in small_live().observer.hourly_frame()


def test_a_matrix_scenario_has_an_operators_lever_per_account():
    levers = Levers.of("weibo_and_wechat", citizens=1000)
    assert levers.account_operators == (("weibo_city", 1), ("wechat_city", 1))
    assert levers.overrides() == {"population.citizens": 1000}
    more = levers.with_account_operators("wechat_city", 3)
    assert more.overrides() == {"population.citizens": 1000, "accounts.wechat_city.operators": 3}
    scenario = more.scenario_object()
    assert scenario.accounts["wechat_city"].operators == 3
    assert scenario.accounts["weibo_city"].operators == 1
    with pytest.raises(KeyError, match="weibo_city, wechat_city"):
        levers.with_account_operators("hotline_city", 2)
    assert Levers.of("baseline").account_operators == ()
    assert levers.with_scenario("baseline").account_operators == ()
    from simulation.viz.live import account_lever_note

    note = account_lever_note(scenario)
    assert "one operators slider each" in note and "every account" in note
    assert account_lever_note(load_scenario("baseline")) == ""
    own = load_scenario("weibo_and_wechat", ["accounts.wechat_city.shifts=24x7"])
    assert "shifts: wechat_city" in account_lever_note(own)


def test_the_charts_of_a_matrix_scenario_show_each_account():
    from simulation.viz.charts import PANELS, dashboard_figure

    live = matrix_live()
    live.run_hours(30)
    figure = dashboard_figure(live.observer)
    assert len(figure.axes) == len(PANELS) + 2
    backlog, rate = figure.axes[-2:]
    for ax in (backlog, rate):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["weibo_city", "wechat_city"]
        assert all(len(line.get_xdata()) == 30 for line in ax.lines)
    assert backlog.get_title() == "backlog by account" and "items" in backlog.get_ylabel()
    assert rate.get_ylim() == (0.0, 1.05)
    assert len(dashboard_figure(small_live().observer).axes) == len(PANELS)


# Every bundled scenario that declares accounts (the page can start from each).
MATRIX_SCENARIOS = sorted(
    path.stem
    for path in (Path(__file__).resolve().parent.parent / "scenarios").glob("*.toml")
    if load_scenario(path.stem).accounts
)


@pytest.mark.parametrize("name", MATRIX_SCENARIOS)
def test_the_page_can_start_from_each_bundled_matrix_and_draws_each_accounts_backlog(name):
    from simulation.viz.charts import PANELS, dashboard_figure

    scenario = load_scenario(name)
    live = LiveModel(Levers.of(name, citizens=1000, days=2))
    live.run_hours(30)
    names = list(scenario.accounts)
    assert live.observer.accounts == names
    assert [row["account"] for row in live.observer.account_table()] == names
    hourly = live.observer.hourly_frame()
    backlogs = hourly[[f"backlog_operators@{n}" for n in names]]
    np.testing.assert_array_equal(backlogs.sum(axis=1), hourly["backlog_operators"])
    figure = dashboard_figure(live.observer)
    assert len(figure.axes) == len(PANELS) + 2
    backlog = figure.axes[-2]
    assert backlog.get_title() == "backlog by account"
    assert [t.get_text() for t in backlog.get_legend().get_texts()] == names
    for line, account in zip(backlog.lines, names, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), backlogs[f"backlog_operators@{account}"])


def test_a_mesa_step_is_a_day_of_hourly_steps_and_the_run_stops_at_its_end():
    live = small_live(days=2)
    live.step()
    assert (live.time, live.simulation.hour, len(live.observer)) == (1.0, HOURS_PER_DAY, 24)
    assert live.running
    live.run_hours(30)
    assert live.simulation.hour == 2 * HOURS_PER_DAY
    assert live.running is False
    live.step()  # harmless after the end
    assert live.simulation.hour == 2 * HOURS_PER_DAY
    hourly = LiveModel(Levers.of("baseline", citizens=300, days=1), hours_per_step=1)
    hourly.step()
    assert hourly.simulation.hour == 1
    with pytest.raises(ValueError):
        LiveModel(Levers.of("baseline", citizens=300, days=1), hours_per_step=0)


def test_network_view_draws_a_sample_of_at_most_n_nodes_of_a_large_population():
    live = LiveModel(Levers.of("baseline", citizens=20_000, days=1), sample_size=150)
    sample, graph = live.network, live.simulation.graph
    assert len(sample.nodes) <= 150
    assert sample.n_citizens == 20_000
    assert graph.government in sample.nodes and sample.is_government.sum() == 1
    assert sample.is_leader.any(), "the most-followed opinion leaders are in the sample"
    assert len(np.unique(sample.nodes)) == len(sample.nodes)
    assert sample.positions.shape == (len(sample.nodes), 2)
    assert np.isfinite(sample.positions).all()
    for source, follower in sample.edges[:200].tolist():
        assert graph.has_edge(int(sample.nodes[source]), int(sample.nodes[follower]))
    # the same model seed gives the same sample and layout
    again = NetworkSample.of(live.simulation, 150)
    assert np.array_equal(again.nodes, sample.nodes)
    assert np.allclose(again.positions, sample.positions)
    # a small population is drawn whole
    small = LiveModel(Levers.of("baseline", citizens=200, days=1))
    assert len(small.network.nodes) == small.simulation.graph.n_nodes == 201


def test_network_state_marks_citizens_waiting_with_a_complaint():
    from simulation import GovernmentResponseModel
    from simulation.codes import COMPLAINT
    from simulation.viz.observer import waiting_mask

    scenario = load_scenario(
        "baseline", {"population.citizens": 300, "population.need_rate_per_day": 0.3}
    )
    model = GovernmentResponseModel(scenario, seed=3, days=2)
    for _ in range(HOURS_PER_DAY + 12):
        model.step()
    sample = NetworkSample.of(model, model.graph.n_nodes)  # everyone
    state = sample.state(model)
    authors = set(model.items.view("author")[waiting_mask(model, COMPLAINT)].tolist())
    assert authors, "the test needs complaints waiting"
    assert set(sample.citizen_nodes[state["waiting"]].tolist()) == authors
    assert np.array_equal(state["trust"], model.population.trust)


def test_sample_nodes_validates_its_size():
    graph = small_live().simulation.graph
    with pytest.raises(ValueError):
        sample_nodes(graph, max_nodes=0)
    assert list(sample_nodes(graph, max_nodes=1)) == [graph.government]


def test_charts_and_day_table_draw_before_and_after_steps():
    from simulation.viz.charts import PANELS, dashboard_figure, day_table

    live = small_live()
    assert len(dashboard_figure(live.observer).axes) == len(PANELS)
    live.run_hours(30)
    fig = dashboard_figure(live.observer)
    assert len(fig.axes) == len(PANELS)
    assert all(ax.lines for ax in fig.axes)
    rows = dict(day_table(live.observer))
    assert rows["day, hour"] == "day 1, up to 06:00"
    network_figure = live.network.figure(live.simulation)
    assert network_figure.axes


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


def test_quick_redraws_show_what_a_whole_redraw_shows():
    from simulation.viz.drawing import PageDrawings

    live = small_live(citizens=500)
    drawings = PageDrawings(live, (3.9, 4.6), (2.7, 2.1))
    first = [drawings.network_png(), *drawings.chart_pngs()]
    live.step()
    live.step()
    quick = [drawings.network_png(), *drawings.chart_pngs()]
    figures = [drawings._network, *drawings._charts]
    for figure in figures:
        figure._background = None  # draw everything again
    whole = [figure.png() for figure in figures]
    for a, b in zip(quick, whole, strict=True):
        assert np.array_equal(_pixels(a), _pixels(b))
    assert all(a != b for a, b in zip(first[1:], quick[1:], strict=True)), "the charts moved"
    assert first[0] != quick[0], "trust and waiting complaints changed the network's colours"


def test_a_step_draws_a_chart_whole_only_when_its_axes_change():
    from simulation.viz.drawing import PageDrawings

    days = 8
    live = small_live(citizens=500, days=days)
    drawings = PageDrawings(live)
    drawings.chart_pngs()
    first = drawings.full_draws
    for _ in range(days):
        limits = [chart.limits() for chart in drawings.dashboard.charts]
        before = [figure.full_draws for figure in drawings._charts]
        live.step()
        drawings.chart_pngs()
        for chart, was, figure, drawn in zip(
            drawings.dashboard.charts, limits, drawings._charts, before, strict=True
        ):
            assert figure.full_draws - drawn == (chart.limits() != was)
    charts = drawings.dashboard.charts
    redrawn = drawings.full_draws - first
    assert redrawn <= len(charts) * days / 3, f"{redrawn} whole redraws: axes grow too often"
    fixed = [c for c in charts if c.spec.fixed]
    assert fixed and all(c.ax.get_ylim() == c.spec.fixed for c in fixed)
    for chart in charts:  # a fitted axis holds its data
        if chart.spec.fixed:
            continue  # shares: replies per received (of earlier days' requests too) may pass 1
        low, high = chart.ax.get_ylim()
        for line in chart.lines:
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            assert len(y) == 0 or (low <= y.min() and y.max() <= high), chart.spec.title


def test_the_page_figures_text_is_at_least_11_px():
    from matplotlib.text import Text

    from simulation.viz.drawing import PageDrawings
    from simulation.viz.page import CHART_SIZE, NETWORK_SIZE

    live = small_live(citizens=500)
    drawings = PageDrawings(live, NETWORK_SIZE, CHART_SIZE)
    drawings.network_png()  # draws the figures, ticks and their labels included
    drawings.chart_pngs()
    for figure in [drawings.network.figure, *drawings.dashboard.figures]:
        texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert texts
        smallest = min(t.get_fontsize() * figure.dpi / 72 for t in texts)
        assert smallest >= 11, f"text of {smallest:.1f} px"


# --------------------------------------------------------------------------- the page


def _render(page):
    import solara

    return solara.render(solara.AppLayout(children=[page]), handle_error=False)


def _widget(rc, kind, **match):
    return rc.find(kind, **match).widget


def _texts(widget) -> str:
    """All text in a rendered widget tree (labels, children strings, Markdown templates)."""
    import ipywidgets

    parts = []
    for name in ("template", "label", "v_model", "value"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            parts.append(value)
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, str):
            parts.append(child)
        elif isinstance(child, ipywidgets.Widget):
            parts.append(_texts(child))
    return "\n".join(parts)


@needs_solara
def test_page_builds_and_steps_a_day_per_click():
    import ipyvuetify as v
    import ipywidgets

    from simulation.viz import make_page
    from simulation.viz.charts import PANELS

    page = make_page("baseline", citizens=1000, days=3)
    box, rc = _render(page)
    model = page.kwargs["model"]
    assert "day 0, up to 00:00" in _texts(box)
    labels = {w.label for w in rc.find(v.Slider).widgets}
    assert {"Operators on duty: 2", "Citizens: 1,000", "Days: 3"} <= labels
    selects = {w.label: w.v_model for w in rc.find(v.Select).widgets}
    assert selects["Scenario to start from"] == "baseline"
    assert selects["Response mechanism"] == "release_only"
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 1 + len(PANELS), "the network and each chart are drawn"
    cards = {w.children[0] if w.children else "" for w in rc.find(v.CardTitle).widgets}
    assert {"Controls", "Levers"} <= cards
    assert "Model Parameters" not in cards, "no empty card of Mesa's"
    before = [bytes(w.value) for w in images]
    _widget(rc, v.Btn, children=["Step"]).click()
    assert model.value.simulation.hour == HOURS_PER_DAY, "one Step is one day of hours"
    assert len(model.value.observer) == HOURS_PER_DAY
    after = [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]
    assert after != before, "the views redraw after a step"
    assert "day 0, up to 24:00" in _texts(box), "the day table shows the day just run"
    assert "Simulated: day 1 of 3" in _texts(box)


@needs_solara
def test_the_page_of_a_matrix_scenario_shows_its_accounts_and_a_slider_each():
    import ipyvuetify as v
    import ipywidgets

    from simulation.viz import make_page
    from simulation.viz.charts import PANELS

    page = make_page("weibo_and_wechat", citizens=1000, days=3)
    box, rc = _render(page)
    model = page.kwargs["model"]
    labels = {w.label for w in rc.find(v.Slider).widgets}
    assert {"Operators of weibo_city: 1", "Operators of wechat_city: 1"} <= labels
    assert not any(label.startswith("Operators on duty") for label in labels)
    text = _texts(box)
    assert "one operators slider each" in text
    header, *rows = _account_rows(text)
    assert header[:3] == ["account", "platform", "level"] and "backlog now" in header
    assert [row[:5] for row in rows] == [
        ["weibo_city", "weibo", "city", "0.3", "1"],
        ["wechat_city", "wechat", "city", "0.3", "1"],
    ]
    assert len(rc.find(ipywidgets.Image).widgets) == 1 + len(PANELS) + 2
    _widget(rc, v.Btn, children=["Step"]).click()
    assert model.value.simulation.hour == HOURS_PER_DAY
    summary = model.value.simulation.summary()
    _, *rows = _account_rows(_texts(box))
    column = header.index("received so far")
    assert [int(row[column].replace(",", "")) for row in rows] == [
        int(summary[f"received@{name}"]) for name in ("weibo_city", "wechat_city")
    ], "the table follows the run"

    _widget(rc, v.Slider, label="Operators of wechat_city: 1").v_model = 3
    assert "operators of wechat_city 1 → 3" in _texts(box)
    _widget(rc, v.Btn, children=["Apply (rebuild the model)"]).click()
    simulation = model.value.simulation
    assert simulation.scenario.accounts["wechat_city"].operators == 3
    assert [len(a.operators) for a in simulation.accounts] == [1, 3]
    _, *rows = _account_rows(_texts(box))
    assert rows[1][:5] == ["wechat_city", "wechat", "city", "0.3", "3"]


def _account_rows(text: str) -> list[list[str]]:
    """The cells of the page's accounts table (the one whose header starts 'account')."""
    for table in re.findall(r"<table>(.*?)</table>", text, flags=re.DOTALL):
        rows = [
            [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.DOTALL)
        ]
        if rows and rows[0] and rows[0][0] == "account":
            return rows
    raise AssertionError("no accounts table on the page")


@pytest.mark.slow  # 7.6-10.0 s
@needs_solara
def test_changing_a_control_rebuilds_the_model_with_the_new_value():
    import ipyvuetify as v

    from simulation.viz import make_page

    page = make_page("baseline", citizens=1000, days=3)
    _, rc = _render(page)
    model, levers = page.kwargs["model"], page.kwargs["levers"]
    _widget(rc, v.Btn, children=["Step"]).click()
    first = model.value

    _widget(rc, v.Slider, label="Operators on duty: 2").v_model = 5
    assert levers.value.operators == 5
    assert model.value is first, "moving a lever alone does not rebuild"
    _widget(rc, v.Btn, children=["Apply (rebuild the model)"]).click()
    assert model.value is not first
    assert model.value.simulation.scenario.staffing.operators == 5
    assert model.value.simulation.hour == 0
    assert len(model.value.simulation.operators) == 5

    _widget(rc, v.Select, label="Response mechanism").v_model = "proactive"
    _widget(rc, v.Select, label="Appraisal rule").v_model = "satisfaction"
    _widget(rc, v.Btn, children=["Reset"]).click()  # Mesa's Reset applies the levers too
    scenario = model.value.simulation.scenario
    assert scenario.mechanism.preset == "proactive" and scenario.mechanism.monitoring
    assert scenario.accountability.rule == "satisfaction"
    assert scenario.staffing.operators == 5

    _widget(rc, v.Select, label="Scenario to start from").v_model = "hotline_24x7"
    assert levers.value.shifts == "24x7", "choosing a scenario loads its settings"
    assert levers.value.citizens == 1000, "and keeps the size of the run"
    _widget(rc, v.Btn, children=["Apply (rebuild the model)"]).click()
    assert model.value.simulation.scenario.name == "hotline_24x7"
    assert model.value.simulation.graph.n_citizens == 1000


@needs_solara
def test_page_network_view_uses_at_most_the_sample_size():
    from simulation.viz import make_page

    page = make_page("baseline", citizens=8000, days=1, sample_size=120)
    _render(page)
    sample = page.kwargs["model"].value.network
    assert len(sample.nodes) <= 120 < sample.n_citizens


@needs_solara
def test_offline_asset_list_names_the_pinned_packages():
    from simulation.viz.offline import required_packages

    packages = required_packages()
    assert any(p.startswith("requirejs@") for p in packages)
    assert any("solara-vuetify" in p for p in packages)
    assert all(re.search(r"@\d+\.\d+\.\d+", p) for p in packages)


def test_viz_command_registers_on_a_parser():
    import argparse

    from simulation.cli import add_command
    from simulation.viz.cli import HOST, server_command, server_environment

    parser = argparse.ArgumentParser(prog="microgov")
    sub = parser.add_subparsers(dest="command")
    add_command(sub, "viz")
    args = parser.parse_args(["viz", "closed_loop", "--port", "9001"])
    assert (args.scenario, args.port, args.handler.__name__) == ("closed_loop", 9001, "cmd_viz")
    assert parser.parse_args(["viz"]).scenario == "baseline"
    command = server_command(9001)
    assert HOST == "127.0.0.1" and command[command.index("--host") + 1] == HOST
    env = server_environment("baseline", 2000)
    assert env["MICROGOV_VIZ_SCENARIO"] == "baseline" and env["MICROGOV_VIZ_CITIZENS"] == "2000"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"


# --------------------------------------------------------------------------- standalone


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except Exception:
        return 0


@contextlib.contextmanager
def standalone_page(
    scenario: str = "baseline",
    citizens: int = 2000,
    startup: float = 90.0,
    env: dict[str, str] | None = None,
):
    """`python -m simulation.viz` on a free port; stopped (by its pid) on exit.

    Yields the page's URL, the port and a function returning the server's output so far.
    """
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        yield from _serve(scenario, citizens, startup, port, log, env)


def _serve(scenario: str, citizens: int, startup: float, port: int, log, env):
    server = subprocess.Popen(
        [sys.executable, "-m", "simulation.viz", scenario, "--port", str(port)]
        + ["--citizens", str(citizens)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )

    def output() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")

    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + startup
        while _get(url, 2.0) != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start: {output()[-2000:]}")
            time.sleep(0.5)
        yield url, port, output
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


@needs_solara
def test_the_page_assets_of_the_installed_solara_are_installed(tmp_path):
    from simulation.viz.offline import check, required_packages

    assert check() is None, check()
    assert any(p.startswith("@widgetti/solara-vuetify-app@") for p in required_packages())
    message = check(tmp_path)
    assert message and "requirejs@2.3.6" in message and "solara-assets==" in message
    assert "simulation.viz.offline" in message and "\n" not in message


@pytest.mark.slow  # starting the server: 10-20 s
@needs_solara
def test_standalone_page_is_served_on_localhost_only_and_names_missing_assets(tmp_path):
    empty = {"SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path)}  # as if solara-assets were missing
    with standalone_page(env=empty) as (url, port, output):
        assert _get(url) == 200
        try:
            other = socket.gethostbyname(socket.gethostname())
        except OSError:
            other = None
        if other and not other.startswith("127."):
            with socket.socket() as s:
                s.settimeout(2.0)
                assert s.connect_ex((other, port)) != 0, f"also listening on {other}"
        log = output()
    lines = [line for line in log.splitlines() if "browser assets" in line]
    assert len(lines) == 1, log
    assert lines[0].startswith("microgov viz: Solara's browser assets for solara ")
    assert "solara-assets==" in lines[0]
    assert "Traceback" not in log


class _Chromium:
    """Headless Chromium driven over the DevTools protocol (to wait for the live page)."""

    def __init__(self, size: tuple[int, int]):
        self.profile = tempfile.mkdtemp(prefix="microgov-chromium-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium"),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ws = None
        self._id = 0

    @contextlib.contextmanager
    def session(self, timeout: float = 30.0):
        """Connect to the browser's page over the DevTools protocol; close it all after."""
        from websockets.sync.client import connect

        try:
            with connect(self._page_endpoint(timeout), max_size=None, open_timeout=10) as ws:
                self.ws = ws
                yield self
        finally:
            self.ws = None
            self.close()

    def _page_endpoint(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        endpoint = None
        while endpoint is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            endpoint = found and found.group(1)
        assert endpoint, "chromium did not start its DevTools endpoint"
        with urllib.request.urlopen(f"http://127.0.0.1:{endpoint}/json/list", timeout=10) as r:
            targets = json.load(r)
        return next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]

    def call(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self._id:
                assert "error" not in message, message["error"]
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.5)
        return False

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)


def _needs_chromium():
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed (apt-get install chromium)")


# What the browser reports about the page, as JSON.
_PAGE_FACTS = """JSON.stringify({
  text: document.body.innerText,
  buttons: [...document.querySelectorAll('button')].map(b => b.innerText.trim().toUpperCase()),
  sliders: document.querySelectorAll('.v-slider').length,
  selects: document.querySelectorAll('.v-select').length,
  cards: [...document.querySelectorAll('.v-card')].map(c => [
    (c.querySelector('.v-card__title') || {}).innerText || '', c.innerText.trim().length]),
  images: [...document.querySelectorAll('img.solara-image, .solara-image img, img')]
    .filter(i => i.naturalWidth > 0)
    .map(i => [i.clientWidth, i.naturalWidth, i.clientHeight, i.naturalHeight]),
})"""


@pytest.mark.slow  # 30-60 s: a server, a browser and seven Steps
@pytest.mark.skipif(
    importlib.util.find_spec("websockets") is None, reason="websockets is not installed"
)
@needs_solara
@pytest.mark.parametrize(("scenario", "account_charts"), [("baseline", 0), ("weibo_and_wechat", 2)])
def test_standalone_page_renders_in_headless_chromium(tmp_path, scenario, account_charts):
    """The page as a reader sees it at 1400 px, served without any access to a CDN."""
    from simulation.viz.charts import LEGEND_PT, PANELS

    _needs_chromium()
    size = (1400, 900)
    no_cdn = {"SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"}  # a closed port: any CDN fetch fails
    charts = len(PANELS) + account_charts
    with standalone_page(scenario, env=no_cdn) as (url, _, output):
        with _Chromium(size).session() as browser:
            browser.call("Page.navigate", url=url)
            ready = (
                "document.body && document.body.innerText.includes('Levers') && "
                f"[...document.querySelectorAll('img')].filter(i => i.naturalWidth > 0).length"
                f" >= {1 + charts}"
            )
            assert browser.wait_for(ready, 120), "the page did not render its views"
            # five quick clicks on Step, 100 ms apart: none may be dropped
            browser.evaluate(
                "(() => { const step = [...document.querySelectorAll('button')]"
                ".find(b => b.innerText.trim().toUpperCase() === 'STEP');"
                "for (let i = 0; i < 5; i++) setTimeout(() => step.click(), 100 * i); })()"
            )
            assert browser.wait_for("document.body.innerText.includes('day 4, up to 24:00')", 90), (
                "five Steps should show the end of day 4 in the table"
            )
            time.sleep(1.5)  # let the redrawn figures arrive
            facts = json.loads(browser.evaluate(_PAGE_FACTS))
            data = browser.call("Page.captureScreenshot", format="png")["data"]
        log = output()
    assert "Could not load URL" not in log, "the server asked the CDN for an asset"
    assert "Simulated: day 5 of 30" in facts["text"]
    assert {"RESET", "▶", "STEP", "APPLY (REBUILD THE MODEL)"} <= set(facts["buttons"])
    assert "This website runs on" not in facts["text"], "Solara's banner covers a chart"
    assert facts["sliders"] >= 8 and facts["selects"] >= 5, facts
    titles = [title for title, _ in facts["cards"]]
    assert "Model Parameters" not in titles
    assert all(length > len(title) for title, length in facts["cards"]), "an empty card"
    images = facts["images"]
    assert len(images) == 1 + charts, images
    if account_charts:  # the accounts' table, as a reader sees it
        assert "backlog now" in facts["text"] and "wechat_city" in facts["text"]
        assert "Operators of wechat_city: 1" in facts["text"]
    for shown, natural, _, _ in images:  # at their own size: text as drawn, 11 px and more
        scale = shown / natural
        assert LEGEND_PT * 100 / 72 * scale >= 11, f"an image shrunk to {scale:.2f}"
    path = tmp_path / "page.png"
    path.write_bytes(base64.b64decode(data))
    keep = os.environ.get("MICROGOV_SCREENSHOT")
    if keep:
        shutil.copy(path, keep.replace(".png", f"-{scenario}.png") if account_charts else keep)
    from matplotlib.image import imread

    image = imread(path)
    assert image.shape[1] == size[0] and image.shape[0] >= 600
    colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 500, f"the screenshot has only {len(colours)} colours"


# --------------------------------------------------------------------------- tutorial helpers


def test_teaching_helpers_on_a_small_run():
    from simulation.viz import teaching

    scenario = teaching.small_scenario(
        "baseline", citizens=500, days=3, overrides=["staffing.operators=3"]
    )
    assert (scenario.population.citizens, scenario.run.days) == (500, 3)
    assert scenario.staffing.operators == 3
    model, observer = teaching.run_observed(scenario, seed=2)
    assert model.hour == 3 * HOURS_PER_DAY and len(observer) == 3 * HOURS_PER_DAY
    items = teaching.items_table(model)
    assert len(items) == len(model.items)
    assert set(items["status"]) <= {"open", "referred", "answered", "abandoned", "not received"}
    assert items["received"].sum() == model.summary()["received"] + model.summary()["rumours"]
    explained = teaching.explain(model.summary())
    assert list(explained.index) == list(teaching.HEADLINE)
    assert explained["meaning"].str.len().min() > 0
    table = teaching.run_variants({"a": scenario, "b": scenario}, seeds=(1, 2), days=1)
    assert len(table) == 4
    assert table.groupby("seed")["response_rate"].nunique().max() == 1, "same seed, same run"
    assert len(teaching.plot_variants(table, ["response_rate", "mean_trust"]).axes) == 3
    outcomes = teaching.trust_by_outcome(model, observer.initial_trust)
    assert outcomes["citizens"].sum() <= model.population.n
    assert outcomes["outcome"].iloc[-1] == "everyone else"
    assert len(teaching.reach_table(model)) > 0


def test_queue_scenario_has_the_asked_utilisation_and_rule_scores_show_the_trap():
    from simulation.viz import teaching

    scenario = teaching.queue_scenario(2, 0.75, handling_minutes=30.0, citizens=100)
    arrivals_per_hour = scenario.population.need_rate_per_day * 100 / HOURS_PER_DAY
    assert arrivals_per_hour == pytest.approx(0.75 * 2 * 2.0)
    scores = teaching.rule_scores()
    brush_off = "boilerplate brush-off (reply now)"
    proper = "answer it properly (reply in 6 h)"
    assert scores.loc[brush_off, "response_rate"] == scores.loc[proper, "response_rate"]
    assert scores.loc[brush_off, "satisfaction"] < scores.loc[proper, "satisfaction"]
    leave = "leave it (citizen may give up)"
    replies_only = "satisfaction (replies only)"
    assert scores.loc[leave, replies_only] == 0.0 > scores.loc[brush_off, replies_only], (
        "rating replies only: leaving is never rated, so it beats a brush-off"
    )
    assert scores.loc[leave, "satisfaction"] < scores.loc[brush_off, "satisfaction"], (
        "the call-back survey rates giving up too"
    )


def test_network_view_draws_every_account_with_its_own_marker_colour_and_label():
    from simulation import GovernmentResponseModel

    scenario = load_scenario("shanghai_12333_matrix", {"population.citizens": 1500})
    model = GovernmentResponseModel(scenario, seed=1, days=1)
    sample = NetworkSample.of(model, 120)
    nodes = [model.graph.account_node(k) for k in range(len(model.plans))]
    assert len(sample.nodes) <= 120 and set(nodes) <= set(sample.nodes.tolist())
    assert sample.is_government.sum() == len(nodes) == 3
    # apart from one another (a spring layout would stack them all at the centre)
    where = sample.positions[sample.is_government]
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(where) for b in where[i + 1 :]]
    assert min(gaps) > 0.2 * np.ptp(sample.positions[:, 0]), gaps
    drawing = sample.drawing(model)
    labels = [f"{plan.name} ({plan.platform.name})" for plan in model.plans]
    assert [c.get_label() for c in drawing.accounts] == labels
    assert all(len(c.get_offsets()) == 1 for c in drawing.accounts)
    colours = {tuple(np.round(c.get_facecolor()[0], 3)) for c in drawing.accounts}
    shapes = {c.get_paths()[0].vertices.tobytes() for c in drawing.accounts}
    assert len(colours) == len(shapes) == 3, "each account has its own colour and marker"
    (ax,) = [a for a in drawing.figure.axes if a.get_title()]
    assert [t.get_text() for t in ax.texts] == labels, "each account is named on the drawing"
    legend = {t.get_text() for t in drawing.figure.legends[0].get_texts()}
    assert set(labels) <= legend
    assert all(c in drawing.moving for c in drawing.accounts)
    # one account, as before: the government account's star, no names on the drawing
    live = small_live()
    one = live.network.drawing(live.simulation)
    assert [c.get_label() for c in one.accounts] == ["government account"]
    assert not [t for a in one.figure.axes for t in a.texts]
