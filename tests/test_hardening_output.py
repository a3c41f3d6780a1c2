"""Writing only where asked (simulation/safe_write.py), the study's file, the page's guard.

Output folders: names checked, files replaced atomically, links inside the folder
replaced and never followed, an experiment file's outputs.dir kept in its folder, a
full disk said as such. Calibration: the SQLite study lands at the literal path asked
for. The page: requests whose Host or Origin is not this machine are refused (403).
"""

from __future__ import annotations

import errno
import importlib.util
import os
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.safe_write import OutputDir, OutputError, check_name, confined_folder

HAS_SOLARA = importlib.util.find_spec("solara") is not None
needs_solara = pytest.mark.skipif(not HAS_SOLARA, reason="solara is not installed")
TINY = ["--replications", "2", "--days", "2", "--set", "population.citizens=300"]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name", ["../x.csv", "/etc/passwd", "a/../../b", "", ".", "a//b", "a\\b", "C:/x", "x\x00"]
)
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name):
    with pytest.raises(ValueError):
        check_name(name)
    with pytest.raises(OutputError, match=str(tmp_path)):
        OutputDir(tmp_path).write_text(name, "no")
    assert list(tmp_path.iterdir()) == []


def test_plain_names_and_subfolders_are_written_inside(tmp_path):
    folder = OutputDir(tmp_path / "out")
    assert (
        folder.write_text("validation/results.json", "{}")
        == tmp_path / "out/validation/results.json"
    )
    assert (tmp_path / "out/validation/results.json").read_text() == "{}"
    assert check_name("a/b.png").parts == ("a", "b.png")


# --------------------------------------------------------------------------- links, atomicity


def test_a_link_at_the_destination_is_replaced_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "daily.csv").symlink_to(victim)
    OutputDir(out).write_text("daily.csv", "new table")
    assert victim.read_text() == "precious"
    assert not (out / "daily.csv").is_symlink() and (out / "daily.csv").read_text() == "new table"


def test_a_comparison_into_an_existing_folder_does_not_follow_its_links(capsys, tmp_path):
    """The defect: `microgov compare --out` over a folder whose daily.csv was a link."""
    victim = tmp_path / "victim.csv"
    victim.write_text("precious")
    out = tmp_path / "res"
    out.mkdir()
    for name in ("daily.csv", "runs.csv", "comparison.md"):
        (out / name).symlink_to(victim)
    code, _, err = run_cli(
        capsys, "compare", "baseline", "closed_loop", *TINY, "--no-figures", "--out", out, "-q"
    )
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert not any(p.is_symlink() for p in out.iterdir())
    assert len(pd.read_csv(out / "daily.csv")) > 0


def test_a_linked_subfolder_inside_the_output_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "validation").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="is a symbolic link"):
        OutputDir(out).write_text("validation/results.json", "{}")
    assert list(elsewhere.iterdir()) == []


def test_the_named_folder_itself_may_be_a_link(capsys, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (tmp_path / "out").symlink_to(scratch, target_is_directory=True)
    code, _, err = run_cli(
        capsys, "run", "baseline", "--days", "1", "--out", tmp_path / "out", "-q"
    )
    assert code == 0, err
    assert {"summary.json", "daily.csv", "items.csv", "scenario.toml"} <= {
        p.name for p in scratch.iterdir()
    }


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    folder = OutputDir(tmp_path)
    folder.write_text("table.csv", "old")
    with pytest.raises(RuntimeError), folder.open("table.csv") as handle:
        handle.write(b"half of the new")
        raise RuntimeError("the writer broke")
    assert (tmp_path / "table.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_folder_where_a_file_should_go_is_refused(tmp_path):
    (tmp_path / "runs.csv").mkdir()
    with pytest.raises(OutputError, match="cannot write runs.csv"):
        OutputDir(tmp_path).write_text("runs.csv", "x")


@pytest.mark.parametrize(
    ("code", "said"),
    [(errno.ENOSPC, "the disk is full"), (errno.EDQUOT, "the disk quota is exceeded")],
)
def test_a_full_disk_is_said_as_such(tmp_path, code, said):
    folder = OutputDir(tmp_path, source="--out")
    refused = pytest.raises(OutputError, match=f"--out: cannot write a.csv: {said}")
    with refused as caught, folder.open("a.csv") as handle:
        handle.write(b"x")
        raise OSError(code, os.strerror(code))
    assert caught.value.full_disk
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_during_a_sweep_names_the_store_not_the_executor(capsys, tmp_path, monkeypatch):
    import simulation.experiment.store as store_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.pq, "write_table", full)
    out = tmp_path / "grid"
    code, _, err = run_cli(
        capsys, "sweep", "baseline", "--grid", "staffing.operators=1,2", *TINY, "--out", out, "-q"
    )
    assert code == 2
    assert f"{out}: the disk is full" in err and "--resume" in err
    assert "cannot run there" not in err


# --------------------------------------------------------------------------- experiment files


def _grid_file(folder: Path, outputs_dir: str) -> Path:
    path = folder / "grid.toml"
    path.write_text(
        'name = "grid"\nscenario = "baseline"\ndays = 1\nmetrics = ["response_rate"]\n'
        '[set]\n"population.citizens" = 300\n'
        '[design]\ntype = "grid"\nparameters = { "staffing.training" = [0.0, 0.2] }\n'
        f"[outputs]\ndir = {outputs_dir!r}\nfigures = false\n".replace("'", '"')
    )
    return path


@pytest.mark.parametrize("outputs_dir", ["../elsewhere", "/tmp/anywhere", "a/../../b"])
def test_an_experiment_file_cannot_send_outputs_out_of_its_folder(capsys, tmp_path, outputs_dir):
    home = tmp_path / "experiments"
    home.mkdir()
    path = _grid_file(home, outputs_dir)
    code, _, err = run_cli(capsys, "experiment", path, "--check")
    assert code == 2
    assert f"{path}: outputs.dir: '{outputs_dir}' leads outside {home}" in err and "--out" in err


def test_a_link_in_the_files_folder_cannot_lead_outputs_away(capsys, tmp_path):
    home = tmp_path / "experiments"
    home.mkdir()
    (tmp_path / "victim").mkdir()
    (home / "results").symlink_to(tmp_path / "victim", target_is_directory=True)
    code, _, err = run_cli(capsys, "experiment", _grid_file(home, "results"), "--check")
    assert code == 2 and "leads outside" in err


def test_outputs_dir_is_relative_to_the_file_and_out_overrides_it(capsys, tmp_path, monkeypatch):
    home = tmp_path / "experiments"
    home.mkdir()
    monkeypatch.chdir(tmp_path)  # not the file's folder
    path = _grid_file(home, "results/grid")
    code, out, err = run_cli(capsys, "experiment", path, "--check")
    assert code == 0, err
    assert str(home / "results" / "grid") in out.replace("\n", "")
    escaping = _grid_file(home, "../elsewhere")
    code, out, err = run_cli(capsys, "experiment", escaping, "--check", "--out", tmp_path / "mine")
    assert code == 0, err


def test_confined_folder_accepts_the_folder_itself_and_below(tmp_path):
    assert confined_folder(".", tmp_path, "f") == tmp_path.resolve()
    assert confined_folder("a/b", tmp_path, "f") == tmp_path.resolve() / "a" / "b"
    assert confined_folder(str(tmp_path / "a"), tmp_path, "f") == tmp_path.resolve() / "a"


# --------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("name", ["%2e%2e", "fit?mode=ro", "a b#c"])
def test_the_study_file_is_the_literal_path_asked_for(tmp_path, name):
    optuna = pytest.importorskip("optuna")
    from simulation.calibration.search import _study_file, study_url

    study_file = _study_file(tmp_path / name)
    storage = optuna.storages.RDBStorage(study_url(study_file))
    study = optuna.create_study(study_name="s", storage=storage)
    study.enqueue_trial({"x": 1.0})  # writes to the database: not opened read-only
    storage.engine.dispose()
    assert (tmp_path / name / "study.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "nothing written beside it"
    assert not (tmp_path.parent / "study.db").exists()


def test_a_linked_study_file_is_refused(tmp_path):
    from simulation.calibration.search import _study_file
    from simulation.scenario import ScenarioError

    (tmp_path / "elsewhere.db").write_bytes(b"")
    (tmp_path / "fit").mkdir()
    (tmp_path / "fit" / "study.db").symlink_to(tmp_path / "elsewhere.db")
    with pytest.raises(ScenarioError, match="symbolic link"):
        _study_file(tmp_path / "fit")


# --------------------------------------------------------------------------- the page


def _guarded_app():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute

    from simulation.viz.serve import LocalOnly

    async def page(request):
        return PlainTextResponse("the page")

    async def channel(websocket):
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    app = Starlette(routes=[Route("/", page), WebSocketRoute("/ws", channel)])
    return LocalOnly(app)


def _call(kind: str, headers: dict[str, str]) -> list[dict]:
    """What the guarded app sends back to one HTTP request or websocket opening.

    A minimal ASGI server (Starlette's TestClient needs httpx, not installed here).
    """
    import asyncio

    scope = {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http" if kind == "http" else "ws",
        "method": "GET",
        "path": "/" if kind == "http" else "/ws",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8765),
        "subprotocols": [],
        "state": {},
    }
    incoming = (
        [{"type": "http.request", "body": b"", "more_body": False}]
        if kind == "http"
        else [{"type": "websocket.connect"}]
    )
    sent: list[dict] = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        return {"type": "http.disconnect" if kind == "http" else "websocket.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(_guarded_app()(scope, receive, send))
    return sent


GOOD_HOSTS = ["localhost:8765", "127.0.0.1:8765", "[::1]:8765", "localhost", "127.0.0.1:2222"]
BAD_HOSTS = ["evil.example", "evil.example:8765", "localhost.evil.example", "127.0.0.1.nip.io"]
BAD_ORIGINS = ["http://evil.example", "http://localhost.evil.example:8765", "null"]


def _status(headers: dict[str, str]) -> int:
    return _call("http", headers)[0]["status"]


@needs_solara
def test_the_page_refuses_a_hostile_host_or_origin_over_http():
    for host in GOOD_HOSTS:
        sent = _call("http", {"host": host})
        assert sent[0]["status"] == 200 and sent[1]["body"] == b"the page", host
        assert _status({"host": host, "origin": f"http://{host}"}) == 200, host
    for host in BAD_HOSTS:
        assert _status({"host": host}) == 403, host
    assert _status({}) == 403, "no Host at all"
    for origin in BAD_ORIGINS:
        assert _status({"host": "localhost:8765", "origin": origin}) == 403, origin


@needs_solara
def test_the_page_refuses_a_hostile_websocket():
    from simulation.viz.serve import WEBSOCKET_POLICY_VIOLATION

    good = _call("websocket", {"host": "localhost:8765", "origin": "http://localhost:8765"})
    assert [m["type"] for m in good[:2]] == ["websocket.accept", "websocket.send"]
    no_origin = _call("websocket", {"host": "127.0.0.1:9"})  # not a browser: fine
    assert no_origin[0]["type"] == "websocket.accept"
    for headers in (
        {"host": "localhost:8765", "origin": "http://evil.example"},
        {"host": "evil.example:8765", "origin": "http://evil.example:8765"},
        {"host": "evil.example:8765"},
    ):
        sent = _call("websocket", headers)
        # Closed before the handshake: the server answers the upgrade with 403.
        assert sent == [{"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION}], headers


@needs_solara
def test_the_server_serves_solaras_app_inside_the_guard(monkeypatch):
    import uvicorn.config

    from simulation.viz.cli import SERVER_MODULE, server_command
    from simulation.viz.serve import SOLARA_APPLICATION, LocalOnly, guard_solara

    command = server_command(9001)
    assert command[1:4] == ["-m", SERVER_MODULE, "run"]
    monkeypatch.setattr(uvicorn.config, "import_from_string", uvicorn.config.import_from_string)
    guard_solara()
    assert isinstance(uvicorn.config.import_from_string(SOLARA_APPLICATION), LocalOnly)
    assert not isinstance(uvicorn.config.import_from_string("uvicorn.main:main"), LocalOnly)


@pytest.mark.slow
@needs_solara
def test_the_running_page_answers_403_to_a_hostile_host_and_origin():
    import http.client

    from tests.test_viz import standalone_page

    def status(port: int, headers: dict[str, str], path: str = "/") -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers=headers)
        code = connection.getresponse().status
        connection.close()
        return code

    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    channel = "/jupyter/api/kernels/x/channels?session_id=y"
    with standalone_page(citizens=300) as (_, port, _output):
        assert status(port, {"Host": f"localhost:{port}"}) == 200
        assert status(port, {"Host": f"evil.example:{port}"}) == 403
        assert status(port, {"Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"}) == 403
        hostile = {**upgrade, "Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"}
        assert status(port, hostile, channel) == 403
