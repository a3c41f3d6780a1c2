"""The search: the parameters to fit, Optuna's study over them, and `calibrate`.

**Replications and common random numbers.** Every trial runs the same `replications`
seeds (`1000 · seed + 1 …`), so two parameter sets are compared on the same random
draws wherever they behave alike. The replications' items are pooled before the
statistics are computed (the item-weighted average of the replications' rates and
profiles; quantiles of the pooled replies are steadier than a mean of small-sample
quantiles).

The study is Optuna's TPE sampler (seeded), stored in SQLite when given a file, so a
stopped calibration resumes; a study made for other data, parameters or settings is
refused. Optuna is imported only when a calibration runs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.calibration.distance import DISTANCE_SCALES, Distance, distance
from simulation.calibration.records import (
    DataError,
    Records,
    RecordStats,
    default_horizon_hours,
    read_records,
    record_statistics,
    simulate_statistics,
)
from simulation.calibration.report import write_outputs
from simulation.codes import HOURS_PER_DAY
from simulation.safe_write import OutputDir
from simulation.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenario_dir,
    did_you_mean,
    load_scenario,
    parse_overrides,
    resolve_scenario_path,
)
from simulation.seeds import replication_seeds

if TYPE_CHECKING:
    import optuna

STUDY_NAME = "calibration"


def trial_seeds(seed: int, replications: int) -> list[int]:
    """The seeds every trial runs (common random numbers): 1000 · seed + 1 … + R.

    Spaced by 1000 per root seed, so fits with neighbouring `--seed`s share no runs.
    """
    return replication_seeds(1000 * int(seed), replications, offset=1)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Parameter:
    """A scenario setting to fit (dotted key), its bounds and its value in the base."""

    key: str
    low: float
    high: float
    integer: bool = False
    log: bool = False
    base_value: float | None = None

    def suggest(self, trial: optuna.Trial) -> float | int:
        """The trial's value of this parameter, drawn by optuna within the bounds."""
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, log=self.log)

    def bounds_text(self) -> str:
        """The bounds for a report, e.g. `1–4` or `0.1–10 (log)`."""
        fmt = (lambda x: f"{int(x)}") if self.integer else (lambda x: f"{x:g}")
        return f"{fmt(self.low)}–{fmt(self.high)}" + (" (log)" if self.log else "")


def _numeric_leaves(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_numeric_leaves(value, dotted + "."))
        elif not isinstance(value, list):
            out[dotted] = value
    return out


def parse_params(
    scenario: Scenario,
    params: Mapping[str, Sequence[Any]] | Sequence[str],
) -> list[Parameter]:
    """Check the parameters to fit: known numeric keys, ordered bounds, both allowed.

    `params` is `{"population.need_rate_per_day": (0.005, 0.05)}` (a third element
    "log" searches on a log scale) or command-line items `"key=lo:hi"` / `"key=lo:hi:log"`.
    Raises ScenarioError with a did-you-mean hint.
    """
    if isinstance(params, Mapping):
        items = [(str(k), tuple(v)) for k, v in params.items()]
    else:
        items = [_parse_param_text(text) for text in params]
    if not items:
        raise ScenarioError("--params", None, "name at least one parameter, e.g. key=lo:hi")
    leaves = _numeric_leaves(scenario.to_dict())
    numeric = sorted(
        k
        for k, v in leaves.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and not k.startswith("run.")
    )
    parameters = []
    seen = set()
    for key, bounds in items:
        if key in seen:
            raise ScenarioError("--params", key, "given twice")
        seen.add(key)
        if key not in leaves or key.startswith("run."):
            hint = did_you_mean(key, numeric)
            if key.startswith("run."):
                message = "run settings are not model parameters; the record sets the length"
            else:
                message = f"not a scenario setting{hint}"
            raise ScenarioError("--params", key, message)
        current = leaves[key]
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(
                "--params",
                key,
                f"is a {type(current).__name__} setting ({current!r}); only numbers can be fitted",
            )
        if len(bounds) not in (2, 3) or (len(bounds) == 3 and bounds[2] != "log"):
            raise ScenarioError(
                "--params", key, f"expected (low, high) or (low, high, 'log'), got {bounds!r}"
            )
        integer = isinstance(current, int)
        low, high = _bound(bounds[0], key, integer), _bound(bounds[1], key, integer)
        if not low < high:
            raise ScenarioError("--params", key, f"low bound {low:g} must be below high {high:g}")
        log = len(bounds) == 3
        if log and low <= 0:
            raise ScenarioError(
                "--params", key, f"a log scale needs a positive low bound ({low:g})"
            )
        for which, value in (("low", low), ("high", high)):
            try:
                scenario.with_overrides({key: value})
            except ScenarioError as exc:
                raise ScenarioError(
                    "--params", key, f"{which} bound {value:g} is not allowed: {exc.message}"
                ) from None
        parameters.append(Parameter(key, low, high, integer, log, float(current)))
    return parameters


def _bound(value: Any, key: str, integer: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError("--params", key, f"bound {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ScenarioError("--params", key, f"bound {value!r} must be finite")
    if integer and number != int(number):
        raise ScenarioError("--params", key, f"is a whole number; bound {value!r} is not")
    return int(number) if integer else number


def _parse_param_text(text: str) -> tuple[str, tuple[str, ...]]:
    key, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not key.strip() or len(parts) not in (2, 3):
        raise ScenarioError(
            "--params",
            text,
            "expected KEY=LOW:HIGH (or KEY=LOW:HIGH:log), e.g. staffing.handling_minutes=5:60",
        )
    return key.strip(), tuple(p.strip() for p in parts)


def _round_value(value: float, integer: bool) -> float | int:
    """A fitted value as written to fitted.toml: integers as such, floats to 4 digits."""
    if integer:
        return int(round(value))
    return float(f"{value:.4g}")


def _description(base: Scenario, records: Records, parameters: list[Parameter]) -> str:
    keys = ", ".join(p.key for p in parameters)
    return f"{base.name} fitted to {Path(records.source).name} ({keys})."


# --------------------------------------------------------------------------- calibrate


@dataclass
class CalibrationResult:
    """What a calibration found, with everything needed to write its outputs."""

    parameters: list[Parameter]
    fitted_values: dict[str, float | int]  # rounded as in fitted.toml
    distance: Distance  # of the fitted values (re-run)
    best_trial_distance: float  # the study's best trial (unrounded values)
    observed: RecordStats
    simulated: RecordStats
    records: Records
    base: Scenario
    fitted: Scenario
    history: pd.DataFrame
    trials: int  # completed trials in the study
    trials_run: int  # of which run by this call
    replications: int
    seed: int
    seeds: list[int]
    study_path: Path | None
    scenario_ref: str | None  # what fitted.toml extends (None: the base is written out)
    base_overrides: dict[str, Any]
    simulated_items: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    seconds: float = 0.0
    base_distance: float | None = None  # trial 0, the base scenario's values, if run


def calibrate(
    scenario: Scenario | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame | Records,
    params: Mapping[str, Sequence[Any]] | Sequence[str],
    trials: int = 50,
    replications: int = 3,
    seed: int = 1,
    study_path: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    days: int | None = None,
    horizon_hours: float | None = None,
    scales: Mapping[str, float] | None = None,
    progress: Callable[[int, int, float, float], None] | None = None,
) -> CalibrationResult:
    """Fit `params` of `scenario` to the records in `data`; see the module docstring.

    - `scenario`: a Scenario, a scenario file or a bundled name; `overrides` are dotted
      settings applied to it first (and written to fitted.toml with the fitted values).
    - `params`: `{"key": (low, high)}` or `(low, high, "log")`; integer settings stay
      integers.
    - `trials`: total completed trials wanted in the study; a resumed study runs only
      the missing ones. `replications` seeds per trial, the same in every trial.
    - `study_path`: the SQLite file (or a folder for `study.db`); default
      `out/study.db` when `out` is given, else an in-memory study (not resumable).
    - `out`: when given, the outputs are written there (`write_outputs`).
    - `progress(done, total, distance, best)` is called after each trial.

    Raises ScenarioError (DataError for the records) for anything that cannot be used.
    """
    started = time.perf_counter()
    if trials < 1:
        raise ScenarioError("--trials", None, f"must be at least 1 (got {trials})")
    if replications < 1:
        raise ScenarioError("--replications", None, f"must be at least 1 (got {replications})")
    if seed < 0:
        raise ScenarioError("--seed", None, f"must be 0 or more (got {seed})")
    base, scenario_ref, base_overrides = _base_scenario(scenario, overrides)
    records = read_records(data, days)
    if records.start_weekday and records.start_weekday != base.run.start_weekday:
        base = base.with_overrides({"run.start_weekday": records.start_weekday})
        base_overrides["run.start_weekday"] = records.start_weekday
    parameters = parse_params(base, params)
    horizon = default_horizon_hours(records.days) if horizon_hours is None else horizon_hours
    if not 0 < horizon < records.days * HOURS_PER_DAY:
        raise ScenarioError(
            "--horizon-hours",
            None,
            f"must be above 0 and below the record's {records.days * 24} hours (got {horizon:g})",
        )
    observed = record_statistics(records.frame, records.days, horizon)
    if not observed.eligible:
        raise DataError(
            records.source,
            None,
            f"no item was posted {horizon:g} hours or more before the record ends, so no "
            "reply rate can be measured; give a shorter --horizon-hours",
        )
    if out is not None and study_path is None:
        study_path = Path(out) / "study.db"
    study_file = _study_file(study_path)
    seeds = trial_seeds(seed, replications)
    distance(observed, observed, scales)  # refuse unknown scale names before any run

    import optuna

    settings = {
        "data": records.fingerprint(),
        "days": records.days,
        "scenario_hash": base.content_hash(),
        "parameters": [[p.key, p.low, p.high, p.integer, p.log] for p in parameters],
        "replications": replications,
        "seed": seed,
        "horizon_hours": horizon,
        "scales": {**DISTANCE_SCALES, **(scales or {})},
    }
    with _quiet_optuna():
        study = _open_study(study_file, settings)
    if not study.trials:
        # The first trial is the base scenario's own values (when inside the bounds): the
        # distance before calibration, for the report.
        start = _base_trial(parameters)
        if start is not None:
            study.enqueue_trial(start)
    complete = _completed(study)
    remaining = max(0, trials - len(complete))
    # A resumed study reseeds its sampler by the trials it holds, so a resumed run does
    # not repeat the first run's random start-up points.
    study.sampler = optuna.samplers.TPESampler(
        seed=seed + len(study.trials),
        n_startup_trials=max(3, min(10, trials // 3)),
        multivariate=True,
    )

    def objective(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in parameters}
        try:
            candidate = base.with_overrides(values)
        except ScenarioError as exc:  # e.g. a combination another field forbids
            trial.set_user_attr("error", str(exc))
            return float("nan")
        stats, _ = simulate_statistics(candidate, seeds, records.days, horizon)
        result = distance(observed, stats, scales)
        trial.set_user_attr("statistics", stats.to_dict())
        trial.set_user_attr("terms", {k: t.contribution for k, t in result.terms.items()})
        return result.total

    callbacks = []
    if progress is not None:
        total = len(complete) + remaining

        def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            done = len(_completed(study))
            best = min(
                (t.value for t in _completed(study) if t.value is not None), default=float("nan")
            )
            progress(done, total, trial.value if trial.value is not None else math.nan, best)

        callbacks.append(report)
    if remaining:
        with _quiet_optuna():
            study.optimize(objective, n_trials=remaining, callbacks=callbacks)
    complete = _completed(study)
    if not complete:
        errors = {t.user_attrs.get("error") for t in study.trials if t.user_attrs.get("error")}
        raise ScenarioError(
            "--params", None, "no trial could run: " + "; ".join(sorted(e for e in errors if e))
        )
    best = study.best_trial
    assert best.value is not None  # the best trial is a completed one, so it has a value
    fitted_values = {p.key: _round_value(best.params[p.key], p.integer) for p in parameters}
    fitted = base.with_overrides(
        {
            **fitted_values,
            "name": f"{base.name}_fitted",
            "description": _description(base, records, parameters),
        }
    )
    simulated, items = simulate_statistics(fitted, seeds, records.days, horizon)
    result = CalibrationResult(
        parameters=parameters,
        fitted_values=fitted_values,
        distance=distance(observed, simulated, scales),
        best_trial_distance=float(best.value),
        observed=observed,
        simulated=simulated,
        records=records,
        base=base,
        fitted=fitted,
        history=_history(study, parameters),
        trials=len(complete),
        trials_run=remaining,
        replications=replications,
        seed=seed,
        seeds=seeds,
        study_path=study_file,
        scenario_ref=scenario_ref,
        base_overrides=base_overrides,
        simulated_items=items,
    )
    result.seconds = time.perf_counter() - started
    first = study.trials[0]
    if first.system_attrs.get("fixed_params") is not None and first.value is not None:
        result.base_distance = float(first.value)
    if out is not None:
        write_outputs(result, out)
    return result


def _base_scenario(
    scenario: Scenario | str | os.PathLike, overrides: Mapping[str, Any] | Sequence[str] | None
) -> tuple[Scenario, str | None, dict[str, Any]]:
    """The base scenario, the reference fitted.toml extends, and the overrides as a dict."""
    items = dict(parse_overrides(overrides)) if overrides else {}
    if isinstance(scenario, Scenario):
        base = scenario.with_overrides(items) if items else scenario
        return base, None, items
    path = resolve_scenario_path(scenario)
    base = load_scenario(scenario, overrides=items or None)
    resolved = path.resolve()
    bundled = bundled_scenario_dir().resolve()
    ref = resolved.name if resolved.parent == bundled else str(resolved)
    return base, ref, items


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's per-trial log lines off for a while (the progress callback reports)."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def _study_file(study_path: str | os.PathLike | None) -> Path | None:
    if study_path is None:
        return None
    path = Path(study_path)
    if path.suffix != ".db":
        path = path / "study.db"
    OutputDir(path.parent, source="--out").create()
    path = path.parent.resolve() / path.name
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ScenarioError(
            "--out",
            None,
            f"{path} is a symbolic link or not a file; the study is written only to a "
            "real file in the output folder",
        )
    return path


def study_url(study_file: Path) -> str:
    """The SQLite URL of a study file: its absolute path, quoted.

    SQLAlchemy decodes %-escapes and reads `?` as the start of options, so a folder
    named `%2e%2e` or `fit?mode=ro` must be quoted to stay the folder it is.
    """
    return "sqlite:///" + urllib.parse.quote(str(Path(study_file).resolve()), safe="/")


def _open_study(study_file: Path | None, settings: dict[str, Any]) -> optuna.Study:
    """Create or resume the study; refuse to resume one made for other settings."""
    import optuna
    from optuna.trial import TrialState

    storage = None
    if study_file is not None:
        storage = optuna.storages.RDBStorage(study_url(study_file))
    study = optuna.create_study(
        study_name=STUDY_NAME, storage=storage, direction="minimize", load_if_exists=True
    )
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", json.loads(json.dumps(settings)))
    else:
        mismatched = [k for k, v in json.loads(json.dumps(settings)).items() if stored.get(k) != v]
        if mismatched:
            raise ScenarioError(
                str(study_file),
                None,
                "this study was made for other settings ("
                + ", ".join(_SETTING_NAMES.get(k, k) for k in mismatched)
                + " differ); choose another --out, or delete the study file to start afresh",
            )
    if storage is not None:
        # Trials left running by a calibration that was stopped will never finish.
        study_id = storage.get_study_id_from_name(STUDY_NAME)
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
    return study


_SETTING_NAMES = {
    "data": "the records",
    "days": "the record's length",
    "scenario_hash": "the scenario",
    "parameters": "the parameters or their bounds",
    "replications": "--replications",
    "seed": "--seed",
    "horizon_hours": "--horizon-hours",
    "scales": "the distance scales",
}


def _base_trial(parameters: list[Parameter]) -> dict[str, float | int] | None:
    """The base scenario's values as a trial, or None if one is unknown or out of bounds."""
    trial: dict[str, float | int] = {}
    for p in parameters:
        if p.base_value is None or not p.low <= p.base_value <= p.high:
            return None
        trial[p.key] = int(p.base_value) if p.integer else p.base_value
    return trial


def _completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _history(study: optuna.Study, parameters: list[Parameter]) -> pd.DataFrame:
    """One row per finished trial: number, state, parameters, distance, best so far."""
    from optuna.trial import TrialState

    rows = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.RUNNING:
            continue
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name.lower()}
        for p in parameters:
            row[p.key] = trial.params.get(p.key, np.nan)
        row["distance"] = trial.value if trial.state == TrialState.COMPLETE else np.nan
        for name in DISTANCE_SCALES:
            row[f"term_{name}"] = trial.user_attrs.get("terms", {}).get(name, np.nan)
        rows.append(row)
    history = pd.DataFrame(rows)
    if len(history):
        history["best_so_far"] = history["distance"].cummin()
        history = history.dropna(axis=1, how="all")
    return history
