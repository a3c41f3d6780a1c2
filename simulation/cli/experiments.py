"""`microgov compare`, `sweep`, `analyze` and `experiment`: many runs at once.

Each builds (or reads) an Experiment (`simulation.experiment.files`), checks it
completely, runs it with the engine (`simulation.experiment.api`) and writes tables and
figures (`simulation.experiment.reports`). The engine, matplotlib/seaborn and dask are
imported inside the commands, so building this module's parsers stays quick.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from simulation.cli import EXIT_INTERRUPTED, EXIT_OK, SET_HELP, safe_name
from simulation.format import NAMING_RULE, is_metric, safe_text
from simulation.scenario import Scenario, ScenarioError

FORCE_HELP = (
    "run even if the estimated memory of the runs at once exceeds what this machine has "
    "available (simulation.resources)"
)
MAX_RUNS_HELP = "most runs the plan may have (default 10,000); a larger plan is refused"
# Settings whose largest swept value makes a sweep's largest run (memory and time).
SIZE_KEYS = ("population.citizens", "network.mean_following", "population.need_rate_per_day")

RECORD_FILE = "experiment.toml"  # what ran, as an experiment file (re-runnable)
CLI_SOURCE = "command line"


# --------------------------------------------------------------------------- parsers


def add_parser(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse.ArgumentParser:
    """Build the parser of `compare`, `sweep`, `analyze` or `experiment`.

    The registry of commands calls this to add the command's parser to `subparsers`.
    """
    return _PARSERS[name](subparsers, help)


def _compare_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    compare = sub.add_parser(
        "compare",
        help=help,
        description="Run each scenario with the same seeds (common random numbers), test "
        "each against the baseline (paired differences by seed with paired t intervals "
        "and p-values, Bonferroni-adjusted over every test of the table), print the "
        "comparison table and write runs, daily series, the comparison table and figures "
        "(forest plot, distributions, daily trust and backlog) to the output folder.",
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
    _add_run_options(compare, replications=10)
    compare.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: out/compare-<scenarios>)",
    )
    compare.set_defaults(handler=cmd_compare)
    return compare


def _sweep_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    sweep = sub.add_parser(
        "sweep",
        help=help,
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
        help="points of an --lhs design; base sample N of a --sobol design (a power of 2; "
        "below 512 the indices' intervals are wide and the output warns)",
    )
    design.add_argument(
        "--design-seed", type=int, default=0, metavar="S", help="seed of the sample (default 0)"
    )
    sweep.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    _add_run_options(sweep, replications=1)
    sweep.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder; holds the store"
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep stored in DIR: only runs not yet done are run",
    )
    sweep.set_defaults(handler=cmd_sweep)
    return sweep


def _analyze_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    analyze = sub.add_parser(
        "analyze",
        help=help,
        description="Load a finished sweep or comparison from DIR (written by compare, "
        "sweep or experiment), print a summary and write figures: for a grid, heatmaps "
        "over two swept parameters (distributions with one); for a sampled design (Latin "
        "hypercube, Sobol, Morris), each metric against each parameter, and for Sobol its "
        "indices (table, sobol_indices.csv and a chart); for a comparison the comparison "
        "table, forest plot, distributions and daily series.",
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
    return analyze


def _experiment_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    experiment = sub.add_parser(
        "experiment",
        help=help,
        description="Run the comparison or sweep an experiment file declares and write "
        "its outputs (tables, figures, and experiment.toml, the file as it ran). The file "
        "is checked completely first. Bundled examples are in experiments/.",
    )
    experiment.add_argument("file", type=Path, metavar="FILE", help="an experiment .toml file")
    experiment.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (overrides the file)"
    )
    where = experiment.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="J",
        help="local worker processes, or the workers of the file's local Dask cluster "
        "(overrides the file)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on this Dask scheduler (tcp://host:8786) or 'dask' (a local cluster); "
        "overrides the file. A scheduler address in the file is used only when given "
        "here too, or with --allow-scheduler-from-file",
    )
    experiment.add_argument(
        "--allow-scheduler-from-file",
        action="store_true",
        help="connect to the scheduler address the file names (a Dask client runs what "
        "its scheduler sends back: only for files you trust, naming clusters you control)",
    )
    experiment.add_argument(
        "--resume", action="store_true", help="continue a sweep stored in the output folder"
    )
    experiment.add_argument(
        "--check",
        action="store_true",
        help="check the file and print what would run (runs, estimated time and memory); "
        "run nothing",
    )
    experiment.add_argument("--max-runs", type=int, default=None, metavar="N", help=MAX_RUNS_HELP)
    experiment.add_argument("--force", action="store_true", help=FORCE_HELP)
    experiment.add_argument(
        "--no-figures", action="store_true", help="write tables only (overrides the file)"
    )
    experiment.add_argument("--quiet", "-q", action="store_true", help="no progress, no tables")
    experiment.set_defaults(handler=cmd_experiment)
    return experiment


def _add_run_options(parser: argparse.ArgumentParser, replications: int) -> None:
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
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="J",
        help="local worker processes; with --scheduler dask, the local Dask cluster's workers",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786), or 'dask' for a local Dask cluster "
        "(of --jobs workers; default one per CPU)",
    )
    parser.add_argument(
        "--metrics",
        default=None,
        metavar="M1,M2",
        help="metrics to summarise, test and plot, e.g. response_rate,mean_trust (default: "
        "the headline metrics, simulation.experiment.HEADLINE_METRICS); "
        f"{NAMING_RULE.replace('%', '%%')}",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="format of the tables (default: csv)",
    )
    parser.add_argument("--no-figures", action="store_true", help="write tables only")
    parser.add_argument(
        "--items",
        action="store_true",
        help="also keep every run's item table, one row per item (items.<format>)",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress, no tables (progress goes to stderr: a bar on a terminal, else a "
        "line per 5 %% of the runs with the time elapsed and an estimate of what remains)",
    )
    parser.add_argument("--max-runs", type=int, default=None, metavar="N", help=MAX_RUNS_HELP)
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


_PARSERS: dict[str, Callable[[argparse._SubParsersAction, str], argparse.ArgumentParser]] = {
    "compare": _compare_parser,
    "sweep": _sweep_parser,
    "analyze": _analyze_parser,
    "experiment": _experiment_parser,
}


# --------------------------------------------------------------------------- compare, sweep


def cmd_compare(args: argparse.Namespace, out: Console) -> int:
    """`microgov compare`: run the scenarios over replications, each against the baseline.

    Returns the exit code.
    """
    refs = [_ref_for_record(ref) for ref in args.scenarios]
    name = "compare-" + "-".join(safe_name(Path(ref).stem) for ref in args.scenarios)
    raw = _raw_from_options(args, name=name[:80], scenarios=refs, baseline=args.baseline)
    experiment = _experiment_from_options(raw)
    out_dir = args.out or Path("out") / experiment.name
    return run_experiment(
        experiment, out, out_dir=out_dir, quiet=args.quiet, from_options=True, force=args.force
    )


def cmd_sweep(args: argparse.Namespace, out: Console) -> int:
    """`microgov sweep`: run one scenario over a grid, Latin hypercube or Sobol' design.

    Returns the exit code; raises ScenarioError for a missing or inconsistent design.
    """
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
        name=f"sweep-{safe_name(Path(args.scenario).stem)}",
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
        force=args.force,
    )


def cmd_experiment(args: argparse.Namespace, out: Console) -> int:
    """`microgov experiment`: run an experiment file, or with `--check` print its plan.

    Returns the exit code.
    """
    from simulation.experiment.files import MAX_JOBS, load_experiment

    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        raise ScenarioError("--jobs", None, f"must be from 1 to {MAX_JOBS} (got {args.jobs})")
    if args.max_runs is not None and args.max_runs < 1:
        raise ScenarioError("--max-runs", None, f"must be at least 1 (got {args.max_runs})")
    experiment = load_experiment(
        args.file,
        scheduler=args.scheduler,
        # --jobs replaces the file's scheduler, so the file's address is not used.
        allow_scheduler_from_file=args.allow_scheduler_from_file or args.jobs is not None,
        max_runs=args.max_runs,
    )
    if args.jobs is not None:
        # A local pool (processes, a local Dask cluster) gets J workers; else J processes.
        from simulation.experiment.files import WORKER_POOLS

        keep = experiment.scheduler if experiment.scheduler in WORKER_POOLS else None
        experiment = experiment.model_copy(update={"jobs": args.jobs, "scheduler": keep})
    if args.no_figures:
        outputs = experiment.outputs.model_copy(update={"figures": False})
        experiment = experiment.model_copy(update={"outputs": outputs})
    out_dir, out_option = _experiment_out_dir(experiment, args.file, args.out)
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
        out_option=out_option,
        force=args.force,
    )


def _experiment_out_dir(experiment, file: Path, out: Path | None) -> tuple[Path, str]:
    """The output folder of an experiment file, and what chose it (for messages).

    `--out` wins; else the file's `outputs.dir`, relative to the file's folder and
    confined to it (a file cannot send outputs elsewhere); else out/<name> here.
    """
    from simulation.safe_write import confined_folder

    if out is not None:
        return out, "--out"
    if experiment.outputs.dir is not None:
        where = f"{file}: outputs.dir"
        return confined_folder(experiment.outputs.dir, file.parent, where), where
    return Path("out") / safe_name(experiment.name), "--out"


def _raw_from_options(args: argparse.Namespace, **fields) -> dict:
    """An experiment's content from the common options (checked as `microgov run` does)."""
    from simulation.experiment.files import MAX_JOBS, check_metrics, check_scheduler
    from simulation.scenario import parse_overrides
    from simulation.scenario.schema import MAX_DAYS

    for option, value, low, high in (
        ("--replications", args.replications, 1, None),
        ("--seed", args.seed, 0, None),
        ("--days", args.days, 1, MAX_DAYS),
        ("--jobs", args.jobs, 1, MAX_JOBS),
        ("--max-runs", args.max_runs, 1, None),
    ):
        if value is not None and value < low:
            raise ScenarioError(option, None, f"must be at least {low} (got {value})")
        if value is not None and high is not None and value > high:
            raise ScenarioError(option, None, f"must be at most {high:,} (got {value})")
    raw = {
        **fields,
        "replications": args.replications,
        "seed": args.seed,
        "days": args.days,
        "set": dict(parse_overrides(list(args.overrides))),
        "jobs": args.jobs,
        "max_runs": args.max_runs,
        "scheduler": check_scheduler(args.scheduler, "--scheduler") if args.scheduler else None,
        "metrics": check_metrics(args.metrics, "--metrics") if args.metrics else None,
        "outputs": {"figures": not args.no_figures, "format": args.format, "items": args.items},
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
    from simulation.resources import available_bytes, gigabytes

    scenarios = check_experiment(experiment, str(source), base_dir=source.parent)
    _warn_events(experiment, scenarios)
    runs, what = _plan(experiment, scenarios)
    seconds, memory, parallel = _estimates(experiment, scenarios, runs)
    out.print(safe_text(f"OK    {source}  {experiment.kind} '{experiment.name}'"), markup=False)
    out.print(safe_text(f"      {what}"), markup=False)
    out.print(safe_text(f"      {runs:,} runs; results would go to {out_dir}"), markup=False)
    room = available_bytes()
    if memory is None:
        memory_text = "memory on the scheduler's workers (not estimated here)"
    else:
        at_once = f", {parallel} runs at once" if parallel > 1 else ""
        memory_text = f"peak memory about {gigabytes(memory)}{at_once}"
        if room is not None:
            memory_text += f" of {gigabytes(room[0])} available"
            if memory > room[0]:
                memory_text += " (refused without --force)"
    out.print(
        f"      estimated: run time about {_duration(seconds)}"
        f"{f' on {parallel} processes' if parallel > 1 else ''}; {memory_text}",
        markup=False,
    )
    return EXIT_OK


def _largest_variant(experiment, scenario: Scenario) -> Scenario:
    """A sweep's scenario with the largest swept size settings (citizens, follows, needs)."""
    if experiment.design is None:
        return scenario
    largest = {}
    for key, values in experiment.design.parameters.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if key in SIZE_KEYS and numbers:
            largest[key] = max(numbers)
    return scenario.with_overrides(largest) if largest else scenario


def _parallel_runs(experiment) -> int | None:
    """Runs at once on this machine; None when they run on a scheduler elsewhere."""
    from simulation.resources import cpu_count

    executor = experiment.executor()
    if executor is None or executor == "serial":
        return 1
    if executor == "processes":
        return experiment.jobs or cpu_count()
    if executor == "dask":
        return experiment.jobs or cpu_count()
    return None


def _estimates(experiment, scenarios, runs: int) -> tuple[float, float | None, int]:
    """Rough wall time [s], peak memory [bytes] (None: elsewhere) and runs at once."""
    from simulation.resources import estimate_run_bytes, estimate_run_seconds

    variants = [_largest_variant(experiment, s) for s in scenarios]
    parallel = _parallel_runs(experiment)
    at_once = min(parallel or 1, runs) or 1
    per_run = sum(estimate_run_seconds(v) for v in variants) / len(variants)
    seconds = per_run * runs / at_once
    if parallel is None:
        return seconds, None, at_once
    memory = max(estimate_run_bytes(v) for v in variants) * at_once
    return seconds, memory, at_once


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.1f} days"


def _warn_events(experiment, scenarios) -> None:
    from simulation.cli.scenarios import warn
    from simulation.scenario.schema import events_after_run

    for scenario in scenarios:
        warn(experiment.kind, [f"{scenario.name}: {w}" for w in events_after_run(scenario)])


def _check_memory(experiment, scenarios, runs: int, source: str, force: bool) -> None:
    """Refuse an experiment whose runs at once would not fit in memory (unless forced)."""
    from simulation.resources import check_memory

    parallel = _parallel_runs(experiment)
    if parallel is None:  # the scheduler's workers have memory of their own
        return
    variants = [_largest_variant(experiment, s) for s in scenarios]
    check_memory(
        variants,
        parallel=min(parallel, runs) or 1,
        source="--jobs" if parallel > 1 and source == CLI_SOURCE else source,
        field=None,
        force=force,
    )


def _plan(experiment, scenarios) -> tuple[int, str]:
    reps = experiment.n_replications
    if experiment.kind == "comparison":
        names = ", ".join(s.name for s in scenarios)
        return len(scenarios) * reps, f"{names} × {reps} replications"
    points = experiment.design.count()
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
    force: bool = False,
) -> int:
    """Check an experiment completely, run it and write its outputs to `out_dir`.

    A sweep's output folder is its store: runs are written there as they finish, so an
    interrupted sweep continues with `resume`. `out_option` names the setting that chose
    the folder, for messages.
    """
    from simulation.experiment.files import check_experiment
    from simulation.safe_write import OutputDir

    scenarios = check_experiment(experiment, source, base_dir, from_options=from_options)
    _check_dask_installed(experiment, source, from_options)
    _warn_events(experiment, scenarios)
    _check_memory(experiment, scenarios, _plan(experiment, scenarios)[0], source, force)
    out_dir = Path(out_dir)
    if experiment.kind == "sweep":
        _check_store(out_dir, resume, out_option)
    OutputDir(out_dir, source=out_option).create()
    from simulation.experiment.api import HEADLINE_METRICS, compare, sweep
    from simulation.experiment.reports import (
        ComparisonReport,
        SweepReport,
        write_frame,
        write_text,
    )
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
            safe_text(f"{experiment.kind} '{experiment.name}': {what} = {runs} runs{done} {where}"),
            markup=False,
            soft_wrap=True,
        )
    progress = not quiet  # on stderr: a bar on a terminal, else a line per few per cent
    record = _record(experiment, base_dir)
    started = time.perf_counter()
    report: ComparisonReport | SweepReport
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
                keep_items=experiment.outputs.items,
            )
            kept = comparison.results.items
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
                keep_items=experiment.outputs.items,
            )
            kept = results.items
            report = SweepReport(results, metrics)
            for note in results.notes:  # e.g. damaged parts set aside and run again
                out.print(f"Note: {note}", style="yellow", markup=False, soft_wrap=True)
    except KeyboardInterrupt:
        if experiment.kind == "sweep":
            write_text(out_dir / RECORD_FILE, record.to_toml())
            out.print(
                f"interrupted; finished runs are kept in {safe_text(out_dir)}: run the same "
                "command with --resume to continue",
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
    if kept is not None:
        written.append(write_frame(kept, out_dir, "items", experiment.outputs.format))
    if not quiet:
        report.print(out)
        out.print(f"{runs - stored} runs in {elapsed:.1f} s", style="dim")
    _print_written(out, out_dir, written)
    if experiment.kind == "sweep":
        out.print(f"summary and figures again: microgov analyze {safe_text(out_dir)}", markup=False)
    return EXIT_OK


def _check_dask_installed(experiment, source: str, from_options: bool) -> None:
    """An experiment on Dask without Dask installed: say which extra to install, now."""
    from simulation.experiment.executors import dask_missing, describe_executor

    if describe_executor(experiment.executor(), experiment.jobs) != "dask":
        return
    missing = dask_missing()
    if missing:
        if from_options:
            raise ScenarioError("--scheduler", None, missing)
        raise ScenarioError(source, "scheduler", missing)


def _where(executor, jobs) -> str:
    if executor is None:
        return "in this process"
    if executor == "processes":
        return f"on {jobs} local processes"
    if executor == "dask":
        return f"on a local Dask cluster{f' of {jobs} workers' if jobs else ''}"
    return f"on {executor}"


def _record(experiment, base_dir: Path | None):
    """The experiment as it ran, re-runnable from anywhere: files absolute, folder its own."""
    from simulation.experiment.files import resolve_scenario_ref

    def absolute(ref: str) -> str:
        return _ref_for_record(resolve_scenario_ref(ref, base_dir))

    # The record lies in the output folder, and a file's outputs.dir is relative to it.
    outputs = experiment.outputs.model_copy(update={"dir": "."})
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


def _holds_store(folder: Path) -> bool:
    """Whether a folder is a sweep's store (a sweep's output folder is its store)."""
    from simulation.experiment.store import MANIFEST

    return (folder / MANIFEST).is_file()


def _stored_runs(out_dir: Path) -> int:
    """Finished runs already in a sweep's store (0 for a new folder)."""
    if not _holds_store(out_dir):
        return 0
    from simulation.experiment.store import RunStore

    return len(RunStore(out_dir).completed())


def _recorded_metrics(out_dir: Path) -> list[str] | None:
    """The metrics in the record of an earlier run in this folder, if any."""
    from simulation.scenario.load import read_toml

    try:
        metrics = read_toml(out_dir / RECORD_FILE).get("metrics")
    except ScenarioError:
        return None
    if isinstance(metrics, list) and all(isinstance(m, str) and is_metric(m) for m in metrics):
        return metrics
    return None


def _check_store(out_dir: Path, resume: bool, out_option: str) -> None:
    """A folder holding a sweep is continued only when asked (--resume); others are refused.

    (The store itself also refuses a different sweep; this says so before any output.)
    """
    from simulation.experiment.store import LOCK_FILE, MANIFEST

    if not _holds_store(out_dir):
        if out_dir.is_dir() and any(p.name != LOCK_FILE for p in out_dir.iterdir()):
            raise ScenarioError(
                out_option,
                None,
                f"{out_dir} holds other files but no sweep ({MANIFEST}); a sweep "
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
        out.print(
            f"wrote {', '.join(tables)} to {safe_text(out_dir)}", markup=False, soft_wrap=True
        )
    if figures:
        where = "" if tables else f" in {safe_text(out_dir)}"
        out.print(f"figures{where}: {', '.join(figures)}", markup=False, soft_wrap=True)


# --------------------------------------------------------------------------- analyze


def cmd_analyze(args: argparse.Namespace, out: Console) -> int:
    """`microgov analyze`: print and write the report of a finished comparison or sweep folder.

    Reads the stored tables (no runs); returns the exit code.
    """
    from simulation.experiment.files import check_metrics, parse_experiment
    from simulation.experiment.reports import ComparisonReport, SweepReport

    folder: Path = args.dir
    if not folder.is_dir():
        raise ScenarioError(str(folder), None, "no such folder")
    experiment = None
    record = folder / RECORD_FILE
    if record.is_file():
        from simulation.scenario.load import read_toml

        experiment = parse_experiment(read_toml(record), str(record))
    chosen = check_metrics(args.metrics, "--metrics") if args.metrics else None
    if chosen is None and experiment is not None:
        chosen = experiment.metrics
    fmt = experiment.outputs.format if experiment else "csv"
    report: ComparisonReport | SweepReport
    if _holds_store(folder):
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
        if "interval_level" not in table.columns:  # written before intervals were adjusted
            from simulation.experiment.api import Comparison, Results

            table = Comparison.of(
                Results(runs, daily), baseline, list(dict.fromkeys(table["metric"]))
            ).table
            out.print(
                "Note: this comparison table has unadjusted intervals (an older microgov); "
                "the table below is recomputed from runs with simultaneous intervals",
                style="yellow",
                markup=False,
            )
        report = ComparisonReport(runs, daily, table, baseline, order, metrics)
    report.print(out)
    written = report.write(folder, fmt, figures=not args.no_figures, tables=False)
    if written:
        _print_written(out, folder, written)
    return EXIT_OK


def _read_table(folder: Path, stem: str, required: bool = True):
    import pandas as pd

    from simulation.experiment.store import MANIFEST

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
        f"no results found (neither a sweep's {MANIFEST} nor a comparison's {stem}.csv); "
        "give a folder written by microgov compare, sweep or experiment",
    )


def _baseline_name(runs, table) -> str:
    """The comparison's baseline: the scenario never tested (first in the runs if several)."""
    untested = table.groupby("scenario")["p_value"].apply(lambda p: p.isna().all())
    for name in dict.fromkeys(runs["scenario"]):
        if untested.get(name, False):
            return str(name)
    return str(runs["scenario"].iloc[0])
