"""`microgov viz [SCENARIO] [--port P]` and `python -m simulation.viz`: serve the page.

The page is served by `solara run` on 127.0.0.1 only (never on other interfaces), with
Solara's usage reporting, update check and corner banner (it covers a chart) turned off,
and requests whose Host or Origin is not localhost are refused (`simulation.viz.serve`:
DNS rebinding). `add_parser(subparsers, name,
help)` builds the subcommand for the `microgov` command's registry (`simulation.cli`);
its handler follows the command's convention `handler(args, out) -> exit code`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from simulation.scenario import load_scenario

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = Path(__file__).with_name("app.py")
SERVER_MODULE = "simulation.viz.serve"  # `solara run` behind the local-only guard
EXIT_BAD_INPUT = 2
INSTALL_HINT = "the interactive page needs the 'viz' extra: .venv/bin/pip install -e '.[viz]'"


def add_parser(subparsers, name: str, help: str) -> argparse.ArgumentParser:
    """Register `viz [SCENARIO] [--port P] [--citizens N] [--open]` on a subparsers object."""
    viz = subparsers.add_parser(
        name,
        help=help,
        description="Serve the interactive page (Mesa SolaraViz) for a scenario on "
        f"http://{HOST}:PORT (this machine only): levers in the sidebar, the follower "
        "network coloured by trust, and charts of backlog, response times, response rate, "
        "one-sided replies and trust. Stop it with Ctrl+C.",
    )
    add_arguments(viz)
    viz.set_defaults(handler=cmd_viz)
    return viz


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the page's options to `parser`: SCENARIO, --port, --citizens and --open."""
    parser.add_argument(
        "scenario",
        metavar="SCENARIO",
        nargs="?",
        default="baseline",
        help="a .toml file or a bundled name to start from (default: baseline)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )
    parser.add_argument(
        "--citizens", type=int, default=None, help="population to start with (default: the file's)"
    )
    parser.add_argument("--open", action="store_true", help="open a browser tab")


def server_command(port: int, open_browser: bool = False) -> list[str]:
    """The `solara run` command line that serves the page on 127.0.0.1.

    Run through `simulation.viz.serve`, which refuses requests not from this machine's
    pages (a hostile Host or Origin: DNS rebinding).
    """
    return [
        sys.executable,
        "-m",
        SERVER_MODULE,
        "run",
        str(APP),
        "--host",
        HOST,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
        "--log-level",
        "warning",
    ]


def server_environment(scenario: str, citizens: int | None = None) -> dict[str, str]:
    """Environment for the server process: the scenario, no usage reporting, no banner."""
    env = dict(os.environ)
    env["MICROGOV_VIZ_SCENARIO"] = str(scenario)
    if citizens is not None:
        env["MICROGOV_VIZ_CITIZENS"] = str(citizens)
    else:
        env.pop("MICROGOV_VIZ_CITIZENS", None)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    env.pop("HOST", None)  # solara would listen on $HOST; we pass 127.0.0.1 explicitly
    return env


def cmd_viz(args: argparse.Namespace, out=None) -> int:
    """Check the scenario and the extra, then serve the page until interrupted."""
    if importlib.util.find_spec("solara") is None:
        print(f"microgov viz: {INSTALL_HINT}", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = args.scenario
    path = Path(scenario)
    if path.suffix == ".toml" or path.exists():
        scenario = str(path.resolve())
    load_scenario(scenario)  # a ScenarioError here is reported by the caller
    port = args.port
    shown = port if port else "a free port"
    print(f"Serving the {args.scenario} page on http://{HOST}:{shown}/ (Ctrl+C to stop)")
    sys.stdout.flush()
    command = server_command(port, args.open)
    env = server_environment(scenario, args.citizens)
    if os.name == "posix":  # become the server: Ctrl+C and kill reach it directly
        os.execve(command[0], command, env)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m simulation.viz [SCENARIO] [--port P]`."""
    from simulation.scenario import ScenarioError

    parser = argparse.ArgumentParser(
        prog="python -m simulation.viz",
        description="Serve microgov's interactive teaching page on http://127.0.0.1:PORT.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_viz(args)
    except ScenarioError as exc:
        print(f"python -m simulation.viz: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
