"""The `microgov` command: one registry of commands, each loaded only when it runs.

    microgov run baseline --seed 3 --days 60 --set staffing.operators=4
    microgov validate scenarios/*.toml
    microgov show closed_loop --set accountability.rule=timeliness
    microgov list
    microgov compare baseline closed_loop --replications 10 --out out/cmp
    microgov sweep baseline --grid staffing.operators=1,2,4 --out out/ops [--resume]
    microgov analyze out/ops
    microgov experiment experiments/remedies.toml
    microgov explore experiments/explorations/closed_loop_discovery.toml --jobs 2
    microgov discover out/closed_loop_discovery --method cart
    microgov calibrate baseline my_account.csv --params … --out out/fit
    microgov validate-model --smoke
    microgov viz baseline

A thin layer over the package. `COMMANDS` is the one registry: each command's name,
the module that builds its parser and handles it, and its one-line help. A command's
module provides `add_parser(subparsers, name, help)`, whose parser sets
`handler(args, out) -> exit code`. Only the module of the command given is imported,
so `microgov --version`, `--help` and `list` stay quick; `build_parser()` without
arguments builds every command (for documentation and tests).

A scenario that cannot be used ends the command with one message on stderr naming the
file, the field path and what is allowed, and exit code 2; nothing here prints a
traceback for a bad scenario.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulation import __version__

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C (128 + SIGINT)
NON_TERMINAL_WIDTH = 120  # columns of output that is not a terminal (a pipe, a test)

SET_HELP = (
    "override one field by its dotted path, e.g. --set staffing.operators=4 "
    "--set accountability.rule=timeliness (repeatable; values are TOML: 6, 0.5, true, "
    "'text', [1, 2])"
)


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, the module with its parser and handler, its help line."""

    name: str
    module: str
    help: str


SCENARIOS = "simulation.cli.scenarios"
EXPERIMENTS = "simulation.cli.experiments"
EXPLORE = "simulation.cli.explore"

COMMANDS: tuple[Command, ...] = (
    Command("run", SCENARIOS, "run one scenario and write its results"),
    Command("validate", SCENARIOS, "check scenario files without running them"),
    Command("show", SCENARIOS, "print the fully resolved scenario as TOML"),
    Command("list", SCENARIOS, "list the bundled scenarios"),
    Command("compare", EXPERIMENTS, "compare scenarios over replications, against a baseline"),
    Command("sweep", EXPERIMENTS, "run one scenario over a design of parameter values"),
    Command("analyze", EXPERIMENTS, "summarise and plot the results in a folder"),
    Command("experiment", EXPERIMENTS, "run an experiment file (a declared comparison or sweep)"),
    Command(
        "explore",
        EXPLORE,
        "run policies across sampled states of the world; regret and satisficing",
    ),
    Command(
        "discover",
        EXPLORE,
        "find where a policy fails (PRIM or CART boxes; needs the 'explore' extra)",
    ),
    Command(
        "calibrate",
        "simulation.calibration.cli",
        "fit scenario parameters to an account's own records",
    ),
    Command(
        "validate-model",
        "simulation.validation.cli",
        "check the model against theory and published figures; write a report",
    ),
    Command(
        "viz",
        "simulation.viz.cli",
        "open the interactive teaching page in a browser (needs the 'viz' extra)",
    ),
)
_BY_NAME = {command.name: command for command in COMMANDS}

EPILOG = """\
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
  microgov explore experiments/explorations/closed_loop_discovery.toml   policies across states of the world
  microgov discover out/closed_loop_discovery    where a policy fails (PRIM boxes)

Exit codes: 0 success, 2 a scenario or argument that cannot be used.
"""


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The `microgov` parser with the given commands built in full (default: all).

    The others are listed by name and help only, without importing their modules.
    """
    full = set(_BY_NAME) if commands is None else set(commands)
    parser = argparse.ArgumentParser(
        prog="microgov",
        description="Agent-based simulation of how government social-media accounts "
        "(micro-blog, WeChat) respond to the public.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"microgov {__version__}")
    parser.add_argument(
        "--max-input",
        action="append",
        default=[],
        metavar="KIND=SIZE",
        help="raise (or lower) the size cap of an input file kind for this command: "
        "toml (scenario and experiment files, default 1MB), edge_list (default 2GB), "
        "records (calibration CSV, default 100MB); e.g. --max-input edge_list=8GB "
        "(repeatable; the same as MICROGOV_MAX_TOML_BYTES, …_EDGE_LIST_BYTES, "
        "…_RECORDS_BYTES)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        if command.name in full:
            add_command(sub, command.name)
        else:
            sub.add_parser(command.name, help=command.help)
    return parser


def add_command(subparsers: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    """Build the registered command `name` on `subparsers`, importing its module."""
    command = _BY_NAME[name]
    module = importlib.import_module(command.module)
    return module.add_parser(subparsers, command.name, command.help)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `microgov` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_command_in(argv)).parse_args(argv)
    from rich.console import Console

    from simulation.format import safe_text
    from simulation.scenario.errors import ScenarioError

    # Output that is not a terminal (a pipe, a file, a test) has no width to fit.
    # No emoji codes: a user's name ":x:" is printed as written (markup is escaped where
    # user text is printed, see simulation.format.safe_text).
    out = Console(file=sys.stdout, highlight=False, emoji=False)
    if not out.is_terminal:
        out = Console(file=sys.stdout, highlight=False, emoji=False, width=NON_TERMINAL_WIDTH)
    err = Console(file=sys.stderr, highlight=False, emoji=False, soft_wrap=True)
    try:
        set_input_caps(args.max_input)
        return args.handler(args, out)
    except ScenarioError as exc:
        err.print(f"microgov {args.command}: error: {safe_text(exc)}", markup=False)
        return EXIT_BAD_INPUT


def set_input_caps(options: Sequence[str]) -> None:
    """Apply `--max-input KIND=SIZE` options: each sets its kind's environment variable.

    The variable (not a global) carries the cap, so worker processes started for the
    command read the same cap.
    """
    import os

    from simulation.inputs import INPUT_KINDS, parse_size
    from simulation.scenario.errors import ScenarioError, did_you_mean

    for text in options:
        name, _, size_text = text.partition("=")
        kind = INPUT_KINDS.get(name.strip())
        if kind is None:
            raise ScenarioError(
                "--max-input",
                None,
                f"unknown kind '{name.strip()}'{did_you_mean(name.strip(), INPUT_KINDS)}; "
                f"kinds: {', '.join(INPUT_KINDS)} (e.g. --max-input edge_list=8GB)",
            )
        size = parse_size(size_text)
        if size is None or size < 1:
            raise ScenarioError(
                "--max-input",
                kind.name,
                f"'{size_text}' is not a size; give bytes (1000000) or a number with a unit "
                "(500kB, 100MB, 2GB, 1GiB)",
            )
        os.environ[kind.variable] = str(size)


def _command_in(argv: Sequence[str]) -> list[str]:
    """The command the arguments name (the first word that is not an option), if any."""
    words = iter(argv)
    for word in words:
        if word == "--max-input":  # the one top-level option with a value
            next(words, None)
        elif not word.startswith("-"):
            return [word] if word in _BY_NAME else []
    return []


def safe_name(name: str) -> str:
    """A name usable as a folder name (for default output folders)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned or "scenario"
