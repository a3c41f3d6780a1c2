"""The validation report's figures: model against theory, stylised facts, remedies.

`draw_figures` draws every figure (PNG, dpi 100) from the checks and the data they
kept; matplotlib and seaborn are imported only when drawing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from simulation.codes import HOURS_PER_DAY
from simulation.format import readable
from simulation.safe_write import OutputDir
from simulation.validation.checks import Check, Plan, Stats
from simulation.validation.theory import (
    configuration_model_giant_share,
    erlang_c,
    giant_component_share,
)


def draw_figures(plan: Plan, checks: list[Check], data: dict, out: Path) -> dict[str, Path]:
    """Draw every figure (PNG, dpi 100) into `out`; returns name → path."""
    import matplotlib

    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg", force=False)
    import seaborn as sns
    from matplotlib.figure import Figure

    palette = sns.color_palette("colorblind")
    paths: dict[str, Path] = {}

    def save(fig: Figure, name: str) -> None:
        fig.tight_layout()
        paths[name] = OutputDir(out).save_figure(name, fig, dpi=100)

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        # ---- Erlang C grid
        grid = data["queueing_checks"]["erlang_grid"]
        mu = plan.erlang_c_service_rate
        fig = Figure(figsize=(9, 3.6))
        axes = fig.subplots(1, 2)
        rhos = np.linspace(0.3, 0.9, 61)
        for colour, c in zip(palette, plan.erlang_c_servers, strict=False):
            theory = np.array([erlang_c(c, r * c * mu, mu) for r in rhos])
            for ax, column in zip(axes, (0, 1), strict=True):
                ax.plot(rhos, theory[:, column], color=colour, lw=1.2, label=f"theory, c = {c}")
            for cell in (g for g in grid if g[0] == c):
                for ax, check in zip(axes, (cell[4], cell[5]), strict=True):
                    ax.errorbar(
                        cell[1],
                        check.value,
                        yerr=_yerr(check),
                        fmt="o",
                        color=colour,
                        ms=4,
                        capsize=2,
                    )
        axes[0].set(xlabel="utilisation ρ", ylabel="P(wait)", title="Probability of waiting")
        axes[1].set(
            xlabel="utilisation ρ",
            ylabel="mean wait [hours]",
            title=f"Mean wait (μ = {readable(mu)}/h)",
            yscale="log",
        )
        axes[0].legend(fontsize=8, title="dots: model, 95 % CI", title_fontsize=8)
        save(fig, "erlang_c.png")

        # ---- office hours
        curve, samples, hours = data["queueing_checks"]["office"]
        per_hour = [Stats.of(samples[:, h]) for h in range(HOURS_PER_DAY)]
        fig = Figure(figsize=(7, 3.6))
        ax = fig.subplots()
        x = np.arange(HOURS_PER_DAY + 1)
        ax.axvspan(hours[0], hours[1], color="0.92", label="office hours")
        ax.plot(x, np.append(curve, curve[0]), color="black", lw=1.5, label="Markov chain (exact)")
        mean = np.array([s.mean for s in per_hour])
        low = np.array([s.low for s in per_hour])
        high = np.array([s.high for s in per_hour])
        ax.plot(x, np.append(mean, mean[0]), "o", color=palette[0], ms=4, label="model")
        ax.fill_between(
            x,
            np.append(low, low[0]),
            np.append(high, high[0]),
            color=palette[0],
            alpha=0.25,
            label="model, 95 % CI",
        )
        ax.set(
            xlabel="hour of day",
            ylabel="mean backlog [items]",
            xticks=range(0, 25, 3),
            xlim=(0, 24),
            title="Office-hours queue: c = 2, λ = 1/h all day, μ = 2/h, open 09–17",
        )
        ax.legend(fontsize=8)
        save(fig, "office_hours_backlog.png")

        # ---- Erdős–Rényi percolation
        er = data["diffusion_checks"]["er"]
        k = plan.er_mean_degree
        fig = Figure(figsize=(9, 3.6))
        axes = fig.subplots(1, 2)
        kts = np.linspace(0.3, max(plan.er_kt) * 1.05, 200)
        axes[0].plot(
            kts, [giant_component_share(k, x / k) for x in kts], color="black", label="theory S"
        )
        for kt, runs in er:
            share = Stats.of([r["large_share"] for r in runs])
            size = Stats.of([r["large_size"] for r in runs])
            axes[0].errorbar(kt, share.mean, yerr=_yerr(share), fmt="o", color=palette[0], ms=4)
            if size.n:
                axes[0].errorbar(
                    kt, size.mean, yerr=_yerr(size), fmt="s", color=palette[1], ms=4, mfc="none"
                )
        axes[0].plot([], [], "o", color=palette[0], label="P(rumour becomes large)")
        axes[0].plot([], [], "s", color=palette[1], mfc="none", label="size of large / N")
        axes[0].axvline(1.0, color="0.6", ls=":", lw=1)
        axes[0].set(
            xlabel="k·T",
            ylabel="share",
            title=f"Large rumours (> {plan.large_share:.0%} of N), N = {plan.er_citizens}",
        )
        axes[0].legend(fontsize=8)
        sub = np.linspace(0.3, 0.97, 100)
        axes[1].plot(sub, 1 / (1 - sub), color="black", label="1 / (1 − kT)")
        for kt, runs in er:
            if kt <= 1.0:
                s = Stats.of([r["mean_size"] for r in runs])
                axes[1].errorbar(kt, s.mean, yerr=_yerr(s), fmt="o", color=palette[0], ms=4)
        axes[1].plot([], [], "o", color=palette[0], label="model (95 % CI)")
        axes[1].set(
            xlabel="k·T",
            ylabel="mean rumour size [accounts]",
            yscale="log",
            title="Below and at threshold",
        )
        plain_log_ticks(axes[1].yaxis)
        axes[1].legend(fontsize=8)
        save(fig, "percolation_er.png")

        # ---- configuration model
        cm = data["diffusion_checks"]["cm"]
        degrees = np.concatenate(data["diffusion_checks"]["cm_degrees"])
        fig = Figure(figsize=(9, 3.6))
        axes = fig.subplots(1, 2)
        values, counts = np.unique(degrees, return_counts=True)
        axes[0].loglog(values, counts / counts.sum(), "o", ms=3, color=palette[0])
        axes[0].set(
            xlabel="degree k",
            ylabel="share of nodes",
            title=f"Degree distribution (p_k ∝ k^−{readable(plan.cm_exponent)}, erased)",
        )
        plain_log_ticks(axes[0].xaxis)
        ts = np.linspace(0.01, 1.0, 120)
        one = data["diffusion_checks"]["cm_degrees"][0]
        axes[1].plot(
            ts,
            [configuration_model_giant_share(one, t) for t in ts],
            color="black",
            label="generating functions",
        )
        axes[1].plot(
            ts,
            [giant_component_share(float(one.mean()), t) for t in ts],
            color="0.5",
            ls="--",
            lw=1,
            label="ER, same mean degree",
        )
        for T, runs, _ in cm:
            share = Stats.of([r["large_share"] for r in runs])
            size = Stats.of([r["large_size"] for r in runs])
            axes[1].errorbar(T, share.mean, yerr=_yerr(share), fmt="o", color=palette[0], ms=4)
            axes[1].errorbar(
                T, size.mean, yerr=_yerr(size), fmt="s", color=palette[1], ms=4, mfc="none"
            )
        axes[1].plot([], [], "o", color=palette[0], label="P(rumour becomes large)")
        axes[1].plot([], [], "s", color=palette[1], mfc="none", label="size of large / N")
        axes[1].set(xlabel="transmissibility T", ylabel="share", title="Bond percolation")
        axes[1].legend(fontsize=8)
        save(fig, "percolation_configuration.png")

        # ---- posting concentration
        scen = data["scenario_checks"]
        fig = Figure(figsize=(5.5, 3.8))
        ax = fig.subplots()
        for i, (posts, activity) in enumerate(zip(scen["posts"], scen["activity"], strict=True)):
            for series, colour, label in (
                (posts, palette[0], "public posts (realised)"),
                (activity, palette[2], "posting propensity (activity)"),
            ):
                ordered = np.sort(series.astype(float))[::-1]
                share = np.cumsum(ordered) / ordered.sum()
                people = np.arange(1, len(ordered) + 1) / len(ordered)
                keep = np.unique(np.geomspace(1, len(ordered), 200).astype(int)) - 1
                ax.plot(
                    people[keep],
                    share[keep],
                    color=colour,
                    lw=0.8,
                    alpha=0.6,
                    label=label if i == 0 else None,
                )
        ordered = np.sort(scen["null_posts"][0].astype(float))[::-1]
        share = np.cumsum(ordered) / ordered.sum()
        keep = np.unique(np.geomspace(1, len(ordered), 200).astype(int)) - 1
        ax.plot(
            (keep + 1) / len(ordered),
            share[keep],
            color="0.4",
            ls="--",
            lw=1,
            label="same posts, equal activity (one seed)",
        )
        ax.plot([0.05], [0.80], "k*", ms=10, label="Fu & Chau 2013: 5 % write 80 %")
        ax.axvline(0.05, color="0.6", ls=":", lw=1)
        ax.set(
            xscale="log",
            xlabel="top share of citizens",
            ylabel="share of posts",
            ylim=(0, 1.02),
            title="Who writes the posts (baseline, one line per seed)",
        )
        ax.legend(fontsize=8)
        save(fig, "posting_concentration.png")

        # ---- cascade sizes
        fig = Figure(figsize=(5.5, 3.8))
        ax = fig.subplots()
        for i, sizes in enumerate(scen["cascades"]):
            values = np.sort(sizes)
            ccdf = 1.0 - np.arange(len(values)) / len(values)
            ax.step(
                values,
                ccdf,
                where="post",
                color=palette[0],
                lw=0.8,
                alpha=0.7,
                label="one seed" if i == 0 else None,
            )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="cascade size s [accounts]",
            ylabel="P(size ≥ s)",
            title="Citizens' post cascades (baseline)",
        )
        plain_log_ticks(ax.xaxis)
        ax.legend(fontsize=8)
        save(fig, "cascade_sizes.png")

        # ---- directional forest
        rows = [c for c in checks if c.figure == "directional.png"]
        fig = Figure(figsize=(9, 0.45 * len(rows) + 1.2))
        ax = fig.subplots()
        for y, check in enumerate(rows):
            reference = check.reference
            scale = abs(reference) if reference else 1.0
            colour = palette[2] if check.passed else palette[3]
            value = (check.value or 0.0) / scale * 100
            err = None
            if check.ci_low is not None and check.ci_high is not None:
                err = [
                    [value - check.ci_low / scale * 100],
                    [check.ci_high / scale * 100 - value],
                ]
            ax.errorbar(value, y, xerr=err, fmt="o", color=colour, ms=5, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([_short(c) for c in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set(
            xlabel="paired difference, % of the reference mean (95 % CI)",
            title="Remedies vs their reference (green: the expected way)",
        )
        save(fig, "directional.png")
    return paths


def plain_log_ticks(axis) -> None:
    """A log axis of counts labelled 1, 10, 100 (and 2, 30 between), not 10¹ or 3×10¹."""
    from matplotlib.ticker import LogFormatter

    class PlainLog(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return readable(x, 3) if super().__call__(x, pos) else ""

    axis.set_major_formatter(PlainLog())
    axis.set_minor_formatter(PlainLog())


def _yerr(item) -> list[list[float]] | None:
    low = getattr(item, "ci_low", getattr(item, "low", None))
    high = getattr(item, "ci_high", getattr(item, "high", None))
    value = getattr(item, "value", getattr(item, "mean", None))
    if low is None or high is None or value is None or not math.isfinite(low):
        return None
    return [[value - low], [high - value]]


def _short(check: Check) -> str:
    head, _, tail = check.title.rpartition(": ")
    return tail if head else check.title
