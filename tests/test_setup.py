"""Setting up: `make` names the fix for a Python that is too old, and installs quietly.

The Makefile checks the Python that would make the venv before anything else; the
package metadata uses the forms current setuptools expects, so an install prints no
deprecation blocks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = ROOT / "Makefile"

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def make_venv(folder: Path, *variables: str) -> subprocess.CompletedProcess:
    """`make .venv/bin/python` with the project's Makefile, in an empty folder."""
    return subprocess.run(
        ["make", "-f", str(MAKEFILE), "-C", str(folder), "--no-print-directory"]
        + ["-n", ".venv/bin/python", *variables],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_make
def test_a_python_too_old_gets_one_line_naming_the_fix(tmp_path):
    found = ".".join(map(str, sys.version_info[:3]))
    done = make_venv(tmp_path, f"PYTHON={sys.executable}", "PYTHON_MIN=99.0")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"microgov needs Python >= 99.0 (found {found})" in lines[0]
    assert "make run PYTHON=python99.0" in lines[0] and "pyenv" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / ".venv").exists()


@needs_make
def test_a_missing_python_is_named(tmp_path):
    done = make_venv(tmp_path, "PYTHON=no-such-python3")
    assert done.returncode != 0
    assert "found no working 'no-such-python3'" in done.stderr
    assert "make run PYTHON=python3.12" in done.stderr


@needs_make
def test_python_3_11_is_refused_where_there_is_one(tmp_path):
    old = shutil.which("python3.11")
    if old is None:
        pytest.skip("no python3.11 on this machine")
    done = make_venv(tmp_path, f"PYTHON={old}")
    assert done.returncode != 0
    assert re.search(r"microgov needs Python >= 3\.12 \(found 3\.11\.\d+\)", done.stderr)
    assert "Traceback" not in done.stderr


@needs_make
def test_a_new_enough_python_makes_the_venv(tmp_path):
    done = make_venv(tmp_path, f"PYTHON={sys.executable}")  # -n: print, do not run
    assert done.returncode == 0, done.stderr
    assert f"{sys.executable} -m venv .venv" in done.stdout


def test_the_license_is_an_spdx_expression_setuptools_reads_without_warning():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert isinstance(project["project"]["license"], str), "a table is deprecated"
    requires = project["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    low = re.search(r">=\s*(\d+)", setuptools)
    assert low and int(low.group(1)) >= 77, f"SPDX licence strings need setuptools 77: {requires}"
