"""`microgov validate-model [--out DIR] [--smoke]` and `python -m simulation.validation`.

The command's parser and handler; the checks load the model, so they are imported
only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from simulation.format import json_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `microgov validate-model` (also `python -m simulation.validation`)."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write DIR/validation.md, its figures and results.json in DIR/validation/ "
        "(default: out/validation, or out/validation-smoke with --smoke; the project's "
        "own report is written with --out docs)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a small, fast version of every check (about 30 s of one core, not 26 "
        "minutes; for trying the command and for tests)",
    )


def add_parser(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse.ArgumentParser:
    """Register `microgov validate-model [--out DIR] [--smoke]`."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description="Run the validation checks (queueing and percolation limits, stylised "
        "facts, directional checks of the remedies) and write a Markdown report with "
        "figures. The full report took 26 minutes (1545 s) on 2 cores at its last "
        "regeneration; --smoke takes about 30 s of one core.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=cmd_validate_model)
    return parser


def cmd_validate_model(args: argparse.Namespace, out=None) -> int:
    """Handler of `microgov validate-model`."""

    def echo(message: str) -> None:
        if out is not None and hasattr(out, "print"):
            out.print(message, markup=False, highlight=False)
        else:
            print(message, flush=True)

    return run_command(args.out, args.smoke, echo)


def run_command(out: Path | None, smoke: bool, echo: Callable[[str], None]) -> int:
    """Run the validation at its size, write the report and results.json, say where."""
    from simulation.safe_write import OutputDir
    from simulation.validation import report

    size = "smoke" if smoke else "full"
    out = out or Path(report.DEFAULT_OUT[size])
    results = report.run_validation(size, out / "validation", progress=echo)
    written = report.write_report(results, out / "validation.md")
    OutputDir(out, source="--out").write_text(
        "validation/results.json",
        json_text(results.to_dict(), indent=1),
    )
    counts = results.counts()
    echo(
        f"{written}: {counts['pass']} pass, {counts['fail']} fail, {counts['n/a']} n/a "
        f"({results.timings['total']:.0f} s)"
    )
    for c in results.failures:
        echo(f"  FAIL {c.id}: {c.title}: {report.value_text(c)} (target {c.target_text})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m simulation.validation [--out DIR] [--smoke]`."""
    parser = argparse.ArgumentParser(
        prog="python -m simulation.validation",
        description="Run the validation checks and write their report (by default "
        "out/validation/validation.md; the project's own: --out docs).",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_command(args.out, args.smoke, lambda m: print(m, flush=True))
