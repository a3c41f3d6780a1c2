"""Loading scenario files: TOML, `extends`, relative paths, bundled names, overrides.

Loading order: the file's TOML → merged over the file it `extends` (recursively) →
dotted overrides (`staffing.operators=6`) → validation (`simulation.scenario.schema`)
→ mechanism preset resolved. Scenario files never execute code.

Files are read with `read_toml`: a regular file within the TOML size cap
(`simulation.inputs`), UTF-8 with or without a byte-order mark, tables and arrays
nested at most `MAX_NESTING` deep; `extends` chains are at most `MAX_EXTENDS` files
long. Experiment files are read the same way.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from simulation.format import excerpt
from simulation.inputs import (
    EDGE_LIST,
    TOML,
    check_input,
    check_nesting,
    read_input_text,
    too_deep,
)
from simulation.scenario.errors import ScenarioError, did_you_mean
from simulation.scenario.overrides import SOURCE as OVERRIDES
from simulation.scenario.overrides import parse_overrides, set_dotted
from simulation.scenario.schema import (
    MAX_DAYS,
    RunSettings,
    Scenario,
    check_event_days,
    default_departments,
    validate,
)

# The repository's scenarios/ folder, three levels above this file.
_BUNDLED = Path(__file__).resolve().parents[2] / "scenarios"

MAX_EXTENDS = 16  # files in one chain of `extends` [files]


def bundled_scenario_dir() -> Path:
    """Folder of the bundled scenario files (the repository's `scenarios/`)."""
    env = os.environ.get("MICROGOV_SCENARIOS")
    if env:
        return Path(env)
    return _BUNDLED


def resolve_scenario_path(name_or_path: str | os.PathLike) -> Path:
    """A path as given, or the bundled scenario of that name (`baseline` → scenarios/…)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or os.sep in str(name_or_path):
        return path
    return bundled_scenario_dir() / f"{path.name}.toml"


def load_scenario(
    name_or_path: str | os.PathLike, overrides: dict[str, Any] | list[str] | None = None
) -> Scenario:
    """Load, merge (`extends`), override and validate a scenario file.

    Raises ScenarioError naming the file, the field path and what is allowed.
    """
    path = resolve_scenario_path(name_or_path)
    if not path.exists() and path != Path(name_or_path):
        bundled = sorted(p.stem for p in bundled_scenario_dir().glob("*.toml"))
        raise ScenarioError(
            str(name_or_path),
            None,
            f"neither a file nor a bundled scenario{did_you_mean(path.stem, bundled)}; "
            f"bundled scenarios: {', '.join(bundled)}",
        )
    raw = _load_raw(path, stack=())
    raw.setdefault("name", path.stem)
    file_days = _run_days(raw)
    items = parse_overrides(overrides or {})
    for key, value in items:
        set_dotted(raw, key, value)
    check_nesting(raw, OVERRIDES)
    _add_default_departments(raw)
    try:
        scenario = validate(raw, str(path))
        check_event_days(scenario, file_days, str(path))
    except ScenarioError as exc:
        raise _blame_override(exc, items, path) from None
    return scenario


def _run_days(raw: dict[str, Any]) -> int | None:
    """The run length a file sets itself (with what it extends), if it is a valid one."""
    run = raw.get("run")
    default = RunSettings.model_fields["days"].default
    days = run.get("days", default) if isinstance(run, dict) else default if run is None else None
    if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_DAYS:
        return days
    return None


def _add_default_departments(raw: dict[str, Any]) -> None:
    """The default departments, under what the file and overrides say of them.

    A `[departments.<name>]` table or a `--set departments.<name>.…` adjusts that
    department and keeps the others. Departments are the topics: a `topic_mix` that
    leaves a default department out leaves that department out too; a name in
    neither is refused by the scenario's checks (it would get no work).
    """
    given = raw.get("departments")
    if given is not None and not isinstance(given, dict):
        return  # refused by validation, naming the field
    population = raw.get("population")
    mix = population.get("topic_mix") if isinstance(population, dict) else None
    defaults: dict[str, dict[str, Any]] = {
        name: {} for name in default_departments() if not isinstance(mix, dict) or name in mix
    }
    raw["departments"] = _deep_merge(defaults, given or {})


def _blame_override(exc: ScenarioError, items: list[tuple[str, Any]], path: Path) -> ScenarioError:
    """An error in a field set on the command line names the override, not the file."""
    for key, _ in items:
        # The override's own field, a place inside it, or the section or table it made.
        if exc.field and (
            exc.field == key
            or exc.field.startswith((key + ".", key + "["))
            or key.startswith(exc.field + ".")
        ):
            return ScenarioError(OVERRIDES, exc.field, f"{exc.message} (overriding {path})")
    return exc


def read_toml(
    path: Path, field: str | None = None, error: type[ScenarioError] = ScenarioError
) -> dict[str, Any]:
    """A TOML file's content: read within its cap, parsed, and its nesting checked.

    A byte-order mark at the start is accepted. An error quotes at most a short,
    escaped excerpt of the offending line.
    """
    source = str(path)
    text = read_input_text(path, TOML, field, error)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(source, field, _toml_problem(exc, text)) from None
    except RecursionError:
        raise error(source, field, too_deep()) from None
    check_nesting(raw, source, field, error)
    return raw


_TOML_POSITION = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$", re.DOTALL)


def _toml_problem(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """`invalid TOML at line 3, column 7: Invalid value; the line reads 'x = …'`."""
    match = _TOML_POSITION.match(str(exc))
    if not match:
        return f"invalid TOML: {exc}"
    what, line, column = match.group(1), int(match.group(2)), match.group(3)
    lines = text.splitlines()
    shown = f"; the line reads {excerpt(lines[line - 1])}" if 0 < line <= len(lines) else ""
    return f"invalid TOML at line {line}, column {column}: {what}{shown}"


def _load_raw(path: Path, stack: tuple[Path, ...]) -> dict[str, Any]:
    source = str(path)
    if not path.exists():
        bundled = sorted(p.stem for p in bundled_scenario_dir().glob("*.toml"))
        hint = did_you_mean(path.stem, bundled)
        raise ScenarioError(
            source, None, f"file not found{hint}; bundled scenarios: {', '.join(bundled)}"
        )
    resolved = path.resolve()
    if resolved in stack:
        chain = " -> ".join(p.name for p in (*stack, resolved))
        raise ScenarioError(source, "extends", f"circular 'extends': {chain}")
    if len(stack) >= MAX_EXTENDS:
        raise ScenarioError(
            source,
            "extends",
            f"a chain of more than {MAX_EXTENDS} files extending one another "
            f"(from {stack[0].name}); shorten the chain",
        )
    raw = read_toml(path)
    _resolve_relative_paths(raw, path.parent, source)
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise ScenarioError(source, "extends", "must be a file name such as 'baseline.toml'")
    parent_path = _parent_path(path, parent_ref)
    try:
        check_input(parent_path, TOML)
    except ScenarioError as exc:
        raise ScenarioError(source, "extends", f"'{parent_ref}': {exc.message}") from None
    try:
        parent = _load_raw(parent_path, (*stack, resolved))
    except ScenarioError as exc:
        if exc.field == "extends" and ("circular" in exc.message or "chain" in exc.message):
            raise
        raise ScenarioError(
            exc.source, exc.field, exc.message + f" (extended by {path.name})"
        ) from None
    parent.pop("name", None)
    parent.pop("description", None)
    return _deep_merge(parent, raw)


def _parent_path(path: Path, parent_ref: str) -> Path:
    """The file `extends` names: next to the file, else bundled; refused with a hint."""
    parent_path = path.parent / parent_ref
    if parent_path.exists():
        return parent_path
    name = parent_ref if parent_ref.endswith(".toml") else f"{parent_ref}.toml"
    bundled = bundled_scenario_dir() / Path(name).name
    if bundled.exists():
        return bundled
    nearby = {p.stem for p in path.parent.glob("*.toml") if p != path}
    known = sorted(nearby | {p.stem for p in bundled_scenario_dir().glob("*.toml")})
    raise ScenarioError(
        str(path),
        "extends",
        f"'{parent_ref}' not found next to {path.name} or bundled"
        f"{did_you_mean(Path(name).stem, known)}; bundled scenarios: "
        f"{', '.join(sorted(p.stem for p in bundled_scenario_dir().glob('*.toml')))}",
    )


def _resolve_relative_paths(raw: dict, base: Path, source: str) -> None:
    network = raw.get("network")
    if isinstance(network, dict) and isinstance(network.get("edge_list"), str):
        edge_path = Path(network["edge_list"])
        if not edge_path.is_absolute():
            edge_path = base / edge_path
        if not edge_path.exists():
            raise ScenarioError(source, "network.edge_list", f"file not found: {edge_path}")
        try:
            check_input(edge_path, EDGE_LIST)
        except ScenarioError as exc:
            raise ScenarioError(
                source, "network.edge_list", f"{edge_path}: {exc.message}"
            ) from None
        network["edge_list"] = str(edge_path.resolve())


# Mixes are wholes: a file that gives one replaces the inherited one.
_REPLACED_WHOLE = ("kind_mix", "topic_mix")


def _deep_merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if (
            isinstance(value, dict)
            and isinstance(out.get(key), dict)
            and key not in _REPLACED_WHOLE
        ):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
