"""Record the golden set again and print which outputs moved.

    python -m tests.golden.regenerate            # every case
    python -m tests.golden.regenerate --check    # only report what moved; write nothing
    python -m tests.golden.regenerate -k erlang  # cases whose name contains 'erlang'

Run it in the commit of a change that alters behaviour on purpose, and say in that
commit which metrics moved and why. Only the cases that moved (or are new) are written.
"""

from __future__ import annotations

import argparse
import sys

from tests.golden import cases as golden


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.regenerate")
    parser.add_argument("--check", action="store_true", help="report only; write nothing")
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    args = parser.parse_args(argv)
    moved = 0
    selected = {name: run for name, run in golden.cases().items() if args.k in name}
    for name, run in selected.items():
        fresh = run()
        if golden.path_of(name).exists():
            changes = golden.differences(golden.load(name), fresh)
        else:
            changes = ["new case"]
        if changes:
            moved += 1
            print(f"{name}: {len(changes)} moved" + ("" if len(changes) < 20 else " (first 20)"))
            for line in changes:
                print(f"    {line}")
        # A case that did not move keeps its record: rewriting it would only swap in
        # this machine's last bits (golden.FLOAT_MARGIN) and churn the files.
        if changes and not args.check:
            golden.save(name, fresh)
    if not args.check:
        golden.save_versions()
    print(f"{moved} of {len(selected)} cases moved" + ("" if args.check else "; recorded"))
    return 1 if args.check and moved else 0


if __name__ == "__main__":
    sys.exit(main())
