"""Input hardening: only the files meant are read, nothing runs from a file, messages are clean.

By area: scenario files (special files, caps, BOM, nesting, did-you-mean), experiment
files (a scheduler named only in the file, Dask not installed), edge lists (every id
checked, integer ids, streaming, declared nodes, population.citizens), calibration
records (special files, caps, excerpts), and what the command prints (escaped).

Reads that could hang (a FIFO) run under a watchdog, so a regression fails in seconds
instead of blocking the suite.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation import inputs
from simulation.calibration.records import DataError, read_records
from simulation.cli import main
from simulation.experiment.files import ExperimentFileError, load_experiment
from simulation.format import safe_text
from simulation.network import _HEADER_WORDS, build_graph, load_edge_list
from simulation.scenario import NetworkSettings, Scenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_EDGES = ROOT / "scenarios" / "data" / "example_edges.csv"
WATCHDOG_SECONDS = 5.0
ESCAPE = "\x1b[2J"  # clears the screen when printed raw


def within(seconds: float, function: Callable[[], Any]) -> Any:
    """Call `function`; fail (instead of hanging) if it takes longer than `seconds`."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s: it blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def refused(function: Callable[[], Any], error: type[Exception] = ScenarioError) -> Exception:
    """The error `function` raises, within the watchdog."""
    with pytest.raises(error) as info:
        within(WATCHDOG_SECONDS, function)
    return info.value


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fifo(tmp_path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


# --------------------------------------------------------------------------- scenario files


def test_extends_dev_zero_is_refused_before_reading(tmp_path):
    child = write(tmp_path, "child.toml", 'extends = "/dev/zero"\n')
    exc = refused(lambda: load_scenario(child))
    assert exc.source == str(child) and exc.field == "extends"
    assert "character device" in exc.message and "regular file" in exc.message


def test_a_fifo_is_refused_at_once_as_scenario_or_extends(tmp_path, fifo):
    exc = refused(lambda: load_scenario(fifo))
    assert "FIFO" in exc.message, exc
    child = write(tmp_path, "child.toml", f'extends = "{fifo.name}"\n')
    exc = refused(lambda: load_scenario(child))
    assert exc.field == "extends" and "FIFO" in exc.message, exc


def test_a_folder_is_refused(tmp_path):
    exc = refused(lambda: load_scenario(tmp_path))
    assert "is a folder" in exc.message


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_proc_environ_is_refused_without_showing_the_environment(tmp_path, monkeypatch):
    secret = "s3cr3t-token-4711"
    monkeypatch.setenv("MICROGOV_TEST_SECRET", secret)
    for target in ("/proc/self/environ", str(tmp_path / "child.toml")):
        if target != "/proc/self/environ":
            write(tmp_path, "child.toml", 'extends = "/proc/self/environ"\n')
        exc = refused(lambda t=target: load_scenario(t))
        assert secret not in str(exc) and "MICROGOV_TEST_SECRET" not in str(exc), exc
        assert "pseudo-file" in exc.message, exc
    # Where /proc is not recognised by its file system, its size of 0 gives it away.
    monkeypatch.setattr(inputs, "_pseudo_devices", lambda: set())
    exc = refused(lambda: load_scenario("/proc/self/environ"))
    assert secret not in str(exc) and "size of 0" in exc.message, exc


def test_a_scenario_over_the_cap_is_refused_and_the_cap_can_be_raised(tmp_path, monkeypatch):
    path = write(tmp_path, "big.toml", 'name = "big"\n' + "# padding\n" * 200)
    monkeypatch.setenv("MICROGOV_MAX_TOML_BYTES", "1kB")
    exc = refused(lambda: load_scenario(path))
    assert "MICROGOV_MAX_TOML_BYTES" in exc.message and "--max-input toml=" in exc.message
    monkeypatch.setenv("MICROGOV_MAX_TOML_BYTES", "1MB")
    assert load_scenario(path).name == "big"


def test_the_cap_holds_while_reading_a_file_that_grows(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGOV_MAX_TOML_BYTES", "100")
    path = write(tmp_path, "growing.toml", 'name = "x"\n')
    with inputs.open_input(path, inputs.TOML) as reader:
        with path.open("a") as handle:
            handle.write("# more\n" * 50)  # past the cap after the size was checked
        with pytest.raises(ScenarioError, match="grew past"):
            reader.read_all()
        assert reader.bytes_read <= 101, "read more than cap + 1 bytes"


def test_a_bad_size_in_the_variable_names_the_variable(monkeypatch):
    monkeypatch.setenv("MICROGOV_MAX_TOML_BYTES", "lots")
    exc = refused(lambda: load_scenario("baseline"))
    assert exc.source == "MICROGOV_MAX_TOML_BYTES"


@pytest.mark.parametrize(
    "text, size", [("1000", 1000), ("1kB", 1000), ("2GB", 2 * 10**9), ("1 MiB", 2**20)]
)
def test_sizes_are_read_with_units(text, size):
    assert inputs.parse_size(text) == size
    assert inputs.parse_size("2 parsecs") is None


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = write(
        tmp_path, "bom.toml", 'name = "with_bom"\n[staffing]\noperators = 3\n', "utf-8-sig"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    scenario = load_scenario(path)
    assert scenario.name == "with_bom" and scenario.staffing.operators == 3


def test_a_toml_error_quotes_a_short_escaped_excerpt(tmp_path):
    long_value = "x" * 500
    path = write(tmp_path, "bad.toml", f'name = "ok"\nkey = {long_value}{ESCAPE} oops\n')
    exc = refused(lambda: load_scenario(path))
    text = str(exc)
    assert "line 2" in text and "invalid TOML" in text
    assert "\x1b" not in text and "\\x1b" not in text, "the excerpt is cut before the escape"
    assert long_value not in text and "…" in text, "at most a short excerpt is quoted"
    path = write(tmp_path, "esc.toml", f'name = "ok"\nk{ESCAPE} = 1 2\n')
    text = str(refused(lambda: load_scenario(path)))
    assert "\x1b" not in text and "\\x1b[2J" in text, text


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 1000 + "]" * 1000 + "\n",  # nested arrays (tomllib recurses)
        "[" + ".".join(["a"] * 1000) + "]\n",  # nested tables
        "[departments.x" + ".a" * 30 + "]\nb = 1\n",  # deep, inside a real section
    ],
    ids=["arrays", "tables", "in-section"],
)
def test_deep_nesting_is_refused_cleanly(tmp_path, text):
    exc = refused(lambda: load_scenario(write(tmp_path, "deep.toml", text)))
    assert "nested more than" in exc.message, exc


def test_deep_overrides_are_refused_cleanly():
    deep_value = "[" * 1000 + "]" * 1000
    for override in (f"staffing.operators={deep_value}", "a" + ".a" * 1000 + "=1"):
        exc = refused(lambda o=override: load_scenario("baseline", [o]))
        assert exc.source == "--set", exc
    exc = refused(lambda: load_scenario("baseline", ["events=" + "[" * 40 + "]" * 40]))
    assert "nested more than" in exc.message


def test_long_extends_chains_and_cycles_are_refused(tmp_path):
    for i in range(40):
        write(tmp_path, f"c{i}.toml", f'extends = "c{i + 1}.toml"\n')
    write(tmp_path, "c40.toml", 'name = "end"\n')
    exc = refused(lambda: load_scenario(tmp_path / "c0.toml"))
    assert exc.field == "extends" and "chain of more than" in exc.message
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    exc = refused(lambda: load_scenario(tmp_path / "a.toml"))
    assert "circular" in exc.message


def test_an_event_type_typo_gets_a_did_you_mean(tmp_path):
    path = write(tmp_path, "ev.toml", '[[events]]\ntype = "rumor"\ntopic = "pensions"\nday = 1\n')
    exc = refused(lambda: load_scenario(path))
    assert exc.source == str(path) and exc.field == "events[0].type"
    assert "did you mean 'rumour'?" in exc.message and "burst, rumour" in exc.message
    assert "Input tag" not in exc.message, "no pydantic internals"


def test_an_extends_typo_gets_a_did_you_mean(tmp_path):
    write(tmp_path, "my_base.toml", 'name = "my_base"\n')
    exc = refused(lambda: load_scenario(write(tmp_path, "a.toml", 'extends = "baselin"\n')))
    assert exc.field == "extends" and "did you mean 'baseline'?" in exc.message
    exc = refused(lambda: load_scenario(write(tmp_path, "b.toml", 'extends = "my_bse"\n')))
    assert "did you mean 'my_base'?" in exc.message, "files next to it are suggested too"


def test_a_section_set_to_a_value_says_it_is_a_section():
    exc = refused(lambda: load_scenario("baseline", ["staffing=4"]))
    assert exc.source == "--set" and exc.field == "staffing"
    assert "is a section" in exc.message and "operators" in exc.message
    assert "valid dictionary" not in exc.message, "no pydantic internals"


def test_days_out_of_range_names_the_days_option(capsys):
    code, _, err = run_cli(capsys, "run", "baseline", "--days", "100000")
    assert code == 2 and "error: --days:" in err and "--set" not in err, err


# --------------------------------------------------------------------------- printing


def test_control_characters_and_markup_in_user_text_are_printed_escaped(tmp_path, capsys):
    name = f"evil{ESCAPE}[bold]bold[/bold] :x:"
    path = write(tmp_path, "evil.toml", f'name = "{name.replace(chr(27), chr(92) + "u001b")}"\n')
    assert load_scenario(path).name == name
    code, out, _ = run_cli(capsys, "validate", str(path))
    assert code == 0 and "\x1b" not in out, repr(out)
    assert "evil\\x1b[2J[bold]bold[/bold] :x:" in out, repr(out)
    assert "❌" not in out, "emoji codes are not replaced"


def test_an_unknown_key_with_an_escape_code_is_reported_escaped(tmp_path, capsys):
    path = write(tmp_path, "key.toml", '[staffing]\n"op\\u001b[2Jerators" = 3\n')
    code, out, err = run_cli(capsys, "show", str(path))
    assert code == 2 and "\x1b" not in err and "op\\x1b[2Jerators" in err, repr(err)


def test_the_list_of_bundled_scenarios_escapes_names_and_descriptions(
    tmp_path, capsys, monkeypatch
):
    write(
        tmp_path,
        "odd.toml",
        'name = "odd\\u001b[31m[red]x[/red]"\ndescription = "a :x: [link=http://e]here[/link]"\n',
    )
    monkeypatch.setenv("MICROGOV_SCENARIOS", str(tmp_path))
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "\x1b" not in out and "odd\\x1b[31m[red]x[/red]" in out, repr(out)
    assert ":x:" in out and "[link=http://e]" in out, repr(out)


def test_safe_text_escapes_what_acts_on_a_terminal():
    assert safe_text(f"a{ESCAPE}b\u202ec\x07") == "a\\x1b[2Jb\\u202ec\\x07"
    assert safe_text("≥ × é 中文") == "≥ × é 中文", "ordinary text is kept"
    assert safe_text("x" * 100, 10) == "x" * 10 + "…"


# --------------------------------------------------------------------------- experiment files

COMPARISON = 'scenarios = ["baseline", "closed_loop"]\nreplications = 2\ndays = 2\n'


def test_a_scheduler_address_in_a_file_is_refused(tmp_path):
    path = write(tmp_path, "exp.toml", COMPARISON + 'scheduler = "tcp://203.0.113.9:8786"\n')
    exc = refused(lambda: load_experiment(path), ExperimentFileError)
    assert exc.source == str(path) and exc.field == "scheduler"
    assert "--scheduler tcp://203.0.113.9:8786" in exc.message
    assert "--allow-scheduler-from-file" in exc.message
    trusted = load_experiment(path, allow_scheduler_from_file=True)
    assert trusted.scheduler == "tcp://203.0.113.9:8786"
    chosen = load_experiment(path, scheduler="tcp://198.51.100.1:8786")
    assert chosen.scheduler == "tcp://198.51.100.1:8786", "the caller's address wins"
    local = write(tmp_path, "local.toml", COMPARISON + 'scheduler = "dask"\n')
    assert load_experiment(local).scheduler == "dask", "a local cluster needs no consent"


def test_the_command_uses_a_file_scheduler_only_when_confirmed(tmp_path, capsys):
    path = write(tmp_path, "exp.toml", COMPARISON + 'scheduler = "tcp://203.0.113.9:8786"\n')
    code, _, err = run_cli(capsys, "experiment", path, "--check")
    assert code == 2 and "scheduler" in err and "--allow-scheduler-from-file" in err, err
    for confirm in (["--scheduler", "tcp://203.0.113.9:8786"], ["--allow-scheduler-from-file"]):
        code, out, err = run_cli(capsys, "experiment", path, "--check", *confirm)
        assert code == 0 and out.startswith("OK"), err
    code, out, err = run_cli(capsys, "experiment", path, "--check", "--jobs", "2")
    assert code == 0, "--jobs replaces the file's scheduler: nothing to confirm"


def test_dask_without_the_cluster_extra_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    path = write(tmp_path, "exp.toml", COMPARISON + 'scheduler = "dask"\n')
    code, _, err = run_cli(capsys, "experiment", path, "--out", tmp_path / "out", "-q")
    assert code == 2 and "pip install 'microgov[cluster]'" in err, err
    assert "Traceback" not in err and "ModuleNotFoundError" not in err
    code, _, err = run_cli(
        capsys, "compare", "baseline", "closed_loop", "--scheduler", "dask", "-r", "1"
    )
    assert code == 2 and "microgov[cluster]" in err and "--scheduler" in err, err


def test_an_experiment_file_that_is_a_fifo_or_device_is_refused(tmp_path, fifo):
    exc = refused(lambda: load_experiment(fifo), ExperimentFileError)
    assert "FIFO" in exc.message
    exc = refused(lambda: load_experiment("/dev/zero"), ExperimentFileError)
    assert "character device" in exc.message


def test_an_experiment_file_with_a_bom_and_too_many_days(tmp_path):
    path = write(tmp_path, "bom.toml", COMPARISON, "utf-8-sig")
    assert load_experiment(path).days == 2
    path = write(tmp_path, "days.toml", COMPARISON.replace("days = 2", "days = 100000"))
    exc = refused(lambda: load_experiment(path), ExperimentFileError)
    assert exc.field == "days", exc


def test_deep_tables_in_an_experiment_file_are_refused(tmp_path):
    text = COMPARISON + "[set" + ".a" * 500 + "]\nb = 1\n"
    exc = refused(lambda: load_experiment(write(tmp_path, "deep.toml", text)), ExperimentFileError)
    assert "nested more than" in exc.message


# --------------------------------------------------------------------------- edge lists


def edges_file(tmp_path: Path, text: str, name: str = "edges.csv") -> Path:
    return write(tmp_path, name, text)


def reference_load(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The edge list as read before streaming (whole text, np.unique): for comparison."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.replace(",", " ").split()]
        if not rows and {f.lower() for f in fields[:2]} & _HEADER_WORDS:
            continue
        rows.append((int(fields[0]), int(fields[1])))
    ids = np.array(rows, dtype=np.int64)
    labels, codes = np.unique(ids.ravel(), return_inverse=True)
    codes = codes.reshape(-1, 2)
    return codes[:, 1], codes[:, 0], len(labels)  # follower_followee


def test_the_streaming_reader_gives_the_graph_the_whole_file_reader_gave(tmp_path):
    rng = np.random.default_rng(3)
    ids = rng.choice(10**9, size=300, replace=False)
    pairs = rng.choice(ids, size=(2000, 2))
    random_file = edges_file(tmp_path, "source,target\n" + "\n".join(f"{a},{b}" for a, b in pairs))
    for path in (EXAMPLE_EDGES, random_file):
        src, dst, labels = load_edge_list(path, "follower_followee")
        ref_src, ref_dst, n = reference_load(path)
        assert len(labels) == n, path
        assert np.array_equal(src, ref_src) and np.array_equal(dst, ref_dst), path


def test_the_edge_list_is_read_line_by_line_not_whole(tmp_path, monkeypatch):
    def whole(*args, **kwargs):
        raise AssertionError("the edge list was read whole")

    monkeypatch.setattr(inputs.CappedReader, "read_all", whole)
    monkeypatch.setattr(Path, "read_text", whole)
    src, _, labels = load_edge_list(EXAMPLE_EDGES, "follower_followee")
    assert len(labels) == 400 and len(src) > 1500
    long_line = edges_file(tmp_path, "1,2\n" + "3" * (inputs.MAX_LINE_BYTES + 10) + ",4\n")
    exc = refused(lambda: load_edge_list(long_line, "undirected"))
    assert "line 2 is longer than" in exc.message


def test_every_id_is_checked_not_only_the_first_thousand(tmp_path):
    lines = [f"{i},{i + 1}" for i in range(2000)] + ["2000,alice"]
    path = edges_file(tmp_path, "\n".join(lines) + "\n")
    exc = refused(lambda: load_edge_list(path, "undirected"))
    assert exc.field == "network.edge_list" and "line 2001" in exc.message
    assert "'alice' is not an integer" in exc.message


def test_one_and_one_point_zero_are_refused_not_two_citizens(tmp_path):
    path = edges_file(tmp_path, "1,2\n2,3\n1.0,3\n")
    exc = refused(lambda: load_edge_list(path, "undirected"))
    assert "line 3" in exc.message and "'1.0' is not an integer" in exc.message


def test_integer_ids_are_numbers_so_leading_zeros_name_the_same_node(tmp_path):
    _, _, labels = load_edge_list(edges_file(tmp_path, "7,8\n007,9\n+8,9\n"), "undirected")
    assert labels.tolist() == [7, 8, 9]


def test_names_are_ids_too_ordered_as_text(tmp_path):
    path = edges_file(tmp_path, "bob,alice\ncarol,bob\n1.0,alice\n")
    src, dst, labels = load_edge_list(path, "follower_followee")
    assert labels.tolist() == ["1.0", "alice", "bob", "carol"]
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == [(1, 0), (1, 2), (2, 3)]


def test_a_node_count_line_adds_citizens_without_follows(tmp_path):
    path = edges_file(tmp_path, "# nodes: 12\n0,1\n1,2\n5,1\n")
    settings = NetworkSettings(kind="edge_list", edge_list=str(path))
    graph = build_graph(settings, 10_000, 0.0, np.random.default_rng(1))
    assert graph.n_citizens == 12
    counts = graph.follower_counts[:12]
    assert counts[[3, 4, 6, 7, 8, 9, 10, 11]].sum() == 0, "ids on no edge have no follows"
    outside = edges_file(tmp_path, "# nodes: 3\n0,1\n1,3\n", "outside.csv")
    exc = refused(lambda: load_edge_list(outside, "undirected"))
    assert "outside 0..2" in exc.message
    names = edges_file(tmp_path, "# nodes: 3\na,b\n", "names.csv")
    assert "needs integer ids" in refused(lambda: load_edge_list(names, "undirected")).message


def test_population_citizens_must_agree_with_an_edge_list():
    base = Scenario().with_overrides(
        {"network.kind": "edge_list", "network.edge_list": str(EXAMPLE_EDGES)}
    )
    rng = np.random.default_rng(1)
    for citizens in (10_000, 400):  # the default, or the file's node count
        assert build_graph(base.network, citizens, 0.3, rng).n_citizens == 400
    exc = refused(lambda: build_graph(base.network, 500, 0.3, rng))
    assert exc.field == "population.citizens"
    assert "500" in exc.message and "400 nodes" in exc.message and "# nodes: N" in exc.message


def test_an_edge_list_that_is_a_device_fifo_or_proc_file_is_refused(tmp_path, fifo):
    for target in ("/dev/zero", str(fifo), "/proc/self/environ"):
        if not Path(target).exists():
            continue
        text = f'[network]\nkind = "edge_list"\nedge_list = "{target}"\n'
        scenario_file = write(tmp_path, "graph.toml", text)
        exc = refused(lambda p=scenario_file: load_scenario(p))
        assert exc.source == str(scenario_file) and exc.field == "network.edge_list", exc
        assert "not a regular file" in exc.message, exc
        exc = refused(
            lambda t=target: Scenario().with_overrides(
                {"network.kind": "edge_list", "network.edge_list": t}
            )
        )
        assert "regular file" in exc.message, exc


def test_an_edge_list_over_its_cap_is_refused_and_the_option_raises_it(
    tmp_path, monkeypatch, capsys
):
    edges = edges_file(tmp_path, "".join(f"{i},{i + 1}\n" for i in range(200)))
    scenario_file = write(
        tmp_path, "graph.toml", '[network]\nkind = "edge_list"\nedge_list = "edges.csv"\n'
    )
    monkeypatch.setenv("MICROGOV_MAX_EDGE_LIST_BYTES", "1kB")
    exc = refused(lambda: load_scenario(scenario_file))
    assert "MICROGOV_MAX_EDGE_LIST_BYTES" in exc.message and exc.field == "network.edge_list"
    code, out, err = run_cli(capsys, "--max-input", "edge_list=10kB", "validate", scenario_file)
    assert code == 0 and out.startswith("OK"), err
    assert edges.stat().st_size > 1000
    code, _, err = run_cli(capsys, "--max-input", "edges=1MB", "list")
    assert code == 2 and "did you mean 'edge_list'?" in err


# --------------------------------------------------------------------------- calibration CSVs

RECORDS = "created,first_reply\n1.0,2.0\n3.0,\n"


def test_records_that_are_a_fifo_a_device_or_proc_are_refused(tmp_path, fifo):
    for target in (fifo, Path("/dev/zero"), Path("/proc/self/environ")):
        if target.exists():
            exc = refused(lambda t=target: read_records(t), DataError)
            assert "regular file" in exc.message, exc


def test_records_over_their_cap_are_refused(tmp_path, monkeypatch):
    path = write(tmp_path, "r.csv", RECORDS + "".join(f"{i}.5,\n" for i in range(5, 400)))
    monkeypatch.setenv("MICROGOV_MAX_RECORDS_BYTES", "1kB")
    exc = refused(lambda: read_records(path), DataError)
    assert "MICROGOV_MAX_RECORDS_BYTES" in exc.message
    monkeypatch.delenv("MICROGOV_MAX_RECORDS_BYTES")
    assert len(read_records(path).frame) == 397


def test_records_with_a_bom_are_read(tmp_path):
    path = write(tmp_path, "bom.csv", RECORDS, "utf-8-sig")
    assert list(read_records(path).frame["created"]) == [1.0, 3.0]


def test_a_bad_record_value_is_quoted_short_and_escaped(tmp_path):
    value = f"soon{ESCAPE}" + "y" * 300
    path = write(tmp_path, "bad.csv", f"created,first_reply\n1.0,2.0\n{value},\n")
    exc = refused(lambda: read_records(path), DataError)
    text = str(exc)
    assert "line 3" in text and "\x1b" not in text and "soon\\x1b[2J" in text, text
    assert "y" * 100 not in text, "only a short excerpt of the value is quoted"
