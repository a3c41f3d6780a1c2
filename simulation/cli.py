"""The `microgov` command: run, validate, show and list scenarios; run experiments.

    microgov run baseline --seed 3 --days 60 --set staffing.operators=4
    microgov validate scenarios/*.toml
    microgov show closed_loop --set accountability.rule=timeliness
    microgov list
    microgov compare baseline closed_loop --replications 10 --out out/cmp
    microgov sweep baseline --grid staffing.operators=1,2,4 --out out/ops [--resume]
    microgov analyze out/ops
    microgov experiment experiments/remedies.toml

A thin layer over the package: it loads scenarios (`load_scenario`), runs them
(`run_one`) and prints with rich. A scenario that cannot be used ends the command
with one message on stderr naming the file, the field path and what is allowed, and
exit code 2; nothing here prints a traceback for a bad scenario.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulation import __version__
from simulation.calibration.cli import add_calibrate_command
from simulation.format import (
    METRICS,
    metric_unit,
    metric_value,
)
from simulation.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenario_dir,
    load_scenario,
    resolve_scenario_path,
)
from simulation.validation.cli import add_validate_model_command
from simulation.viz.cli import add_viz_command

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

# Seconds of run time per citizen-day, measured on a 2-core machine (10,000 citizens for
# 30 days ≈ 1.2 s, 40,000 for 20 days ≈ 1.9 s); only decides whether to show progress.
SECONDS_PER_CITIZEN_DAY = 3e-6
PROGRESS_THRESHOLD_SECONDS = 2.0
NON_TERMINAL_WIDTH = 120
WIDE_LIST_WIDTH = 110  # terminal columns from which `list` has a column per setting

# Summary metrics by group, in the order they are printed. Metrics not listed here
# (added to the model later) appear under "other", so nothing is hidden.
METRIC_GROUPS: dict[str, tuple[str, ...]] = {
    "volume": (
        "needs",
        "received",
        "received_consultation",
        "received_request",
        "received_complaint",
        "received_suggestion",
        "received_via_mention",
        "received_via_private",
        "received_via_monitoring",
        "received_via_vent",
        "received_rumour",
        "received_via_rumour",
    ),
    "responsiveness": (
        "response_rate",
        "answered_within_deadline",
        "median_response_hours",
        "p90_response_hours",
        "referral_rate",
        "escalation_rate",
        "abandonment_rate",
        "open_at_end",
        "backlog_operators",
        "backlog_departments",
    ),
    "quality": (
        "resolution_rate",
        "one_sided_share",
        "boilerplate_share",
        "replies_substantive",
        "replies_partial",
        "replies_boilerplate",
    ),
    "citizens / trust": ("satisfaction", "mean_trust", "trust_sd", "trust_change"),
    "diffusion": (
        "impressions",
        "negative_impressions",
        "largest_cascade",
        "releases",
        "rumours",
        "rumours_clarified",
    ),
    "cost": ("staff_hours", "operator_utilisation", "department_utilisation", "appraisal_score"),
}

# Counts that are only ever non-zero when the account monitors public opinion.
HIDDEN_WHEN_ZERO = ("received_via_vent", "received_rumour", "received_via_rumour")


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microgov",
        description="Agent-based simulation of how government social-media accounts "
        "(micro-blog, WeChat) respond to the public.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
A SCENARIO is a .toml file or the name of a bundled scenario (microgov list).

examples:
  microgov list                                  what is bundled, and what each asks
  microgov run baseline                          the status quo, 30 days, seed 1
  microgov run closed_loop --seed 2 --days 60    a remedy, another seed, longer
  microgov run baseline --set staffing.operators=4 --out out/four-operators
  microgov show joint > my_joint.toml            a complete file to copy and edit
  microgov validate my_joint.toml
  microgov compare baseline closed_loop proactive --replications 10 --out out/remedies
  microgov sweep closed_loop --grid staffing.operators=1,2,4 --out out/ops
  microgov analyze out/ops                       summary and figures of results
  microgov experiment experiments/remedies.toml  a comparison or sweep declared in a file

Exit codes: 0 success, 2 a scenario or argument that cannot be used.
""",
    )
    parser.add_argument("--version", action="version", version=f"microgov {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    set_help = (
        "override one field by its dotted path, e.g. --set staffing.operators=4 "
        "--set accountability.rule=timeliness (repeatable; values are TOML: 6, 0.5, true, "
        "'text', [1, 2])"
    )

    run = sub.add_parser(
        "run",
        help="run one scenario and write its results",
        description="Run one scenario with one seed, print a summary table and write "
        "summary.json (provenance + summary metrics), daily.csv or daily.parquet (one row "
        "per day) and scenario.toml (the fully resolved scenario) to the output folder.",
        epilog="Note: --set mechanism.preset=… changes only the settings the scenario "
        "leaves to its preset; a mechanism setting the file writes itself is kept unless "
        "you --set it too.",
    )
    run.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    run.add_argument(
        "--seed", type=int, default=None, help="root random seed (default: the scenario's run.seed)"
    )
    run.add_argument(
        "--days", type=int, default=None, help="days to simulate (default: the scenario's run.days)"
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=set_help,
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: out/<scenario-name>-seed<N>)",
    )
    run.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="format of the daily series (default: csv)",
    )
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar and no summary table; print only where results were written",
    )
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Load and validate each file (including what it extends and its edge "
        "list); print OK with its name and hash, or the error. Exit code 0 if all are "
        "valid, 2 otherwise.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files or names")
    validate.set_defaults(handler=cmd_validate)

    show = sub.add_parser(
        "show",
        help="print the fully resolved scenario as TOML",
        description="Print the fully resolved scenario: every field after 'extends', --set "
        "overrides and the mechanism preset are applied. The output is itself a scenario "
        "file with the same hash.",
    )
    show.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    show.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=set_help
    )
    show.set_defaults(handler=cmd_show)

    listing = sub.add_parser(
        "list",
        help="list the bundled scenarios",
        description=f"List the bundled scenarios (in {bundled_scenario_dir()}) with what "
        "each asks, its mechanism, accountability rule and staffing.",
    )
    listing.set_defaults(handler=cmd_list)
    add_experiment_parsers(sub, set_help)
    add_calibrate_command(sub)
    add_validate_model_command(sub)
    add_viz_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `microgov` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Output that is not a terminal (a pipe, a file, a test) has no width to fit.
    out = Console(file=sys.stdout, highlight=False)
    if not out.is_terminal:
        out = Console(file=sys.stdout, highlight=False, width=NON_TERMINAL_WIDTH)
    err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    try:
        return args.handler(args, out)
    except ScenarioError as exc:
        err.print(f"microgov {args.command}: error: {exc}", markup=False)
        return EXIT_BAD_INPUT


# --------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace, out: Console) -> int:
    overrides = list(args.overrides)
    if args.days is not None:
        if args.days < 1:
            raise ScenarioError("--days", "run.days", f"must be at least 1 (got {args.days})")
        # An override, not just a run argument, so that the scenario hash covers it.
        overrides.append(f"run.days={args.days}")
    scenario = load_scenario(args.scenario, overrides=overrides)
    seed = scenario.run.seed if args.seed is None else args.seed
    if seed < 0:
        raise ScenarioError("--seed", "run.seed", f"must be 0 or more (got {seed})")
    days = scenario.run.days
    out_dir = args.out or Path("out") / f"{_safe(scenario.name)}-seed{seed}"

    try:  # fail before a long run, not after it
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError("--out", None, f"cannot create folder {out_dir}: {exc}") from None

    from simulation.runner import run_one  # loads Mesa and the model: only when running

    started = time.perf_counter()
    show_progress = (
        not args.quiet
        and out.is_terminal
        and estimate_seconds(scenario, days) > PROGRESS_THRESHOLD_SECONDS
    )
    if show_progress:
        result = _run_with_progress(scenario, seed, days, out)
    else:
        result = run_one(scenario, seed=seed)
    elapsed = time.perf_counter() - started

    try:
        paths = result.write(out_dir, series_format=args.format)
        scenario_path = Path(out_dir) / "scenario.toml"
        scenario_path.write_text(_resolved_toml(scenario, args.scenario), encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("--out", None, f"cannot write results to {out_dir}: {exc}") from None

    if not args.quiet:
        out.print(header_line(result.provenance), markup=False)
        out.print(summary_table(result.summary))
        out.print(f"ran in {elapsed:.1f} s", style="dim")
    written = ", ".join(p.name for p in (paths["summary"], paths["daily"], scenario_path))
    out.print(f"wrote {written} to {out_dir}", markup=False, soft_wrap=True)
    return EXIT_OK


def estimate_seconds(scenario: Scenario, days: int) -> float:
    """Rough run time [s] from citizens × days, to decide on a progress bar."""
    citizens = scenario.population.citizens
    if scenario.network.kind == "edge_list" and scenario.network.edge_list:
        try:  # about one citizen per line is a generous guess for a follower list
            with open(scenario.network.edge_list, "rb") as handle:
                citizens = sum(1 for _ in handle)
        except OSError:
            pass
    return citizens * days * SECONDS_PER_CITIZEN_DAY


def _run_with_progress(scenario: Scenario, seed: int, days: int, console: Console):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from simulation.runner import run_one

    total_hours = days * 24
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("day {task.fields[day]}/{task.fields[days]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(scenario.name, total=total_hours, day=0, days=days)

        def advance(hours_done: int) -> None:
            progress.update(task, completed=hours_done, day=hours_done // 24)

        return run_one(scenario, seed=seed, progress=advance)


def _safe(name: str) -> str:
    """A scenario name usable as a folder name."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned or "scenario"


def header_line(provenance: dict) -> str:
    return (
        f"{provenance['scenario']}  hash {provenance['scenario_hash']}  "
        f"seed {provenance['seed']}  {provenance['days']} days  "
        f"{provenance['citizens']:,} citizens  microgov {provenance['version']}"
    )


def summary_table(summary: dict[str, float]) -> Table:
    """The run's summary metrics grouped, each with its unit."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("unit", style="dim")
    listed = {name for names in METRIC_GROUPS.values() for name in names}
    groups = dict(METRIC_GROUPS)
    others = tuple(name for name in summary if name not in listed)
    if others:
        groups["other"] = others
    first = True
    for group, names in groups.items():
        present = [
            name
            for name in names
            if name in summary and not (name in HIDDEN_WHEN_ZERO and summary[name] == 0)
        ]
        if not present:
            continue
        if not first:
            table.add_row("", "", "")
        first = False
        table.add_row(f"[bold cyan]{group}[/]", "", "")
        for name in present:
            unit = metric_unit(name)
            table.add_row(f"  {name}", metric_value(name, summary[name], unit), unit)
    return table


# --------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    failures = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
            _check_edge_list(scenario)
        except ScenarioError as exc:
            failures += 1
            out.print(f"[bold red]ERROR[/] {escape(str(exc))}", soft_wrap=True)
            continue
        out.print(
            f"[bold green]OK[/]    {escape(name)}  {scenario.name}  {scenario.content_hash()}"
        )
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _check_edge_list(scenario: Scenario) -> None:
    """Read the edge list now, so a malformed file fails validation, not the run."""
    if scenario.network.kind == "edge_list" and scenario.network.edge_list:
        from simulation.network import load_edge_list

        load_edge_list(Path(scenario.network.edge_list), scenario.network.edge_list_direction)


# --------------------------------------------------------------------------- show


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    scenario = load_scenario(args.scenario, overrides=list(args.overrides))
    text = _resolved_toml(scenario, args.scenario, args.overrides)
    # Plain write: TOML must come out byte for byte, without markup or wrapping.
    out.file.write(text)
    out.file.flush()
    return EXIT_OK


def _resolved_toml(scenario: Scenario, source: str, overrides: Sequence[str] = ()) -> str:
    lines = [
        f"# Scenario '{scenario.name}' fully resolved by microgov {__version__}",
        f"# from {resolve_scenario_path(source)}",
    ]
    if overrides:
        lines.append("# with --set " + " --set ".join(overrides))
    lines.append(f"# hash {scenario.content_hash()}")
    return "\n".join(lines) + "\n\n" + scenario.to_toml()


# --------------------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    folder = bundled_scenario_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        out.print(f"no scenarios in {folder}", markup=False)
        return EXIT_OK
    wide = out.width >= WIDE_LIST_WIDTH  # else mechanism, appraisal and staff share a column
    table = Table(
        title=f"Bundled scenarios ({folder})", header_style="bold", box=box.SIMPLE_HEAD, expand=True
    )
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("purpose", ratio=1, min_width=20, overflow="fold")
    if wide:
        table.add_column("mechanism", no_wrap=True)
        table.add_column("accountability", no_wrap=True)
        table.add_column("operators × shifts", no_wrap=True)
    else:
        table.add_column("mechanism, appraisal, staff", no_wrap=True)
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            cells = [path.stem, f"[red]invalid: {escape(exc.message)}[/]"]
            table.add_row(*cells, *([""] * (len(table.columns) - 2)))
            continue
        acc = scenario.accountability
        staffing = scenario.staffing
        rule = acc.rule + (" (public)" if acc.rule != "none" and acc.public_disclosure else "")
        staff = f"{staffing.operators} × {staffing.shifts.replace('_', ' ')}"
        preset = scenario.mechanism.preset
        setup = [preset, rule, staff] if wide else [f"{preset}\n{rule}\n{staff}"]
        table.add_row(scenario.name, escape(scenario.description), *setup)
    out.print(table)
    return EXIT_OK


# --------------------------------------------------------------------------- experiments
# compare, sweep, analyze and experiment. Each builds (or reads) an Experiment
# (simulation/experiment/files.py), checks it completely, runs it with the engine
# (simulation/experiment/api.py) and writes tables and figures (simulation/experiment/reports.py). The
# engine, matplotlib/seaborn and dask are imported inside the commands, so that
# `microgov --version` and the quick commands stay fast.

STORE_MANIFEST = "manifest.json"  # a sweep's output folder is its store (experiment/store.py)
RECORD_FILE = "experiment.toml"  # what ran, as an experiment file (re-runnable)
CLI_SOURCE = "command line"


def add_experiment_parsers(sub, set_help: str) -> None:
    """The parsers of compare, sweep, analyze and experiment."""
    compare = sub.add_parser(
        "compare",
        help="compare scenarios over replications, against a baseline",
        description="Run each scenario with the same seeds (common random numbers), test "
        "each against the baseline (paired differences with confidence intervals, Holm-"
        "adjusted p-values), print the comparison table and write runs, daily series, "
        "the comparison table and figures (forest plot, distributions, daily trust and "
        "backlog) to the output folder.",
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="two or more .toml files or names"
    )
    compare.add_argument(
        "--baseline",
        metavar="NAME",
        default=None,
        help="scenario the others are compared with (default: the first)",
    )
    _add_run_options(compare, set_help, replications=10)
    compare.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: out/compare-<scenarios>)",
    )
    compare.set_defaults(handler=cmd_compare)

    sweep = sub.add_parser(
        "sweep",
        help="run one scenario over a design of parameter values",
        description="Run a scenario at every point of a design: a full grid (--grid), a "
        "Latin hypercube (--lhs … --samples N) or a Sobol sample (--sobol … --samples N), "
        "each point with --replications seeds. Results are stored in DIR as they finish, "
        "so an interrupted sweep continues with --resume. At the end a summary is "
        "printed and tables and figures written (see `microgov analyze`).",
        epilog="Keys are the dotted scenario keys of --set. Integer bounds "
        "(--lhs staffing.operators=1:6) give integer values.",
    )
    design = sweep.add_argument_group("design (one kind)")
    design.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,…",
        help="grid values of a key (repeatable): every combination runs",
    )
    design.add_argument(
        "--lhs",
        action="append",
        default=[],
        metavar="KEY=LO:HI",
        help="range of a key for a Latin hypercube sample (repeatable)",
    )
    design.add_argument(
        "--sobol",
        action="append",
        default=[],
        metavar="KEY=LO:HI",
        help="range of a key for Sobol sensitivity indices (repeatable); N × (D + 2) runs",
    )
    design.add_argument(
        "--samples",
        type=int,
        default=None,
        metavar="N",
        help="points of an --lhs design; base sample N of a --sobol design (a power of 2)",
    )
    design.add_argument(
        "--design-seed", type=int, default=0, metavar="S", help="seed of the sample (default 0)"
    )
    sweep.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    _add_run_options(sweep, set_help, replications=1)
    sweep.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder; holds the store"
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep stored in DIR: only runs not yet done are run",
    )
    sweep.set_defaults(handler=cmd_sweep)

    analyze = sub.add_parser(
        "analyze",
        help="summarise and plot the results in a folder",
        description="Load a finished sweep or comparison from DIR (written by compare, "
        "sweep or experiment), print a summary and write figures: heatmaps over two swept "
        "parameters, Sobol indices (table, sobol_indices.csv and a chart) for a Sobol "
        "sweep, distributions otherwise; for a comparison the comparison table, forest "
        "plot, distributions and daily series.",
    )
    analyze.add_argument("dir", type=Path, metavar="DIR", help="a folder of results")
    analyze.add_argument(
        "--metrics",
        default=None,
        metavar="M1,M2",
        help="metrics to summarise and plot (default: those of the experiment)",
    )
    analyze.add_argument("--no-figures", action="store_true", help="print only")
    analyze.set_defaults(handler=cmd_analyze)

    experiment = sub.add_parser(
        "experiment",
        help="run an experiment file (a declared comparison or sweep)",
        description="Run the comparison or sweep an experiment file declares and write "
        "its outputs (tables, figures, and experiment.toml, the file as it ran). The file "
        "is checked completely first. Bundled examples are in experiments/.",
    )
    experiment.add_argument("file", type=Path, metavar="FILE", help="an experiment .toml file")
    experiment.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (overrides the file)"
    )
    experiment.add_argument(
        "--jobs", type=int, default=None, metavar="J", help="local worker processes (overrides)"
    )
    experiment.add_argument(
        "--resume", action="store_true", help="continue a sweep stored in the output folder"
    )
    experiment.add_argument(
        "--check", action="store_true", help="check the file and print what would run; run nothing"
    )
    experiment.add_argument(
        "--no-figures", action="store_true", help="write tables only (overrides the file)"
    )
    experiment.add_argument("--quiet", "-q", action="store_true", help="no progress, no tables")
    experiment.set_defaults(handler=cmd_experiment)


def _add_run_options(parser, set_help: str, replications: int) -> None:
    parser.add_argument(
        "--replications",
        "-r",
        type=int,
        default=replications,
        metavar="R",
        help=f"runs per scenario or design point, on seeds S, S+1, … (default {replications})",
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="first seed (default 1)")
    parser.add_argument(
        "--days", type=int, default=None, help="days to simulate (default: the scenario's)"
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=set_help
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="J", help="local worker processes"
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786), or 'dask' for a local Dask cluster",
    )
    parser.add_argument(
        "--metrics",
        default=None,
        metavar="M1,M2",
        help="metrics to summarise, test and plot, e.g. response_rate,mean_trust (default: "
        "the headline metrics, simulation.experiment.HEADLINE_METRICS)",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="format of the tables (default: csv)",
    )
    parser.add_argument("--no-figures", action="store_true", help="write tables only")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress, no tables")


# --------------------------------------------------------------------------- compare, sweep


def cmd_compare(args: argparse.Namespace, out: Console) -> int:
    refs = [_ref_for_record(ref) for ref in args.scenarios]
    name = "compare-" + "-".join(_safe(Path(ref).stem) for ref in args.scenarios)
    raw = _raw_from_options(args, name=name[:80], scenarios=refs, baseline=args.baseline)
    experiment = _experiment_from_options(raw)
    out_dir = args.out or Path("out") / experiment.name
    return run_experiment(experiment, out, out_dir=out_dir, quiet=args.quiet, from_options=True)


def cmd_sweep(args: argparse.Namespace, out: Console) -> int:
    from simulation.experiment.files import parse_grid_options, parse_range_options

    given = [kind for kind in ("grid", "lhs", "sobol") if getattr(args, kind)]
    if not given:
        raise ScenarioError(
            "design",
            None,
            "missing; give --grid KEY=V1,V2,… (repeatable), or --lhs/--sobol KEY=LO:HI "
            "(repeatable) with --samples N",
        )
    if len(given) > 1:
        raise ScenarioError(
            f"--{given[1]}", None, f"one kind of design at a time (also given: --{given[0]})"
        )
    kind = given[0]
    options = getattr(args, kind)
    if kind == "grid":
        parameters = parse_grid_options(options)
        if args.samples is not None:
            raise ScenarioError("--samples", None, "a grid runs every combination; drop --samples")
    else:
        parameters = parse_range_options(options, f"--{kind}")
        if args.samples is None:
            raise ScenarioError(f"--{kind}", None, "needs --samples N (e.g. --samples 64)")
        if args.samples < 1:
            raise ScenarioError("--samples", None, f"must be at least 1 (got {args.samples})")
    if args.design_seed < 0:
        raise ScenarioError("--design-seed", None, f"must be 0 or more (got {args.design_seed})")
    design = {"type": kind, "parameters": parameters, "seed": args.design_seed}
    if args.samples is not None:
        design["samples"] = args.samples
    raw = _raw_from_options(
        args,
        name=f"sweep-{_safe(Path(args.scenario).stem)}",
        scenario=_ref_for_record(args.scenario),
        design=design,
    )
    experiment = _experiment_from_options(raw)
    return run_experiment(
        experiment,
        out,
        out_dir=args.out,
        quiet=args.quiet,
        resume=args.resume,
        from_options=True,
    )


def cmd_experiment(args: argparse.Namespace, out: Console) -> int:
    from simulation.experiment.files import load_experiment

    experiment = load_experiment(args.file)
    if args.jobs is not None:
        if args.jobs < 1:
            raise ScenarioError("--jobs", None, f"must be at least 1 (got {args.jobs})")
        experiment = experiment.model_copy(update={"jobs": args.jobs, "scheduler": None})
    if args.no_figures:
        outputs = experiment.outputs.model_copy(update={"figures": False})
        experiment = experiment.model_copy(update={"outputs": outputs})
    out_dir = args.out or Path(experiment.outputs.dir or Path("out") / _safe(experiment.name))
    if args.check:
        return _print_plan(experiment, args.file, out_dir, out)
    return run_experiment(
        experiment,
        out,
        out_dir=out_dir,
        quiet=args.quiet,
        resume=args.resume,
        source=str(args.file),
        base_dir=args.file.parent,
    )


def _raw_from_options(args: argparse.Namespace, **fields) -> dict:
    """An experiment's content from the common options (checked as `microgov run` does)."""
    from simulation.experiment.files import check_metrics, check_scheduler
    from simulation.scenario import parse_overrides

    for option, value, low in (
        ("--replications", args.replications, 1),
        ("--seed", args.seed, 0),
        ("--days", args.days, 1),
        ("--jobs", args.jobs, 1),
    ):
        if value is not None and value < low:
            raise ScenarioError(option, None, f"must be at least {low} (got {value})")
    raw = {
        **fields,
        "replications": args.replications,
        "seed": args.seed,
        "days": args.days,
        "set": dict(parse_overrides(list(args.overrides))),
        "jobs": args.jobs,
        "scheduler": check_scheduler(args.scheduler, "--scheduler") if args.scheduler else None,
        "metrics": check_metrics(args.metrics, "--metrics") if args.metrics else None,
        "outputs": {"figures": not args.no_figures, "format": args.format},
    }
    return {key: value for key, value in raw.items() if value is not None}


def _experiment_from_options(raw: dict):
    """The Experiment the options describe; an error names the option, not the field."""
    from simulation.experiment.files import ExperimentFileError, parse_experiment

    try:
        return parse_experiment(raw, CLI_SOURCE)
    except ExperimentFileError as exc:
        field = exc.field or ""
        head = field.split(".")[0].split("[")[0]
        if head in ("scenarios", "scenario"):
            option = "SCENARIO"
        elif head == "design":
            option = f"--{raw.get('design', {}).get('type', 'grid')}"
        elif head:
            option = "--" + head.replace("_", "-")
        else:
            option = CLI_SOURCE
        raise ExperimentFileError(option, None, exc.message) from None


def _ref_for_record(ref: str) -> str:
    """A scenario file as an absolute path (so the record runs from anywhere); names as is."""
    path = Path(ref)
    if path.is_file():
        return str(path.resolve())
    return ref


def _print_plan(experiment, source: Path, out_dir: Path, out: Console) -> int:
    from simulation.experiment.files import check_experiment

    scenarios = check_experiment(experiment, str(source), base_dir=source.parent)
    runs, what = _plan(experiment, scenarios)
    out.print(f"OK    {source}  {experiment.kind} '{experiment.name}'", markup=False)
    out.print(f"      {what}", markup=False)
    out.print(f"      {runs} runs; results would go to {out_dir}", markup=False)
    return EXIT_OK


def _plan(experiment, scenarios) -> tuple[int, str]:
    reps = experiment.n_replications
    if experiment.kind == "comparison":
        names = ", ".join(s.name for s in scenarios)
        return len(scenarios) * reps, f"{names} × {reps} replications"
    points = len(experiment.design.build())
    keys = ", ".join(experiment.design.parameters)
    what = (
        f"{scenarios[0].name}: {experiment.design.type} design over {keys}, "
        f"{points} points × {reps} replication{'s' * (reps != 1)}"
    )
    return points * reps, what


# --------------------------------------------------------------------------- running


def run_experiment(
    experiment,
    out: Console,
    *,
    out_dir: Path,
    quiet: bool = False,
    resume: bool = False,
    source: str = CLI_SOURCE,
    base_dir: Path | None = None,
    from_options: bool = False,
    out_option: str = "--out",
) -> int:
    """Check an experiment completely, run it and write its outputs to `out_dir`.

    A sweep's output folder is its store: runs are written there as they finish, so an
    interrupted sweep continues with `resume`. `out_option` names the setting that chose
    the folder, for messages.
    """
    from simulation.experiment.files import check_experiment

    scenarios = check_experiment(experiment, source, base_dir, from_options=from_options)
    out_dir = Path(out_dir)
    if experiment.kind == "sweep":
        _check_store(out_dir, resume, out_option)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(out_option, None, f"cannot create folder {out_dir}: {exc}") from None
    from simulation.experiment.api import HEADLINE_METRICS, compare, sweep
    from simulation.experiment.reports import ComparisonReport, SweepReport, write_text
    from simulation.experiment.store import StoreMismatchError

    if experiment.metrics is None and resume:  # keep the metrics the sweep was started with
        experiment = experiment.model_copy(update={"metrics": _recorded_metrics(out_dir)})
    metrics = list(experiment.metrics or HEADLINE_METRICS)
    runs, what = _plan(experiment, scenarios)
    stored = _stored_runs(out_dir) if experiment.kind == "sweep" else 0
    executor, jobs = experiment.executor(), experiment.jobs
    where = _where(executor, jobs)
    if not quiet:
        done = f" ({stored} already done)" if stored else ""
        out.print(
            f"{experiment.kind} '{experiment.name}': {what} = {runs} runs{done} {where}",
            markup=False,
            soft_wrap=True,
        )
    progress = not quiet and Console(stderr=True).is_terminal
    record = _record(experiment, base_dir, out_dir)
    started = time.perf_counter()
    try:
        if experiment.kind == "comparison":
            baseline = scenarios[experiment.baseline_index(scenarios)]
            order = [baseline, *(s for s in scenarios if s is not baseline)]
            comparison = compare(
                order,
                baseline=baseline.name,
                replications=experiment.n_replications,
                seed=experiment.seed,
                days=experiment.days,
                executor=executor,
                jobs=jobs,
                metrics=metrics,
                progress=progress,
            )
            tables = (comparison.results.runs, comparison.results.daily, comparison.table)
            report = ComparisonReport(
                *tables, baseline.name, [s.name for s in order], metrics, comparison.notes
            )
            report.markdown = comparison.to_markdown()
        else:
            results = sweep(
                scenarios[0],
                experiment.design.build(),
                replications=experiment.n_replications,
                seed=experiment.seed,
                days=experiment.days,
                executor=executor,
                jobs=jobs,
                store=out_dir,
                progress=progress,
            )
            report = SweepReport(results, metrics)
    except KeyboardInterrupt:
        if experiment.kind == "sweep":
            write_text(out_dir / RECORD_FILE, record.to_toml())
            out.print(
                f"interrupted; finished runs are kept in {out_dir}: run the same command "
                "with --resume to continue",
                markup=False,
            )
        else:
            out.print("interrupted", markup=False)
        return EXIT_INTERRUPTED
    except StoreMismatchError as exc:
        raise ScenarioError(
            out_option, None, f"{exc} (--resume continues only the same sweep)"
        ) from None
    except FileExistsError as exc:  # a folder with other files than a store
        raise ScenarioError(out_option, None, f"{exc}") from None
    except (OSError, TimeoutError) as exc:  # e.g. a scheduler that does not answer
        raise ScenarioError(where.removeprefix("on "), None, f"cannot run there: {exc}") from None
    elapsed = time.perf_counter() - started
    write_text(out_dir / RECORD_FILE, record.to_toml())
    written = [RECORD_FILE]
    written += report.write(out_dir, experiment.outputs.format, experiment.outputs.figures)
    if not quiet:
        report.print(out)
        out.print(f"{runs - stored} runs in {elapsed:.1f} s", style="dim")
    _print_written(out, out_dir, written)
    if experiment.kind == "sweep":
        out.print(f"summary and figures again: microgov analyze {out_dir}", markup=False)
    return EXIT_OK


def _where(executor, jobs) -> str:
    if executor is None:
        return "in this process"
    if executor == "processes":
        return f"on {jobs} local processes"
    if executor == "dask":
        return f"on a local Dask cluster{f' of {jobs} workers' if jobs else ''}"
    return f"on {executor}"


def _record(experiment, base_dir: Path | None, out_dir: Path):
    """The experiment as it ran, re-runnable from anywhere: files absolute, folder set."""
    from simulation.experiment.files import resolve_scenario_ref

    def absolute(ref: str) -> str:
        return _ref_for_record(resolve_scenario_ref(ref, base_dir))

    outputs = experiment.outputs.model_copy(update={"dir": str(out_dir.resolve())})
    update: dict = {"outputs": outputs}
    if experiment.scenarios is not None:
        update["scenarios"] = [absolute(ref) for ref in experiment.scenarios]
        if experiment.baseline in experiment.scenarios:
            update["baseline"] = update["scenarios"][
                experiment.scenarios.index(experiment.baseline)
            ]
    else:
        update["scenario"] = absolute(experiment.scenario)
    return experiment.model_copy(update=update)


def _stored_runs(out_dir: Path) -> int:
    """Finished runs already in a sweep's store (0 for a new folder)."""
    if not (out_dir / STORE_MANIFEST).is_file():
        return 0
    from simulation.experiment.store import RunStore

    return len(RunStore(out_dir).completed())


def _recorded_metrics(out_dir: Path) -> list[str] | None:
    """The metrics in the record of an earlier run in this folder, if any."""
    import tomllib

    try:
        metrics = tomllib.loads((out_dir / RECORD_FILE).read_text("utf-8")).get("metrics")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if isinstance(metrics, list) and all(m in METRICS for m in metrics):
        return metrics
    return None


def _check_store(out_dir: Path, resume: bool, out_option: str) -> None:
    """A folder holding a sweep is continued only when asked (--resume); others are refused.

    (The store itself also refuses a different sweep; this says so before any output.)
    """
    if not (out_dir / STORE_MANIFEST).is_file():
        if out_dir.is_dir() and any(out_dir.iterdir()):
            raise ScenarioError(
                out_option,
                None,
                f"{out_dir} holds other files but no sweep ({STORE_MANIFEST}); a sweep "
                "keeps its runs in its output folder: choose a new or empty folder",
            )
        return
    if not resume:
        raise ScenarioError(
            out_option,
            None,
            f"{out_dir} already holds a sweep's results; add --resume to continue it (runs "
            "already done are kept, the rest are run), or choose another output folder",
        )


def _print_written(out: Console, out_dir: Path, written: list[str]) -> None:
    tables = [name for name in written if not name.endswith(".png")]
    figures = [name for name in written if name.endswith(".png")]
    if tables:
        out.print(f"wrote {', '.join(tables)} to {out_dir}", markup=False, soft_wrap=True)
    if figures:
        where = "" if tables else f" in {out_dir}"
        out.print(f"figures{where}: {', '.join(figures)}", markup=False, soft_wrap=True)


# --------------------------------------------------------------------------- analyze


def cmd_analyze(args: argparse.Namespace, out: Console) -> int:
    from simulation.experiment.files import check_metrics, parse_experiment
    from simulation.experiment.reports import ComparisonReport, SweepReport

    folder: Path = args.dir
    if not folder.is_dir():
        raise ScenarioError(str(folder), None, "no such folder")
    experiment = None
    record = folder / RECORD_FILE
    if record.is_file():
        import tomllib

        try:
            experiment = parse_experiment(tomllib.loads(record.read_text("utf-8")), str(record))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(str(record), None, f"invalid TOML: {exc}") from None
    chosen = check_metrics(args.metrics, "--metrics") if args.metrics else None
    if chosen is None and experiment is not None:
        chosen = experiment.metrics
    fmt = experiment.outputs.format if experiment else "csv"
    if (folder / STORE_MANIFEST).is_file():
        from simulation.experiment.api import HEADLINE_METRICS, SweepResults

        try:
            results = SweepResults.load(folder)
        except (OSError, ValueError, KeyError) as exc:
            raise ScenarioError(
                str(folder), None, f"cannot read the sweep's store: {exc}"
            ) from None
        if len(results.runs) == 0:
            raise ScenarioError(str(folder), None, "the sweep has no finished runs yet")
        report = SweepReport(results, list(chosen or HEADLINE_METRICS))
    else:
        runs = _read_table(folder, "runs")
        table = _read_table(folder, "comparison")
        daily = _read_table(folder, "daily", required=False)
        baseline = _baseline_name(runs, table)
        order = [baseline, *(s for s in dict.fromkeys(runs["scenario"]) if s != baseline)]
        metrics = list(chosen or dict.fromkeys(table["metric"]))
        missing = [m for m in metrics if m not in set(table["metric"])]
        if missing:
            raise ScenarioError(
                "--metrics",
                None,
                f"the comparison in {folder} has no {', '.join(missing)}; it has: "
                f"{', '.join(dict.fromkeys(table['metric']))}",
            )
        report = ComparisonReport(runs, daily, table, baseline, order, metrics)
    report.print(out)
    written = report.write(folder, fmt, figures=not args.no_figures, tables=False)
    if written:
        _print_written(out, folder, written)
    return EXIT_OK


def _read_table(folder: Path, stem: str, required: bool = True):
    import pandas as pd

    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            try:
                return reader(path)
            except (OSError, ValueError) as exc:
                raise ScenarioError(str(path), None, f"cannot read: {exc}") from None
    if not required:
        return None
    raise ScenarioError(
        str(folder),
        None,
        f"no results found (neither a sweep's {STORE_MANIFEST} nor a comparison's {stem}.csv); "
        "give a folder written by microgov compare, sweep or experiment",
    )


def _baseline_name(runs, table) -> str:
    """The comparison's baseline: the scenario never tested (first in the runs if several)."""
    untested = table.groupby("scenario")["p_value"].apply(lambda p: p.isna().all())
    for name in dict.fromkeys(runs["scenario"]):
        if untested.get(name, False):
            return str(name)
    return str(runs["scenario"].iloc[0])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
