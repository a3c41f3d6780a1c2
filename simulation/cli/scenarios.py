"""`microgov run`, `validate`, `show` and `list`: one scenario at a time.

`run` loads a scenario (`load_scenario`), runs it (`run_one`, which loads Mesa and the
model only then) and writes its results; `validate`, `show` and `list` only load
scenario files, so they never import pandas or the model.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from simulation import __version__
from simulation.cli import EXIT_BAD_INPUT, EXIT_OK, SET_HELP, safe_name
from simulation.format import (
    SUPERVISION_METRICS,
    UNIT_SEPARATOR,
    UNIT_SUMMARY_METRICS,
    markup_text,
    metric_unit,
    metric_value,
    plain_text,
    safe_text,
    unit_metric,
)
from simulation.resources import check_memory, estimate_run_seconds
from simulation.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenario_dir,
    load_scenario,
    resolve_scenario_path,
)
from simulation.scenario.overrides import SOURCE as OVERRIDES
from simulation.scenario.schema import MAX_DAYS, events_after_run

FORCE_HELP = (
    "run even if the estimated memory exceeds what this machine has available "
    "(simulation.resources)"
)

# A run estimated to take longer than this shows a progress bar
# (`simulation.resources.estimate_run_seconds`).
PROGRESS_THRESHOLD_SECONDS = 2.0
DAILY_FIGURE = "daily.png"  # the run's daily series (RunResult.plot)
WIDE_LIST_WIDTH = 110  # terminal columns from which `list` has a column per setting
STAFF_WIDTH = 18  # `list`'s staff column: an account's name and platform wrap within it

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


# --------------------------------------------------------------------------- parsers


def add_parser(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse.ArgumentParser:
    """Build the parser of `run`, `validate`, `show` or `list` (the registry's entry point)."""
    return _PARSERS[name](subparsers, help)


def _run_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    run = sub.add_parser(
        "run",
        help=help,
        description="Run one scenario with one seed, print a summary table and write "
        "summary.json (provenance + summary metrics), daily.csv or daily.parquet (one row "
        "per day), items.csv or items.parquet (one row per item), daily.png (a figure of "
        "the daily series) and scenario.toml (the fully resolved scenario) to the output "
        "folder.",
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
        help=SET_HELP,
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
        help="format of the daily series and the item table (default: csv)",
    )
    run.add_argument(
        "--no-figures", action="store_true", help="write no figure (daily.png); tables only"
    )
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary table; print only where results were written",
    )
    run.add_argument("--force", action="store_true", help=FORCE_HELP)
    run.set_defaults(handler=cmd_run)
    return run


def _validate_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    validate = sub.add_parser(
        "validate",
        help=help,
        description="Load and validate each file (including what it extends and its edge "
        "list); print OK with its name and hash, or the error. Exit code 0 if all are "
        "valid, 2 otherwise.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files or names")
    validate.set_defaults(handler=cmd_validate)
    return validate


def _show_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    show = sub.add_parser(
        "show",
        help=help,
        description="Print the fully resolved scenario: every field after 'extends', --set "
        "overrides and the mechanism preset are applied. The output is itself a scenario "
        "file with the same hash.",
    )
    show.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    show.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP
    )
    show.set_defaults(handler=cmd_show)
    return show


def _list_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    listing = sub.add_parser(
        "list",
        help=help,
        description=f"List the bundled scenarios (in {bundled_scenario_dir()}) with what "
        "each asks, its mechanism, accountability rule and staffing.",
    )
    listing.set_defaults(handler=cmd_list)
    return listing


_PARSERS: dict[str, Callable[[argparse._SubParsersAction, str], argparse.ArgumentParser]] = {
    "run": _run_parser,
    "validate": _validate_parser,
    "show": _show_parser,
    "list": _list_parser,
}


# --------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace, out: Console) -> int:
    """`microgov run`: run one scenario with one seed and write its results to the out folder.

    Returns the exit code; raises ScenarioError for a bad scenario or option.
    """
    overrides = list(args.overrides)
    if args.days is not None:
        if args.days < 1:
            raise ScenarioError("--days", "run.days", f"must be at least 1 (got {args.days})")
        if args.days > MAX_DAYS:
            raise ScenarioError(
                "--days", "run.days", f"must be at most {MAX_DAYS:,} (got {args.days})"
            )
        # An override, not just a run argument, so that the scenario hash covers it.
        overrides.append(f"run.days={args.days}")
    try:
        scenario = load_scenario(args.scenario, overrides=overrides)
    except ScenarioError as exc:
        # run.days came from --days (unless --set gave it too): name the option.
        from_days = args.days is not None and exc.source == OVERRIDES and exc.field == "run.days"
        if from_days and not any(o.partition("=")[0].strip() == "run.days" for o in args.overrides):
            raise ScenarioError("--days", None, exc.message) from None
        raise
    seed = scenario.run.seed if args.seed is None else args.seed
    if seed < 0:
        raise ScenarioError("--seed", "run.seed", f"must be 0 or more (got {seed})")
    days = scenario.run.days
    out_dir = args.out or Path("out") / f"{safe_name(scenario.name)}-seed{seed}"
    warn("run", events_after_run(scenario))
    check_memory([scenario], source=str(resolve_scenario_path(args.scenario)), force=args.force)

    from simulation.safe_write import OutputDir

    folder = OutputDir(out_dir, source="--out").create()  # fail before a long run, not after

    from simulation.runner import run_one  # loads Mesa and the model: only when running

    started = time.perf_counter()
    # Progress goes to stderr, a terminal or not (a long run in a batch job logs lines).
    show_progress = not args.quiet and estimate_seconds(scenario, days) > PROGRESS_THRESHOLD_SECONDS
    if show_progress:
        result = _run_with_progress(scenario, seed, days)
    else:
        result = run_one(scenario, seed=seed)
    elapsed = time.perf_counter() - started

    paths = result.write(folder, series_format=args.format)
    if not args.no_figures:
        paths["figure"] = folder.path / DAILY_FIGURE
        result.plot(paths["figure"])  # drawn and saved through the same safe writer
    scenario_path = folder.write_text("scenario.toml", resolved_toml(scenario, args.scenario))

    if not args.quiet:
        out.print(header_line(result.provenance), markup=False)
        out.print(summary_table(result.summary))
        by_unit = unit_table(result.summary)
        if by_unit is not None:
            out.print()
            out.print(by_unit)
        out.print(f"ran in {elapsed:.1f} s", style="dim")
    written = ", ".join(p.name for p in (*paths.values(), scenario_path))
    out.print(f"wrote {written} to {safe_text(out_dir)}", markup=False, soft_wrap=True)
    return EXIT_OK


def estimate_seconds(scenario: Scenario, days: int) -> float:
    """Rough run time [s] (`simulation.resources`), to decide on a progress bar."""
    return estimate_run_seconds(scenario, days)


def warn(command: str, warnings: list[str]) -> None:
    """Print warnings on stderr, one line each (`microgov run: warning: …`)."""
    if not warnings:
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for text in warnings:
        err.print(f"microgov {command}: warning: {safe_text(text)}", markup=False)


def _run_with_progress(scenario: Scenario, seed: int, days: int):
    """Run with progress on stderr: a bar on a terminal, else a line per few per cent."""
    from simulation.progress import progress_tracker
    from simulation.runner import run_one

    with progress_tracker(days, scenario.name, "days", transient=True) as tracker:

        def advance(hours_done: int) -> None:
            tracker.update(hours_done // 24)

        return run_one(scenario, seed=seed, progress=advance)


def header_line(provenance: dict) -> str:
    """One line naming the run: scenario, hash, seed, days, citizens and microgov version."""
    return (
        f"{safe_text(provenance['scenario'])}  hash {provenance['scenario_hash']}  "
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
    # Metrics of one account or platform are in `unit_table`.
    others = tuple(name for name in summary if name not in listed and UNIT_SEPARATOR not in name)
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


def unit_table(summary: dict[str, float]) -> Table | None:
    """Each account's and platform's summary metrics, a column each (None: no accounts).

    Rows in the order of `summary_table`, for the metrics that have a value per account
    (`simulation.format.UNIT_SUMMARY_METRICS`); counts that are 0 for every unit and
    only ever non-zero with monitoring are left out, as there.
    """
    units = list(
        dict.fromkeys(
            name.partition(UNIT_SEPARATOR)[2] for name in summary if UNIT_SEPARATOR in name
        )
    )
    if not units:
        return None
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("by account and platform")
    for unit in units:
        table.add_column(plain_text(unit), justify="right")
    table.add_column("unit", style="dim")
    order = [name for names in METRIC_GROUPS.values() for name in names]
    order += [name for name in UNIT_SUMMARY_METRICS if name not in order]
    order += list(SUPERVISION_METRICS)  # of supervised accounts only
    per_unit = {*UNIT_SUMMARY_METRICS, *SUPERVISION_METRICS}
    for metric in order:
        values = [summary.get(unit_metric(metric, unit)) for unit in units]
        if metric not in per_unit or all(v is None for v in values):
            continue
        if metric in HIDDEN_WHEN_ZERO and all(v == 0 for v in values):
            continue
        unit = metric_unit(metric)
        table.add_row(f"  {metric}", *(metric_value(metric, v, unit) for v in values), unit)
    return table


# --------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    """`microgov validate`: load and check each file, printing OK with its hash or the error.

    Returns EXIT_BAD_INPUT if any file fails, else EXIT_OK.
    """
    failures = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
            _check_edge_list(scenario)
        except ScenarioError as exc:
            failures += 1
            out.print(f"[bold red]ERROR[/] {markup_text(exc)}", soft_wrap=True)
            continue
        out.print(
            f"[bold green]OK[/]    {markup_text(name)}  {markup_text(scenario.name)}  "
            f"{scenario.content_hash()}",
            soft_wrap=True,
        )
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _check_edge_list(scenario: Scenario) -> None:
    """Read the edge list now, so a malformed file fails validation, not the run."""
    if scenario.network.kind == "edge_list" and scenario.network.edge_list:
        from simulation.network import check_edge_list_citizens, load_edge_list

        path = Path(scenario.network.edge_list)
        _, _, labels = load_edge_list(path, scenario.network.edge_list_direction)
        check_edge_list_citizens(scenario.population.citizens, len(labels), path)


# --------------------------------------------------------------------------- show


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    """`microgov show`: print the fully resolved scenario as TOML."""
    scenario = load_scenario(args.scenario, overrides=list(args.overrides))
    text = resolved_toml(scenario, args.scenario, args.overrides)
    # Plain write: TOML must come out byte for byte, without markup or wrapping.
    out.file.write(text)
    out.file.flush()
    return EXIT_OK


def resolved_toml(scenario: Scenario, source: str, overrides: Sequence[str] = ()) -> str:
    """The scenario as a TOML file that says where it came from and its hash."""
    lines = [
        f"# Scenario '{scenario.name}' fully resolved by microgov {__version__}",
        f"# from {resolve_scenario_path(source)}",
    ]
    if overrides:
        lines.append("# with --set " + " --set ".join(overrides))
    lines.append(f"# hash {scenario.content_hash()}")
    lines.extend(f"# {line}" for line in account_lines(scenario))
    return "\n".join(lines) + "\n\n" + scenario.to_toml()


def account_lines(scenario: Scenario) -> list[str]:
    """Each account in one line (`simulation.accounts.describe_accounts`), under a heading."""
    from simulation.accounts import describe_accounts

    rows = describe_accounts(scenario)
    heading = "one account (implicit, from [staffing] and [mechanism]):"
    if scenario.accounts:
        heading = f"{len(rows)} accounts:"
    lines = [heading]
    for row in rows:
        name = row["account"].removesuffix(" (implicit)")
        operators = row["operators"]
        lines.append(
            f"  {safe_text(name)}: {row['platform']}, {row['level']} level, follow share "
            f"{row['follow share']}, {operators} operator{'s' * (operators != '1')} × "
            f"{row['shifts']}, {row['mechanism']}, departments: {safe_text(row['departments'])}"
        )
    return lines


# --------------------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    """`microgov list`: a table of the bundled scenarios with their mechanism, rule and staff."""
    folder = bundled_scenario_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        out.print(f"no scenarios in {safe_text(folder)}", markup=False)
        return EXIT_OK
    wide = out.width >= WIDE_LIST_WIDTH  # else mechanism, appraisal and staff share a column
    table = Table(
        title=f"Bundled scenarios ({markup_text(folder)})",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("purpose", ratio=1, min_width=20, overflow="fold")
    if wide:
        table.add_column("mechanism", no_wrap=True)
        table.add_column("accountability", no_wrap=True)
        table.add_column("operators × shifts", max_width=STAFF_WIDTH)
    else:
        table.add_column("mechanism, appraisal, staff", max_width=STAFF_WIDTH)
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            cells = [plain_text(path.stem), plain_text(f"invalid: {exc.message}", style="red")]
            table.add_row(*cells, *([""] * (len(table.columns) - 2)))
            continue
        acc = scenario.accountability
        rule = acc.rule + (" (public)" if acc.rule != "none" and acc.public_disclosure else "")
        staff = _account_staff(scenario)
        preset = scenario.mechanism.preset
        setup = [preset, rule, staff] if wide else [f"{preset}\n{rule}\n{staff}"]
        table.add_row(plain_text(scenario.name), plain_text(scenario.description), *setup)
    out.print(table)
    return EXIT_OK


def _account_staff(scenario: Scenario) -> str:
    """`2 × office hours (one account)`, or each declared account, its platform and staff."""
    from simulation.accounts import describe_accounts

    rows = describe_accounts(scenario)
    if not scenario.accounts:
        return f"{rows[0]['operators']} × {rows[0]['shifts']}\n(one account)"
    return "\n".join(
        f"{safe_text(r['account'])} ({r['platform']}):\n{r['operators']} × {r['shifts']}"
        for r in rows
    )
