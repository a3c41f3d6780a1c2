"""Reports of explorations and scenario discovery: printed tables, files and figures.

`ExplorationReport` takes an exploration's outcomes and prints and writes its robustness
(`simulation.experiment.robustness`): regret per policy with its noise, satisficing
shares, and the regret figure. `DiscoveryReport` does the same for the boxes of
`simulation.experiment.discovery`. Values are written in each metric's unit
(`simulation.format`); a file that cannot be written is a `ScenarioError` naming the
folder (as in `simulation.experiment.reports`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from simulation.experiment.reports import _save, write_frame, write_text
from simulation.format import is_missing, metric_difference, metric_unit, metric_value, percent


def amount(metric: str, value: float) -> str:
    """A size of a difference in the metric's unit, unsigned (regret, margins, SEs)."""
    return metric_difference(metric, value).lstrip("+")


def _with_interval(metric: str, value: float, low: float, high: float) -> str:
    """`30.4 [19.9, 44.4] pp`: a size and its interval, the unit written once."""
    text = amount(metric, value)
    if is_missing(low) or is_missing(high):
        return text
    if metric_unit(metric) == "share":
        return f"{text.removesuffix(' pp')} [{100 * low:.1f}, {100 * high:.1f}] pp"
    return f"{text} [{amount(metric, low)}, {amount(metric, high)}]"


def _share(value: float, low: float, high: float) -> str:
    """`83% [44–97%]`: a share and its interval."""
    if is_missing(value):
        return ""
    text = percent(value, 0)
    if not (is_missing(low) or is_missing(high)):
        text += f" [{100 * low:.0f}–{percent(high, 0)}]"
    return text


# --------------------------------------------------------------------------- exploration


class ExplorationReport:
    """An exploration's robustness: tables printed and written, and the regret figure.

    Parameters:
        exploration: the `explore.Exploration` that ran.
        policies: the policies' names in order; baseline: the baseline's name.
        outcomes: one row per run (`explore.read_outcomes`).
    """

    def __init__(self, exploration, policies: list[str], baseline: str, outcomes: pd.DataFrame):
        from simulation.experiment import robustness

        self.exploration = exploration
        self.policies = policies
        self.baseline = baseline
        self.outcomes = outcomes
        directions, thresholds = exploration.directions, exploration.thresholds
        self.regret = robustness.regret_table(outcomes, directions, thresholds, order=policies)
        self.robustness = robustness.robustness(self.regret, directions, thresholds)
        self.joint = (
            robustness.joint_satisficing(self.regret) if len(thresholds) > 1 else pd.DataFrame()
        )

    @property
    def failed(self) -> int:
        """Runs that raised (kept with their error, left out of every table)."""
        return int(self.outcomes["error"].notna().sum())

    def header(self) -> str:
        """What ran, in one sentence."""
        e = self.exploration
        states = self.outcomes["state"].nunique()
        reps = e.replications
        seeds = f"seeds {e.seed}–{e.seed + reps - 1}" if reps > 1 else f"seed {e.seed}"
        return (
            f"{len(self.policies)} policies × {states} states of the world × {reps} "
            f"replication{'s' * (reps != 1)} ({seeds}, common to every policy in a state) "
            f"= {len(self.outcomes)} runs"
        )

    COLUMNS = (
        "outcome",
        "policy",
        "mean",
        "regret [95% CI]",
        "p90",
        "max",
        "noise",
        "best in",
        "meets threshold [95% CI]",
    )
    PRINTED = (
        "outcome",
        "policy",
        "mean",
        "regret [95% CI]",
        "max",
        "noise",
        "best in",
        "meets threshold [95% CI]",
    )  # the terminal's 120 columns leave out p90

    def table(self) -> Table:
        """The robustness table: per outcome and policy (p90 regret only in the files)."""
        result = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        keep = [self.COLUMNS.index(name) for name in self.PRINTED]
        for name in self.PRINTED:
            left = name in ("outcome", "policy")
            result.add_column(name, justify="left" if left else "right", no_wrap=not left)
        for cells in self._cells():
            result.add_row(*(cells[i] for i in keep))
        return result

    def _cells(self) -> list[list[str]]:
        rows = []
        previous = None
        for row in self.robustness.itertuples(index=False):
            metric = row.outcome
            label = f"{metric} {'↑' if row.direction == 'maximise' else '↓'}"
            meets = ""
            if not is_missing(row.threshold):
                sign = "≥" if row.direction == "maximise" else "≤"
                meets = f"{sign} {metric_value(metric, row.threshold)}: " + _share(
                    row.satisficing_share, row.satisficing_ci_low, row.satisficing_ci_high
                )
            policy = row.policy + (" (baseline)" if row.policy == self.baseline else "")
            rows.append(
                [
                    label if metric != previous else "",
                    policy,
                    metric_value(metric, row.mean_value),
                    _with_interval(metric, row.mean_regret, row.regret_ci_low, row.regret_ci_high),
                    amount(metric, row.p90_regret),
                    amount(metric, row.max_regret),
                    amount(metric, row.replication_se),
                    percent(row.best_share, 0),
                    meets,
                ]
            )
            previous = metric
        return rows

    READING = (
        "↑ maximised, ↓ minimised. Regret: in each state, how far a policy's mean falls short of the best policy's "
        "mean there (in the outcome's better direction); 0 for the best. Mean regret over "
        "the states, its 95% bootstrap CI over states, its 90th percentile (p90) and "
        "maximum. Noise: the root mean square over states of the standard error of one state's "
        "regret (paired by replication); with two close policies a mean regret of about "
        "0.4 × that is noise alone. Best in: share of states where the policy is best. "
        "Meets threshold (satisficing): share of states where the policy's mean meets the "
        "outcome's threshold, with its Wilson 95% CI."
    )

    def print(self, out: Console) -> None:
        """Print the header, the robustness table, how to read it and any failed runs."""
        out.print(self.header(), markup=False)
        out.print(self.table())
        out.print(self.READING, style="dim")
        if not self.joint.empty:
            for row in self.joint.itertuples(index=False):
                out.print(
                    f"{row.policy}: meets all {row.outcomes} thresholds in "
                    f"{_share(row.satisficing_share, row.satisficing_ci_low, row.satisficing_ci_high)}"
                    f" of {row.states} states",
                    markup=False,
                )
        if self.failed:
            out.print(
                f"{self.failed} run(s) failed: see the 'error' column of outcomes", style="yellow"
            )

    def markdown(self) -> str:
        """The report as Markdown: the question, the design, the table and how to read it."""
        e = self.exploration
        lines = [f"# Exploration: {e.name}", ""]
        if e.description:
            lines += [e.description, ""]
        lines += [self.header() + ".", ""]
        lines.append(f"**Policies:** {', '.join(self.policies)}; baseline `{self.baseline}`.")
        lines.append("")
        lines.append(
            f"**Uncertainties** (a Latin hypercube of {e.states} states, seed {e.state_seed}):"
        )
        lines.append("")
        lines += [f"- `{key}`: {u.describe()}" for key, u in e.uncertainties.items()]
        lines.append("")
        if e.overrides or e.days:
            fixed = [f"`{k}` = {v}" for k, v in e.overrides.items()]
            if e.days:
                fixed.append(f"{e.days} days")
            lines += [f"**Fixed:** {', '.join(fixed)}.", ""]
        lines += ["## Robustness", ""]
        header = list(self.COLUMNS)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---|---|" + "---:|" * (len(header) - 2))
        for cells in self._cells():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines += ["", self.READING]
        if not self.joint.empty:
            lines.append("")
            for row in self.joint.itertuples(index=False):
                share = _share(
                    row.satisficing_share, row.satisficing_ci_low, row.satisficing_ci_high
                )
                lines.append(
                    f"- `{row.policy}` meets all {row.outcomes} thresholds in {share} of "
                    f"{row.states} states."
                )
        if self.failed:
            lines += ["", f"{self.failed} run(s) failed; they are left out (see outcomes)."]
        lines += ["", "![Regret per policy](regret.png)", ""]
        return "\n".join(lines)

    def write(self, out_dir: Path, fmt: str, figures: bool) -> list[str]:
        """Write outcomes, regret, robustness (and satisficing), report.md and the figure."""
        written = [
            write_frame(self.outcomes, out_dir, "outcomes", fmt),
            write_frame(self.regret, out_dir, "regret", fmt),
            write_frame(self.robustness, out_dir, "robustness", fmt),
        ]
        if not self.joint.empty:
            written.append(write_frame(self.joint, out_dir, "satisficing", fmt))
        write_text(out_dir / "report.md", self.markdown())
        written.append("report.md")
        if figures:
            from simulation.experiment import plots

            fig = plots.regret(self.regret, list(self.exploration.outcomes), order=self.policies)
            written.append(_save(fig, out_dir / "regret.png"))
        return written


# --------------------------------------------------------------------------- discovery


class DiscoveryReport:
    """The boxes of a scenario discovery, printed and written with their figures.

    Parameters:
        discovery: the `discovery.Discovery` found.
        cases: `discovery.cases_of_interest`'s table.
        uncertainties: the uncertainty columns.
        policy, baseline, outcome, direction, margin: the question asked.
    """

    def __init__(
        self,
        discovery,
        cases: pd.DataFrame,
        uncertainties: list[str],
        *,
        policy: str,
        baseline: str,
        outcome: str,
        direction: str,
        margin: float,
    ):
        self.discovery = discovery
        self.cases = cases
        self.uncertainties = uncertainties
        self.policy, self.baseline, self.outcome = policy, baseline, outcome
        self.direction, self.margin = direction, margin

    @property
    def stem(self) -> str:
        """File names' common start: discovery-<method>."""
        return f"discovery-{self.discovery.method}"

    def question(self) -> str:
        """The question, and how many states answer it."""
        better = "more" if self.direction == "maximise" else "less"
        n, k = self.discovery.states, self.discovery.cases
        margin = amount(self.outcome, self.margin)
        return (
            f"Where does '{self.policy}' fail to beat '{self.baseline}' by {margin} on "
            f"{self.outcome} ({better} is better)? In {k} of {n} states "
            f"({percent(k / n if n else math.nan, 0)}) its improvement, the mean of "
            "differences paired by replication, falls short."
        )

    def box_rows(self, number: int) -> tuple[str, list[list[str]]]:
        """A box's summary line and one row per restricted uncertainty."""
        found = self.discovery.boxes[number - 1]
        line = (
            f"Box {number} ({self.discovery.method.upper()}): coverage {percent(found.coverage, 0)} "
            f"(of the {self.discovery.cases} cases), density {percent(found.density, 0)} "
            f"({found.cases} of the {found.states} states inside are cases), mass "
            f"{percent(found.mass, 0)}"
        )
        rows = []
        for limit in found.limits.itertuples(index=False):
            quasi = [q for q in (limit.qp_low, limit.qp_high) if not is_missing(q)]
            rows.append(
                [
                    limit.uncertainty,
                    f"{limit.low:.4g} to {limit.high:.4g}",
                    f"{limit.min:.4g} to {limit.max:.4g}",
                    ", ".join(f"{q:.2g}" for q in quasi),
                ]
            )
        return line, rows

    HEADER = ["uncertainty", "box", "sampled", "quasi-p"]

    def print(self, out: Console) -> None:
        """Print the question, each box with its limits, and the notes."""
        out.print(self.question(), markup=False)
        for number in range(1, len(self.discovery.boxes) + 1):
            line, rows = self.box_rows(number)
            out.print(line, markup=False)
            table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
            for name in self.HEADER:
                table.add_column(name, justify="left" if name == "uncertainty" else "right")
            for row in rows or [["(no restriction)", "", "", ""]]:
                table.add_row(*row)
            out.print(table)
        for note in self.discovery.notes:
            out.print(f"Note: {note}", style="yellow", markup=False)
        out.print(
            "Coverage: share of all cases of interest inside the box; density: share of the "
            "box's states that are cases; quasi-p: one-sided binomial test of each "
            "restriction (small: the restriction matters). Measured on the states the box "
            "was found on, so they flatter it.",
            style="dim",
        )

    def markdown(self) -> str:
        """The discovery as Markdown."""
        lines = [f"# Scenario discovery ({self.discovery.method.upper()})", "", self.question(), ""]
        for number in range(1, len(self.discovery.boxes) + 1):
            line, rows = self.box_rows(number)
            lines += [line + ".", ""]
            lines.append("| " + " | ".join(self.HEADER) + " |")
            lines.append("|---|---:|---:|---:|")
            for row in rows or [["(no restriction)", "", "", ""]]:
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
        lines += [f"*Note:* {note}" for note in self.discovery.notes]
        lines += [
            "",
            f"![Coverage against density]({self.stem}-tradeoff.png)",
            "",
            *(
                f"![Box {n}]({self.stem}-box{n}.png)"
                for n in range(1, len(self.discovery.boxes) + 1)
            ),
            "",
        ]
        return "\n".join(lines)

    def write(self, out_dir: Path, fmt: str, figures: bool) -> list[str]:
        """Write cases, boxes, trajectory, the Markdown and the figures; returns file names."""
        written = [
            write_frame(self.cases, out_dir, "cases", fmt),
            write_frame(self.discovery.boxes_table(), out_dir, self.stem, fmt),
            write_frame(self.discovery.trajectory, out_dir, f"{self.stem}-trajectory", fmt),
        ]
        write_text(out_dir / f"{self.stem}.md", self.markdown())
        written.append(f"{self.stem}.md")
        if figures:
            from simulation.experiment import plots

            title = f"{self.policy} against {self.baseline}: {self.outcome}"
            written.append(
                _save(
                    plots.tradeoff(
                        self.discovery, title=f"{self.discovery.method.upper()}: {title}"
                    ),
                    out_dir / f"{self.stem}-tradeoff.png",
                )
            )
            better = "+" if self.direction == "maximise" else "−"
            for number in range(1, len(self.discovery.boxes) + 1):
                fig = plots.box_limits(
                    self.discovery,
                    self.cases,
                    self.uncertainties,
                    box=number,
                    title=f"Where {self.policy} gains less than {better}"
                    f"{amount(self.outcome, self.margin)} {self.outcome} over {self.baseline}",
                )
                written.append(_save(fig, out_dir / f"{self.stem}-box{number}.png"))
        return written


def unit_note(metric: str) -> str:
    """How a margin is read for this metric ('0.10 = 10 percentage points' for shares)."""
    if metric_unit(metric) == "share":
        return "a share: 0.10 is 10 percentage points"
    return f"in {metric_unit(metric)}"
