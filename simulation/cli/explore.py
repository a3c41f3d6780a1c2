"""`microgov explore` and `discover`: robustness across states of the world, and where a policy fails.

`explore FILE` reads an exploration file (`simulation.experiment.explore`), runs every
policy in every sampled state of the world (one resumable sweep per policy) and reports
regret and satisficing (`simulation.experiment.robustness`). `discover DIR` reads those
results back and finds, with PRIM or CART (`simulation.experiment.discovery`, the
optional `explore` extra), the ranges of the uncertainties where a policy fails to beat
the baseline by a margin. The engine and the libraries are imported inside the
commands, so building these parsers stays quick.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from simulation.cli import EXIT_INTERRUPTED, EXIT_OK, safe_name
from simulation.scenario import ScenarioError

POLICIES_FILE = "policies.csv"
STATES_FILE = "states.csv"


def add_parser(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse.ArgumentParser:
    """Build the parser of `explore` or `discover` (called by the command registry)."""
    return _PARSERS[name](subparsers, help)


def _explore_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    explore = sub.add_parser(
        "explore",
        help=help,
        description="Run the exploration a file declares: every policy (scenarios, or "
        "combinations of lever values) in every state of the world (a seeded Latin "
        "hypercube over the uncertainties), each with the same replication seeds. Print "
        "and write each policy's regret (against the best policy in each state, with its "
        "replication noise) and satisficing shares, report.md and a regret figure. Runs "
        "are stored as they finish (one sweep per policy under DIR/policies), so an "
        "interrupted exploration continues with --resume. Then `microgov discover DIR`.",
        epilog="Example: microgov explore experiments/explorations/closed_loop_discovery.toml --jobs 2",
    )
    explore.add_argument("file", type=Path, metavar="FILE", help="an exploration .toml file")
    explore.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (overrides the file)"
    )
    where = explore.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="J", help="local worker processes"
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786), or 'dask' for a local Dask cluster",
    )
    explore.add_argument(
        "--resume", action="store_true", help="continue the exploration stored in the folder"
    )
    explore.add_argument(
        "--check", action="store_true", help="check the file and print what would run; run nothing"
    )
    explore.add_argument(
        "--no-figures", action="store_true", help="write tables only (overrides the file)"
    )
    explore.add_argument("--quiet", "-q", action="store_true", help="no progress, no tables")
    explore.set_defaults(handler=cmd_explore)
    return explore


def _discover_parser(sub: argparse._SubParsersAction, help: str) -> argparse.ArgumentParser:
    discover = sub.add_parser(
        "discover",
        help=help,
        description="Scenario discovery on the results of `microgov explore`: mark each "
        "state of the world where POLICY beats BASELINE on OUTCOME by less than MARGIN "
        "(the mean of differences paired by replication, in the outcome's better "
        "direction), then describe those states as boxes of the uncertainties with PRIM "
        "(default) or CART. Prints each box's ranges with coverage, density and quasi-p-"
        "values; writes cases.csv, the boxes, PRIM's peeling trajectory, a Markdown "
        "summary and figures (coverage against density, the box's limits). Defaults come "
        "from the file's [discovery] table. Needs the 'explore' extra (ema-workbench).",
    )
    discover.add_argument(
        "dir", type=Path, metavar="RESULTS", help="a folder written by microgov explore"
    )
    discover.add_argument(
        "--policy",
        default=None,
        help="the policy examined (default: the file's, else the first that is not the baseline)",
    )
    discover.add_argument(
        "--baseline", default=None, help="the policy to beat (default: the file's)"
    )
    discover.add_argument(
        "--outcome", default=None, help="the outcome judged (default: the file's)"
    )
    discover.add_argument(
        "--margin",
        type=float,
        default=None,
        help="improvement the policy should reach, in the outcome's unit (shares: 0.10 = 10 pp)",
    )
    discover.add_argument("--method", choices=("prim", "cart"), default=None, help="default prim")
    discover.add_argument(
        "--density",
        type=float,
        default=None,
        help="PRIM: report the box of highest coverage with at least this density (default 0.8)",
    )
    discover.add_argument(
        "--mass-min", type=float, default=None, help="smallest box, share of states (default 0.05)"
    )
    discover.add_argument(
        "--peel-alpha", type=float, default=None, help="PRIM's peeling step (default 0.05)"
    )
    discover.add_argument("--boxes", type=int, default=None, help="PRIM: boxes to find (default 1)")
    discover.add_argument("--no-figures", action="store_true", help="write tables only")
    discover.set_defaults(handler=cmd_discover)
    return discover


_PARSERS: dict[str, Callable[[argparse._SubParsersAction, str], argparse.ArgumentParser]] = {
    "explore": _explore_parser,
    "discover": _discover_parser,
}


# --------------------------------------------------------------------------- explore


def cmd_explore(args: argparse.Namespace, out: Console) -> int:
    """`microgov explore`: run an exploration file, or with `--check` print its plan.

    Returns the exit code.
    """
    from simulation.experiment.explore import load_exploration, plan_exploration
    from simulation.experiment.files import check_scheduler

    exploration = load_exploration(args.file)
    if args.jobs is not None:
        if args.jobs < 1:
            raise ScenarioError("--jobs", None, f"must be at least 1 (got {args.jobs})")
        exploration = exploration.model_copy(update={"jobs": args.jobs, "scheduler": None})
    if args.scheduler is not None:
        check_scheduler(args.scheduler, "--scheduler")
        exploration = exploration.model_copy(update={"scheduler": args.scheduler, "jobs": None})
    if args.no_figures:
        outputs = exploration.outputs.model_copy(update={"figures": False})
        exploration = exploration.model_copy(update={"outputs": outputs})
    out_dir = Path(args.out or exploration.outputs.dir or Path("out") / safe_name(exploration.name))
    plan = plan_exploration(exploration, str(args.file), base_dir=args.file.parent)
    if args.check:
        out.print(f"OK    {args.file}  exploration '{exploration.name}'", markup=False)
        out.print(f"      {_plan_text(plan)}", markup=False)
        out.print(f"      {plan.runs} runs; results would go to {out_dir}", markup=False)
        return EXIT_OK
    return run_exploration(
        plan, out, out_dir=out_dir, base_dir=args.file.parent, resume=args.resume, quiet=args.quiet
    )


def _plan_text(plan) -> str:
    e = plan.exploration
    policies = ", ".join(p.name for p in plan.policies)
    return (
        f"policies {policies} (baseline {plan.baseline}) × {len(plan.states)} states over "
        f"{', '.join(e.uncertainties)} × {e.replications} replication"
        f"{'s' * (e.replications != 1)}"
    )


def run_exploration(
    plan,
    out: Console,
    *,
    out_dir: Path,
    base_dir: Path | None = None,
    resume: bool = False,
    quiet: bool = False,
) -> int:
    """Run a checked exploration, write what it ran and its report to `out_dir`.

    Returns the exit code.
    """
    from simulation.experiment.exploration_report import ExplorationReport
    from simulation.experiment.explore import RECORD_FILE, policies_table, run_plan, states_table
    from simulation.experiment.reports import write_frame, write_text
    from simulation.experiment.store import StoreMismatchError

    _check_folder(out_dir, resume)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError("--out", None, f"cannot create folder {out_dir}: {exc}") from None
    exploration = plan.exploration
    write_text(out_dir / RECORD_FILE, _record(plan, base_dir, out_dir).to_toml())
    write_frame(policies_table(plan), out_dir, POLICIES_FILE.removesuffix(".csv"), "csv")
    write_frame(states_table(plan), out_dir, STATES_FILE.removesuffix(".csv"), "csv")
    executor, jobs = exploration.executor(), exploration.jobs
    if not quiet:
        from simulation.cli.experiments import _where

        where = _where(executor, jobs)
        out.print(
            f"exploration '{exploration.name}': {_plan_text(plan)} = {plan.runs} runs {where}",
            markup=False,
            soft_wrap=True,
        )
    progress = not quiet and Console(stderr=True).is_terminal
    started = time.perf_counter()
    try:
        outcomes = run_plan(plan, out_dir, executor=executor, jobs=jobs, progress=progress)
    except KeyboardInterrupt:
        out.print(
            f"interrupted; finished runs are kept in {out_dir}: run the same command with "
            "--resume to continue",
            markup=False,
        )
        return EXIT_INTERRUPTED
    except StoreMismatchError as exc:
        raise ScenarioError(
            "--out", None, f"{exc} (--resume continues only the same exploration)"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise ScenarioError(str(executor or "serial"), None, f"cannot run there: {exc}") from None
    elapsed = time.perf_counter() - started
    names = [p.name for p in plan.policies]
    report = ExplorationReport(exploration, names, plan.baseline, outcomes)
    written = [RECORD_FILE, POLICIES_FILE, STATES_FILE]
    written += report.write(out_dir, exploration.outputs.format, exploration.outputs.figures)
    if not quiet:
        report.print(out)
        out.print(f"{plan.runs} runs ({elapsed:.1f} s)", style="dim")
    tables = [n for n in written if not n.endswith(".png")]
    figures = [n for n in written if n.endswith(".png")]
    out.print(f"wrote {', '.join(tables)} to {out_dir}", markup=False, soft_wrap=True)
    if figures:
        out.print(f"figures: {', '.join(figures)}", markup=False)
    out.print(f"where a policy fails: microgov discover {out_dir}", markup=False)
    return EXIT_OK


def _check_folder(out_dir: Path, resume: bool) -> None:
    from simulation.experiment.explore import RECORD_FILE

    if (out_dir / RECORD_FILE).is_file():
        if not resume:
            raise ScenarioError(
                "--out",
                None,
                f"{out_dir} already holds an exploration; add --resume to continue it (runs "
                "already done are kept), or choose another output folder",
            )
        return
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise ScenarioError(
            "--out",
            None,
            f"{out_dir} holds other files but no exploration ({RECORD_FILE}); choose a new or "
            "empty folder",
        )


def _record(plan, base_dir: Path | None, out_dir: Path):
    """The exploration as it ran, re-runnable from anywhere: files absolute, baseline named."""
    from simulation.cli.experiments import _ref_for_record
    from simulation.experiment.files import resolve_scenario_ref

    exploration = plan.exploration

    def absolute(ref: str) -> str:
        return _ref_for_record(resolve_scenario_ref(ref, base_dir))

    outputs = exploration.outputs.model_copy(update={"dir": str(out_dir.resolve())})
    update: dict = {"outputs": outputs, "baseline": plan.baseline}
    if exploration.policies is not None:
        update["policies"] = [absolute(ref) for ref in exploration.policies]
    else:
        update["scenario"] = absolute(exploration.scenario)
    return exploration.model_copy(update=update)


# --------------------------------------------------------------------------- discover


def cmd_discover(args: argparse.Namespace, out: Console) -> int:
    """`microgov discover`: PRIM or CART boxes where a policy fails to beat the baseline.

    Returns the exit code.
    """
    import pandas as pd

    from simulation.experiment import discovery as sd
    from simulation.experiment.exploration_report import DiscoveryReport
    from simulation.experiment.explore import RECORD_FILE, load_exploration, read_outcomes

    folder: Path = args.dir
    record = folder / RECORD_FILE
    if not record.is_file():
        raise ScenarioError(
            str(folder),
            None,
            f"no exploration here ({RECORD_FILE}); give a folder written by microgov explore",
        )
    exploration = load_exploration(record)
    try:
        policies = pd.read_csv(folder / POLICIES_FILE)["policy"].astype(str).tolist()
    except (OSError, KeyError, ValueError) as exc:
        raise ScenarioError(str(folder / POLICIES_FILE), None, f"cannot read: {exc}") from None
    settings = exploration.discovery
    baseline = args.baseline or exploration.baseline or policies[0]
    _check_choice("--baseline", baseline, policies, "policies")
    others = [p for p in policies if p != baseline]
    policy = args.policy or settings.policy or others[0]
    _check_choice("--policy", policy, policies, "policies")
    if policy == baseline:
        raise ScenarioError("--policy", None, f"'{policy}' is the baseline; name another policy")
    outcome = args.outcome or settings.outcome or next(iter(exploration.outcomes))
    _check_choice("--outcome", outcome, list(exploration.outcomes), "outcomes")
    margin = settings.margin if args.margin is None else args.margin
    method = args.method or settings.method
    density = settings.density if args.density is None else args.density
    mass_min = settings.mass_min if args.mass_min is None else args.mass_min
    peel_alpha = settings.peel_alpha if args.peel_alpha is None else args.peel_alpha
    boxes = settings.boxes if args.boxes is None else args.boxes
    for option, value, low, high in (
        ("--density", density, 0.0, 1.0),
        ("--mass-min", mass_min, 0.0, 0.5),
        ("--peel-alpha", peel_alpha, 0.0, 0.5),
    ):
        if not low < value <= high:
            raise ScenarioError(option, None, f"must lie in ({low:g}, {high:g}] (got {value:g})")
    if boxes < 1:
        raise ScenarioError("--boxes", None, f"must be at least 1 (got {boxes})")
    prim_module, _ = sd.require_ema()  # say which extra is missing before reading anything
    del prim_module
    uncertainties = list(exploration.uncertainties)
    try:
        outcomes = read_outcomes(folder, policies, uncertainties)
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(
            str(folder), None, f"cannot read the exploration's runs: {exc}"
        ) from None
    direction = exploration.outcomes[outcome].direction
    cases = sd.cases_of_interest(
        outcomes, uncertainties, policy, baseline, outcome, direction, margin
    )
    if len(cases) < 4:
        raise ScenarioError(
            str(folder),
            None,
            f"only {len(cases)} states have runs of both policies; discovery needs at least 4",
        )
    x, y = cases[uncertainties], cases["case"].to_numpy()
    if method == "prim":
        found = sd.prim(
            x, y, density=density, mass_min=mass_min, peel_alpha=peel_alpha, boxes=boxes
        )
    else:
        found = sd.cart(x, y, mass_min=mass_min)
    report = DiscoveryReport(
        found,
        cases,
        uncertainties,
        policy=policy,
        baseline=baseline,
        outcome=outcome,
        direction=direction,
        margin=margin,
    )
    report.print(out)
    written = report.write(folder, exploration.outputs.format, figures=not args.no_figures)
    tables = [n for n in written if not n.endswith(".png")]
    figures = [n for n in written if n.endswith(".png")]
    out.print(f"wrote {', '.join(tables)} to {folder}", markup=False, soft_wrap=True)
    if figures:
        out.print(f"figures: {', '.join(figures)}", markup=False)
    return EXIT_OK


def _check_choice(option: str, value: str, allowed: list[str], what: str) -> None:
    from simulation.scenario import did_you_mean

    if value not in allowed:
        raise ScenarioError(
            option,
            None,
            f"'{value}' is not one of the {what}{did_you_mean(value, allowed)}; {what}: "
            f"{', '.join(allowed)}",
        )
