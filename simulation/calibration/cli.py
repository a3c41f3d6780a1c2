"""`microgov calibrate SCENARIO DATA.csv --params KEY=LOW:HIGH … --out DIR`.

The command's parser and handler; the calibration itself is imported when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.cli import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK


def add_parser(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse.ArgumentParser:
    """Register `microgov calibrate` on the `microgov` command's subparsers."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description="Fit parameters of SCENARIO to an account's records (DATA.csv: one row "
        "per citizen item with columns created, first_reply and optionally kind, reply_type) "
        "by matching reply rate, reply-time quantiles, hourly arrival profile and volume. "
        "Writes fitted.toml (a scenario extending SCENARIO with the fitted values), "
        "report.md with figures, history.csv and study.db (resumable: run the same command "
        "again with more --trials to continue).",
        epilog="example:\n  microgov calibrate baseline my_account.csv "
        "--params population.need_rate_per_day=0.002:0.05 "
        "--params staffing.reply_propensity=-2:1 --trials 60 --out out/fit\n\n"
        "Exit codes: 0 success, 2 a scenario, data file or argument that cannot be used.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    parser.add_argument("data", metavar="DATA.csv", type=Path, help="the account's records")
    parser.add_argument(
        "--params",
        action="extend",
        nargs="+",
        required=True,
        metavar="KEY=LOW:HIGH",
        help="a dotted scenario setting and its search bounds, e.g. "
        "staffing.handling_minutes=5:60; add :log for a log scale (repeatable)",
    )
    parser.add_argument("--trials", type=int, default=50, help="trials in the study (default 50)")
    parser.add_argument(
        "--replications", type=int, default=3, help="seeds per trial, the same in all (default 3)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="root seed of sampler and runs (default 1)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a base setting before fitting, e.g. population.citizens=5000 "
        "(repeatable; written to fitted.toml too)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="length of the record in days (default: from the data)",
    )
    parser.add_argument(
        "--horizon-hours",
        type=float,
        default=None,
        help="follow-up horizon for reply rate and times (default: 168, at most half the record)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only where results went")
    parser.set_defaults(handler=cmd_calibrate)
    return parser


def cmd_calibrate(args: argparse.Namespace, out=None) -> int:
    """Run `microgov calibrate`; a bad input prints one message and returns 2."""
    import sys

    from rich.console import Console

    from simulation.calibration.search import calibrate
    from simulation.format import safe_text
    from simulation.scenario import ScenarioError

    console = out if out is not None else Console(file=sys.stdout, highlight=False, emoji=False)
    err = Console(file=sys.stderr, highlight=False, emoji=False, soft_wrap=True)
    progress_line = None
    if not args.quiet:

        def progress_line(done: int, total: int, value: float, best: float) -> None:
            if done == total or done % max(1, total // 10) == 0:
                console.print(
                    f"trial {done}/{total}: distance {value:.4g}, best {best:.4g}", markup=False
                )

    try:
        result = calibrate(
            args.scenario,
            args.data,
            params=args.params,
            trials=args.trials,
            replications=args.replications,
            seed=args.seed,
            out=args.out,
            overrides=args.overrides,
            days=args.days,
            horizon_hours=args.horizon_hours,
            progress=progress_line,
        )
    except ScenarioError as exc:
        err.print(f"microgov calibrate: error: {safe_text(exc)}", markup=False)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print(
            f"microgov calibrate: stopped; finished trials are kept in "
            f"{safe_text(args.out / 'study.db')}: "
            "run the same command again to continue",
            markup=False,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        for p in result.parameters:
            console.print(
                safe_text(f"{p.key} = {result.fitted_values[p.key]}  (bounds {p.bounds_text()})"),
                markup=False,
            )
        console.print(
            f"distance {result.distance.total:.4g} after {result.trials} trials "
            f"({result.trials_run} run now) in {result.seconds:.0f} s",
            markup=False,
        )
    console.print(
        f"wrote fitted.toml, report.md, history.csv and figures to {safe_text(args.out)}",
        markup=False,
        soft_wrap=True,
    )
    return EXIT_OK
