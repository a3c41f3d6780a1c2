"""The `microgov` command: run, validate, show, list, help, errors.

Most tests call `main([...])` in-process; a few run the installed console script to
prove it works end to end and that a bad scenario exits with code 2 and no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from simulation import __version__, load_scenario
from simulation.cli import main
from simulation.cli import scenarios as scenario_commands
from simulation.runner import PROVENANCE_KEYS
from simulation.scenario import bundled_scenario_dir

SMALL = ["--days", "2", "--set", "population.citizens=1000"]
MICROGOV = Path(sys.executable).with_name("microgov")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- run


def test_run_prints_summary_and_writes_results(capsys, tmp_path):
    out_dir = tmp_path / "res"
    code, out, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(out_dir))
    assert code == 0, err
    expected = load_scenario("baseline", ["run.days=2", "population.citizens=1000"])
    header = out.splitlines()[0]
    for part in (
        "baseline",
        f"hash {expected.content_hash()}",
        "seed 1",
        "2 days",
        "1,000 citizens",
        f"microgov {__version__}",
    ):
        assert part in header, f"header {header!r} lacks {part!r}"
    for group in ("volume", "responsiveness", "quality", "citizens / trust", "diffusion", "cost"):
        assert group in out, f"summary table lacks the group {group!r}"
    response_line = next(line for line in out.splitlines() if "response_rate" in line)
    assert "%" in response_line and "share" in response_line, response_line
    assert "hours" in next(line for line in out.splitlines() if "median_response_hours" in line)
    assert f"to {out_dir}" in out, "the command says where results went"

    summary = json.loads((out_dir / "summary.json").read_text())
    for key in PROVENANCE_KEYS:
        assert key in summary, f"summary.json lacks {key}"
    assert summary["scenario"] == "baseline"
    assert summary["scenario_hash"] == expected.content_hash()
    assert summary["seed"] == 1 and summary["version"] == __version__
    assert 0.0 <= summary["response_rate"] <= 1.0
    daily = pd.read_csv(out_dir / "daily.csv")
    assert len(daily) == 2 and list(daily["day"]) == [0, 1]
    assert (daily["scenario_hash"] == expected.content_hash()).all()
    saved = load_scenario(out_dir / "scenario.toml")
    assert saved.content_hash() == expected.content_hash(), "scenario.toml reproduces the run"
    items = pd.read_csv(out_dir / "items.csv")
    requests = items[items["received"].notna() & (items["kind"] != "rumour")]
    assert len(requests) == summary["received"], "the item table has every request"
    assert (requests["status"] == "answered").mean() == summary["response_rate"]


def test_run_parquet_and_seed_and_default_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(
        capsys, "run", "closed_loop", *SMALL, "--seed", "7", "--format", "parquet"
    )
    assert code == 0, err
    folder = tmp_path / "out" / "closed_loop-seed7"
    assert (folder / "daily.parquet").is_file() and not (folder / "daily.csv").exists()
    assert (folder / "items.parquet").is_file() and not (folder / "items.csv").exists()
    daily = pd.read_parquet(folder / "daily.parquet")
    assert len(daily) == 2 and (daily["seed"] == 7).all()
    assert json.loads((folder / "summary.json").read_text())["seed"] == 7


def test_run_same_seed_same_numbers(capsys, tmp_path):
    for name in ("a", "b"):
        assert main(["run", "baseline", *SMALL, "--quiet", "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    a = json.loads((tmp_path / "a" / "summary.json").read_text())
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert a == b


def test_run_quiet_prints_only_where(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "run", "baseline", *SMALL, "--quiet", "--out", str(tmp_path))
    assert code == 0
    assert out.strip().splitlines() == [
        f"wrote summary.json, daily.csv, items.csv, daily.png, scenario.toml to {tmp_path}"
    ]


def test_progress_on_stderr_unless_quiet_or_short(capsys, tmp_path, monkeypatch):
    calls = []
    real = scenario_commands._run_with_progress

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(scenario_commands, "_run_with_progress", spy)
    # A short run: no progress at all.
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "a")]) == 0
    assert calls == [] and capsys.readouterr().err == ""
    monkeypatch.setattr(scenario_commands, "PROGRESS_THRESHOLD_SECONDS", 0.0)
    # capsys's stderr is not a terminal: plain lines, no bar; stdout keeps the results only.
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert len(calls) == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2, lines  # 2 days: one line per day (each is 50 %)
    assert lines[0].startswith("baseline: 1/2 days (50%), elapsed ") and ", eta " in lines[0]
    assert lines[1].startswith("baseline: 2/2 days (100%), elapsed ")
    assert "━" not in captured.err and "days (" not in captured.out
    # --quiet: none.
    assert main(["run", "baseline", *SMALL, "--quiet", "--out", str(tmp_path / "c")]) == 0
    assert len(calls) == 1 and capsys.readouterr().err == ""
    # A terminal (forced): a bar, not lines.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "d")]) == 0
    assert len(calls) == 2
    assert "days (" not in capsys.readouterr().err


def test_progress_estimate_grows_with_citizens_and_days():
    small = load_scenario("baseline", ["population.citizens=1000"])
    big = load_scenario("baseline", ["population.citizens=100000"])
    assert (
        scenario_commands.estimate_seconds(small, 2) < scenario_commands.PROGRESS_THRESHOLD_SECONDS
    )
    assert (
        scenario_commands.estimate_seconds(big, 365) > scenario_commands.PROGRESS_THRESHOLD_SECONDS
    )


def test_days_option_is_part_of_the_hash(capsys, tmp_path):
    assert (
        main(
            ["run", "baseline", "--days", "1", *SMALL[2:], "--quiet", "--out", str(tmp_path / "1")]
        )
        == 0
    )
    assert (
        main(
            ["run", "baseline", "--days", "2", *SMALL[2:], "--quiet", "--out", str(tmp_path / "2")]
        )
        == 0
    )
    capsys.readouterr()
    one = json.loads((tmp_path / "1" / "summary.json").read_text())
    two = json.loads((tmp_path / "2" / "summary.json").read_text())
    assert one["scenario_hash"] != two["scenario_hash"], "different horizons, different hashes"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "nosuch"], ["nosuch", "neither a file nor a bundled scenario", "baseline"]),
        (["run", "baselin"], ["did you mean 'baseline'?"]),
        (["run", "baseline", "--set", "staffing.operators"], ["--set", "expected key=value"]),
        (
            ["run", "baseline", "--set", "staffing.operatorz=3"],
            ["--set", "staffing.operatorz", "did you mean 'operators'?"],
        ),
        (
            ["show", "baseline", "--set", "accountability.rule=strict"],
            ["accountability.rule", "timeliness"],
        ),
        (["run", "baseline", "--days", "0"], ["--days", "at least 1"]),
        (
            ["run", "baseline", "--set", "mechanism.reply_propensity=0.5"],
            ["mechanism.reply_propensity", "moved to `staffing.reply_propensity`"],
        ),
    ],
)
def test_bad_input_gives_one_message_and_code_2(capsys, argv, expected):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith(f"microgov {argv[0]}: error: "), err
    for part in expected:
        assert part in err, f"stderr {err!r} lacks {part!r}"
    assert out == ""


def test_bad_scenario_file_names_file_field_and_rule(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline.toml"\n[staffing]\noperators = -1\n')
    code, _, err = run_cli(capsys, "run", str(bad), "--out", str(tmp_path / "o"))
    assert code == 2
    assert str(bad) in err and "staffing.operators" in err and "greater than or equal to 0" in err
    assert not (tmp_path / "o").exists(), "nothing is written for a bad scenario"


def test_unwritable_output_folder(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(blocker))
    assert code == 2 and "--out" in err and "Traceback" not in err


def test_missing_command_and_unknown_option_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["run", "baseline", "--format", "xlsx"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --------------------------------------------------------------------------- validate


def test_validate_all_bundled(capsys):
    files = sorted(str(p) for p in bundled_scenario_dir().glob("*.toml"))
    code, out, _ = run_cli(capsys, "validate", *files)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(files)
    baseline = load_scenario("baseline")
    assert any(
        line.startswith("OK") and "baseline" in line and baseline.content_hash() in line
        for line in lines
    ), out


def test_validate_reports_each_bad_file_and_fails(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[mechanism]\npreset = "closed"\n')
    edges = tmp_path / "edges.csv"
    edges.write_text("1,2\n3\n")
    broken_graph = tmp_path / "graph.toml"
    broken_graph.write_text('[network]\nkind = "edge_list"\nedge_list = "edges.csv"\n')
    code, out, _ = run_cli(capsys, "validate", "baseline", str(bad), str(broken_graph))
    assert code == 2
    lines = out.strip().splitlines()
    assert lines[0].startswith("OK")
    assert (
        lines[1].startswith("ERROR")
        and "mechanism.preset" in lines[1]
        and "closed_loop" in lines[1]
    )
    assert lines[2].startswith("ERROR") and "line 2" in lines[2] and "network.edge_list" in lines[2]


# --------------------------------------------------------------------------- show


@pytest.mark.parametrize("name", ["baseline", "all_remedies", "edge_list_example"])
def test_show_round_trips_to_the_same_hash(capsys, tmp_path, name):
    code, out, _ = run_cli(capsys, "show", name)
    assert code == 0
    tomllib.loads(out)  # valid TOML
    path = tmp_path / "shown.toml"
    path.write_text(out)
    assert load_scenario(path).content_hash() == load_scenario(name).content_hash()
    assert f"# hash {load_scenario(name).content_hash()}" in out


def test_show_applies_overrides(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "show", "baseline", "--set", "staffing.operators=6")
    assert code == 0
    assert tomllib.loads(out)["staffing"]["operators"] == 6
    assert "# with --set staffing.operators=6" in out
    path = tmp_path / "six.toml"
    path.write_text(out)
    expected = load_scenario("baseline", ["staffing.operators=6"]).content_hash()
    assert load_scenario(path).content_hash() == expected


# --------------------------------------------------------------------------- list, help


def test_list_shows_every_bundled_scenario(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for path in bundled_scenario_dir().glob("*.toml"):
        assert path.stem in out, f"list lacks {path.stem}"
    for text in (
        "release_only",
        "closed_loop",
        "proactive",
        "timeliness",
        "2 × office hours",
        "24x7",
    ):
        assert text in out, f"list lacks {text!r}"
    assert "Status quo: a release-only" in out, "the purpose (description) is shown"


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"microgov {__version__}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["run", "validate", "show", "list", "examples", "Exit codes"]),
        (["run"], ["SCENARIO", "--seed", "--days", "--set", "--out", "parquet", "--quiet"]),
        (["validate"], ["FILE", "hash"]),
        (["show"], ["fully resolved", "same hash"]),
        (["list"], ["bundled"]),
    ],
)
def test_help_is_useful(capsys, argv, expected):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # undo line wrapping
    for part in expected:
        assert part in out, f"'microgov {' '.join(argv)} --help' lacks {part!r}"


# --------------------------------------------------------------------------- console script


def test_console_script_runs_and_refuses_bad_scenarios(tmp_path):
    assert MICROGOV.exists(), f"console script not installed at {MICROGOV}"
    ok = subprocess.run(
        [str(MICROGOV), "run", "baseline", *SMALL, "--quiet", "--out", str(tmp_path / "ok")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "ok" / "summary.json").is_file()

    bad = tmp_path / "bad.toml"
    bad.write_text("[staffing]\noperatorz = 3\n")
    failed = subprocess.run(
        [str(MICROGOV), "run", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert str(bad) in failed.stderr and "staffing.operatorz" in failed.stderr
    assert "did you mean 'operators'?" in failed.stderr


# --------------------------------------------------------------------------- registry, speed


def test_every_registered_command_is_built_from_its_module_with_the_registry_help(capsys):
    from simulation.cli import COMMANDS, build_parser

    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert list(choices) == [command.name for command in COMMANDS]
    for command in COMMANDS:
        sub = choices[command.name]
        assert sub.get_default("handler") is not None, f"{command.name} has no handler"
        assert sub.get_default("handler").__module__ == command.module
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    for command in COMMANDS:
        assert f"{command.name} {command.help}" in out


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_list_loads_neither_pandas_nor_other_commands():
    loaded = _modules_after("from simulation.cli import main\nmain(['list'])")
    # numpy may load: the schema reads the extension registries (rules, generators).
    heavy = {"pandas", "mesa", "networkx", "simulation.model", "simulation.cli.experiments"}
    assert not heavy & loaded, sorted(heavy & loaded)
    assert "simulation.cli.scenarios" in loaded


def test_version_loads_no_scenario_machinery():
    loaded = _modules_after(
        "from simulation.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    heavy = {"pydantic", "numpy", "rich", "simulation.scenario", "simulation.cli.scenarios"}
    assert not heavy & loaded, sorted(heavy & loaded)
