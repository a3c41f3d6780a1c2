"""A drawable sample of the follower network, coloured by trust.

Laying out a whole follower graph is slow (a spring layout takes seconds at 1,000 nodes
and minutes at 10,000) and unreadable anyway, so the views draw a sample of a few
hundred citizens: every government account, the most-followed opinion leaders, some of
their followers (so one sees how posts travel), and citizens drawn by how much they
post (so the sample holds the people who complain). The sample and its layout are
computed once per model, seeded; each redraw only reads trust and who is waiting.
Each account is drawn with a marker and colour of its own (ACCOUNT_MARKERS,
ACCOUNT_COLOURS, in the scenario's order), its followers' edges in its colour, and is
labelled by name and platform (the one account of a scenario that declares none is
"government account").

Needs networkx and matplotlib (core dependencies), not solara.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from simulation.codes import COMPLAINT
from simulation.viz.charts import LABEL_PT, LEGEND_PT, TICK_PT, TITLE_PT
from simulation.viz.observer import waiting_mask

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    from simulation.model import GovernmentResponseModel
    from simulation.network import FollowerGraph

DEFAULT_SAMPLE = 300  # nodes drawn, government account included
TRUST_CMAP = "RdYlGn"  # red: distrust, green: trust
FIGURE_WIDTH = 6.4  # [in] the figure's default width; markers scale with the width drawn at
# Each account's marker and colour, in the scenario's order (repeated past the last).
ACCOUNT_MARKERS = ("*", "P", "X", "h", "s", "^")
ACCOUNT_COLOURS = ("#1f3b73", "#7b2d8b", "#b35900", "#00695c", "#8b1a1a", "#4a4a4a")


def sample_nodes(
    graph: FollowerGraph,
    activity: np.ndarray | None = None,
    max_nodes: int = DEFAULT_SAMPLE,
    seed: int = 0,
) -> np.ndarray:
    """Node ids to draw, citizens sorted, then every government account (always in).

    At most `max_nodes` (or the accounts alone, if there are more of them). With more
    nodes than that: up to max_nodes // 20 opinion leaders (most followed first), up to
    half of the remaining room taken by followers of those leaders, the rest citizens
    drawn without replacement with probability proportional to `activity` (uniform
    without it).
    """
    n = graph.n_citizens
    accounts = np.arange(n, graph.n_nodes)
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1 (the government account)")
    if graph.n_nodes <= max_nodes:
        return np.arange(graph.n_nodes)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(n, dtype=bool)
    room = max(0, max_nodes - len(accounts))
    leaders = np.flatnonzero(graph.is_leader)
    counts = graph.follower_counts[:n]
    leaders = leaders[np.argsort(-counts[leaders], kind="stable")][: max(1, max_nodes // 20)]
    leaders = leaders[:room]
    chosen[leaders] = True
    room -= len(leaders)
    if room > 0 and len(leaders):
        pool = np.unique(np.concatenate([graph.followers_of(int(u)) for u in leaders]))
        pool = pool[~chosen[pool]]
        take = min(len(pool), room // 2)
        if take:
            chosen[rng.choice(pool, size=take, replace=False)] = True
            room -= take
    if room > 0:
        weights = np.ones(n) if activity is None else np.asarray(activity, dtype=float)
        weights = np.maximum(weights, 1e-12)
        # Weighted sampling without replacement (Efraimidis-Spirakis): the largest keys.
        keys = np.log(rng.random(n)) / weights
        keys[chosen] = -np.inf
        room = min(room, int(np.count_nonzero(~chosen)))
        if room:
            chosen[np.argpartition(-keys, room - 1)[:room]] = True
    return np.concatenate([np.flatnonzero(chosen), accounts])


def induced_edges(graph: FollowerGraph, nodes: np.ndarray) -> np.ndarray:
    """Edges (source, follower) of the graph between `nodes`, as an (m, 2) array.

    Reads only the sampled nodes' follower lists, so it costs the sample's degrees, not
    the whole graph's edges.
    """
    inside = np.zeros(graph.n_nodes, dtype=bool)
    inside[nodes] = True
    parts = []
    for u in np.asarray(nodes).tolist():
        followers = graph.followers_of(u)
        followers = followers[inside[followers]]
        if len(followers):
            parts.append(np.column_stack([np.full(len(followers), u), followers]))
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def _layout(n: int, edges: np.ndarray, seed: int) -> np.ndarray:
    """Node positions: a spring layout of the connected nodes, a ring for the others.

    Nodes without an edge in the sample go on a ring around the rest (otherwise the
    layout pushes them far out and squeezes the rest).
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges.tolist())
    positions = np.zeros((n, 2))
    linked = np.array([graph.degree(i) > 0 for i in range(n)], dtype=bool)
    if linked.any():
        core = graph.subgraph(np.flatnonzero(linked).tolist())
        pos = nx.spring_layout(core, seed=seed, k=2.0 / np.sqrt(core.number_of_nodes()))
        positions[linked] = np.array([pos[i] for i in np.flatnonzero(linked).tolist()])
    radius = 1.15 * max(1.0, float(np.abs(positions[linked]).max()) if linked.any() else 1.0)
    lonely = np.flatnonzero(~linked)
    angles = 2 * np.pi * np.arange(len(lonely)) / max(len(lonely), 1)
    positions[lonely] = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return positions


@dataclass
class NetworkSample:
    """A sample of the follower graph with a fixed layout, and what to draw on it."""

    nodes: np.ndarray  # node ids, the government accounts last
    edges: np.ndarray  # (m, 2) positions into `nodes`: source, follower
    positions: np.ndarray  # (len(nodes), 2)
    n_citizens: int  # citizens in the whole population
    is_government: np.ndarray  # bool per sampled node: a government account
    is_leader: np.ndarray  # bool per sampled node
    followers: np.ndarray  # follower counts (whole graph) per sampled node
    account: np.ndarray  # per sampled node: its account's index (-1: a citizen)
    account_labels: tuple[str, ...] = ("government account",)  # by account index

    @classmethod
    def of(
        cls,
        model: GovernmentResponseModel,
        max_nodes: int = DEFAULT_SAMPLE,
        seed: int | None = None,
    ) -> NetworkSample:
        """Sample a model's follower graph and lay it out (seeded by the model's seed)."""
        graph = model.graph
        seed = model.seed if seed is None else seed
        nodes = sample_nodes(graph, model.population.activity, max_nodes, seed)
        edges = induced_edges(graph, nodes)
        position_of = {int(u): i for i, u in enumerate(nodes.tolist())}
        local = np.vectorize(position_of.__getitem__, otypes=[np.int64])
        edges = local(edges) if len(edges) else edges
        positions = _layout(len(nodes), edges, seed)
        account = np.where(nodes >= graph.n_citizens, nodes - graph.n_citizens, -1)
        _spread_accounts(positions, account)
        is_government = account >= 0
        is_leader = np.zeros(len(nodes), dtype=bool)
        citizen = ~is_government
        is_leader[citizen] = graph.is_leader[nodes[citizen]]
        return cls(
            nodes=nodes,
            edges=edges,
            positions=positions,
            n_citizens=graph.n_citizens,
            is_government=is_government,
            is_leader=is_leader,
            followers=graph.follower_counts[nodes],
            account=account,
            account_labels=account_labels(model),
        )

    @property
    def citizen_nodes(self) -> np.ndarray:
        """The sampled nodes that are citizens (the government account left out)."""
        return self.nodes[~self.is_government]

    def state(self, model: GovernmentResponseModel) -> dict[str, np.ndarray]:
        """Current trust and waiting complaints of the sampled citizens (citizen order)."""
        citizens = self.citizen_nodes
        waiting = np.zeros(model.graph.n_citizens, dtype=bool)
        authors = model.items.view("author")[waiting_mask(model, COMPLAINT)]
        waiting[authors[authors >= 0]] = True
        return {"trust": model.population.trust[citizens].copy(), "waiting": waiting[citizens]}

    def draw(
        self, ax: Axes, state: dict[str, np.ndarray], title: str | None = None
    ) -> NetworkDrawing:
        """Draw the sample on `ax`: edges, citizens coloured by trust, marks and outlines.

        Returns the drawing, whose `update(state)` recolours it for a later state.
        """
        from matplotlib import patheffects
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        figure = ax.get_figure(root=True)
        assert isinstance(figure, Figure), "the axes must be in a figure"
        pos = self.positions
        if len(self.edges):
            segments = pos[self.edges]
            source = self.account[self.edges[:, 0]]  # the account followed (-1: a citizen)
            ax.add_collection(
                LineCollection(segments[source < 0], colors="0.6", linewidths=0.4, alpha=0.35)
            )
            for k in np.unique(source[source >= 0]).tolist():
                ax.add_collection(
                    LineCollection(
                        segments[source == k],
                        colors=_account_colour(k),
                        linewidths=0.4,
                        alpha=0.25,
                    )
                )
        citizen = ~self.is_government
        xy = pos[citizen]
        leader = self.is_leader[citizen]
        # marker areas [pt²] for the default width; a narrower figure gets smaller markers
        scale = (figure.get_figwidth() / FIGURE_WIDTH) ** 2
        size = scale * (8 + 5 * np.log1p(self.followers[citizen]))
        common: dict[str, Any] = {"cmap": TRUST_CMAP, "vmin": 0.0, "vmax": 1.0, "zorder": 3}
        plain = ~leader
        plain_nodes = ax.scatter(
            xy[plain, 0],
            xy[plain, 1],
            s=size[plain],
            c=state["trust"][plain],
            **common,
            edgecolors="0.3",
            linewidths=0.3,
        )
        leader_nodes = ax.scatter(
            xy[leader, 0],
            xy[leader, 1],
            s=size[leader] * 1.5,
            c=state["trust"][leader],
            marker="D",
            **common,
            edgecolors="black",
            linewidths=1.0,
            label="opinion leader",
        )
        waiting = ax.scatter(
            [],
            [],
            facecolors="none",
            edgecolors="crimson",
            linewidths=1.8,
            zorder=4,
            label="complaint waiting for a reply",
        )
        accounts = []
        several = len(self.account_labels) > 1
        rows = {True: 0, False: 0}  # names placed so far above and below the markers
        for k, label in enumerate(self.account_labels):
            where = pos[self.account == k]
            marker = ACCOUNT_MARKERS[k % len(ACCOUNT_MARKERS)]
            accounts.append(
                ax.scatter(
                    where[:, 0],
                    where[:, 1],
                    s=scale * (420 if marker == "*" else 260),
                    marker=marker,
                    color=_account_colour(k),
                    edgecolors="white",
                    linewidths=1.0,
                    zorder=5,
                    label=label,
                )
            )
            if several and len(where):  # name each account above or below its marker
                above = np.sin(_account_angle(k, len(self.account_labels))) >= 0.0
                row = rows[above]  # names on the same side go one under the other
                rows[above] += 1
                ax.annotate(
                    label,
                    where[0],
                    xytext=(0, 10 + 12 * row if above else -10 - 12 * row),
                    textcoords="offset points",
                    ha="center",  # centred: a name near the figure's edge stays in it
                    va="bottom" if above else "top",
                    fontsize=LEGEND_PT,
                    color=_account_colour(k),
                    fontweight="bold",
                    zorder=6,
                    path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
                )
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        # the legend's ring, drawn before any complaint waits
        waiting.set_sizes([scale * 90])
        # below the drawing rather than over its nodes
        figure.legend(
            handles=[leader_nodes, waiting, *accounts],
            loc="outside lower center",
            ncols=2,
            fontsize=LEGEND_PT,
            frameon=False,
            markerscale=0.8,
            columnspacing=1.0,
            handletextpad=0.3,
        )
        if title is None:
            shown = len(self.nodes) - 1
            title = (
                f"Follower network: {shown:,} of {self.n_citizens:,} citizens"
                if shown < self.n_citizens
                else f"Follower network: all {self.n_citizens:,} citizens"
            )
        ax.set_title(title, fontsize=TITLE_PT)
        colorbar = figure.colorbar(plain_nodes, ax=ax, shrink=0.6, pad=0.01)
        colorbar.set_label("trust in government", fontsize=LABEL_PT)
        colorbar.ax.tick_params(labelsize=TICK_PT)
        drawing = NetworkDrawing(
            figure=figure,
            positions=xy,
            sizes=size,
            ring=scale * 60,
            leader=leader,
            plain_nodes=plain_nodes,
            leader_nodes=leader_nodes,
            waiting=waiting,
            accounts=accounts,
        )
        drawing.update(state)
        return drawing

    def drawing(
        self,
        state: GovernmentResponseModel | dict,
        title: str | None = None,
        figsize: tuple[float, float] = (6.4, 5.6),
    ) -> NetworkDrawing:
        """A new figure of the sample, kept for recolouring (`drawing.update(state)`).

        Pass the model (drawn as it stands now) or a `state(model)` taken earlier.
        """
        from matplotlib.figure import Figure

        if not isinstance(state, dict):
            state = self.state(state)
        fig = Figure(figsize=figsize, layout="constrained")
        return self.draw(fig.add_subplot(), state, title)

    def figure(self, state: GovernmentResponseModel | dict, title: str | None = None) -> Figure:
        """A new matplotlib Figure of the sample.

        Pass the model (drawn as it stands now) or a `state(model)` taken earlier.
        """
        return self.drawing(state, title).figure


@dataclass
class NetworkDrawing:
    """A drawn network sample; `update(state)` recolours the citizens and the rings."""

    figure: Figure
    positions: np.ndarray  # citizens' positions (citizen order)
    sizes: np.ndarray  # citizens' marker areas [pt²]
    ring: float  # a ring's area beyond its citizen's marker [pt²]
    leader: np.ndarray  # bool per citizen
    plain_nodes: PathCollection
    leader_nodes: PathCollection
    waiting: PathCollection  # red rings around citizens whose complaint waits
    accounts: list[PathCollection]  # each government account's marker, in order

    @property
    def moving(self) -> list[PathCollection]:
        """The artists a new state changes (and the accounts' markers drawn over them)."""
        return [self.plain_nodes, self.leader_nodes, self.waiting, *self.accounts]

    def update(self, state: dict[str, np.ndarray]) -> None:
        """Colour the citizens by `state["trust"]`; ring those in `state["waiting"]`."""
        trust, waiting = state["trust"], state["waiting"]
        self.plain_nodes.set_array(trust[~self.leader])
        self.leader_nodes.set_array(trust[self.leader])
        self.waiting.set_offsets(self.positions[waiting].reshape(-1, 2))
        self.waiting.set_sizes(self.sizes[waiting] * (1.0 + 0.5 * self.leader[waiting]) + self.ring)


def account_labels(model: GovernmentResponseModel) -> tuple[str, ...]:
    """How the network view names each account: by name and platform if declared."""
    if not model.scenario.accounts:
        return ("government account",)
    return tuple(f"{plan.name} ({plan.platform.name})" for plan in model.plans)


def _account_colour(account: int) -> str:
    return ACCOUNT_COLOURS[account % len(ACCOUNT_COLOURS)]


def _account_angle(account: int, accounts: int) -> float:
    """Where an account sits on the ring of accounts [radians]: the first at the top."""
    return float(np.pi / 2 + 2 * np.pi * account / accounts)


def _spread_accounts(positions: np.ndarray, account: np.ndarray) -> None:
    """Put several accounts apart, on a small ring around the citizens' centre.

    Each account is followed by much of the sample, so a spring layout puts them all at
    the centre, on top of one another; one account keeps its place.
    """
    nodes = np.flatnonzero(account >= 0)
    if len(nodes) < 2:
        return
    citizens = positions[account < 0]
    centre = citizens.mean(axis=0) if len(citizens) else np.zeros(2)
    extent = float(np.abs(citizens - centre).max()) if len(citizens) else 1.0
    for node in nodes.tolist():
        angle = _account_angle(int(account[node]), len(nodes))
        positions[node] = centre + 0.3 * extent * np.array([np.cos(angle), np.sin(angle)])
