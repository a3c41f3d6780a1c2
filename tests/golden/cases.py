"""The golden cases: what is run, how its outputs are recorded, and how two are compared.

Every case is a name and a function that runs the model and returns its outputs as
plain data: the summary, the daily series (provenance left out) and, for the limit
cases the validation uses, the quantities the validation reads off a run. The recorded
set lives in `tests/golden/data/` (one JSON file a case) with the package versions it
was recorded with; `tests/test_golden.py` compares a fresh run with it exactly (floats to the last few
bits, which numpy's CPU-specific kernels round differently), and
`python -m tests.golden.regenerate` records it again and prints what moved.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
DAYS = 14
SEEDS = (1, 2)
# Provenance is not an output of the model's behaviour: a new version or a scenario
# file's comment may change it without any number moving.
PROVENANCE = ("scenario", "scenario_hash", "seed", "version")
# The packages whose versions decide the random draws and the arithmetic.
PINNED = ("numpy", "scipy", "networkx", "mesa", "pandas", "pydantic")

Outputs = dict[str, Any]


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and None as null, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        return None if math.isnan(x) else x
    return value


def run_outputs(result) -> Outputs:
    """Summary and daily series of a `RunResult`, provenance left out."""
    daily = result.daily.drop(columns=[c for c in PROVENANCE if c in result.daily.columns])
    return {
        "summary": _plain(dict(result.summary)),
        "daily": {column: _plain(daily[column].tolist()) for column in daily.columns},
    }


def _digest(values: np.ndarray) -> str:
    """A short fingerprint of an integer array too long to keep in full."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype=np.int64).tobytes()).hexdigest()[:16]


# --------------------------------------------------------------------------- the cases


def _scenario_case(name: str, seed: int, overrides: dict | None = None) -> Callable[[], Outputs]:
    def run() -> Outputs:
        from simulation import load_scenario, run_one

        scenario = load_scenario(SCENARIO_DIR / f"{name}.toml")
        if overrides:
            scenario = scenario.with_overrides(overrides)
        return run_outputs(run_one(scenario, seed=seed, days=DAYS))

    return run


# One variant for each network generator, queue discipline, appraisal rule, patience
# distribution and deadline kind, and for the other switches the bundled files leave
# at one value; each on the baseline (or, where referral matters, on the closed loop
# with the reply mandate, an account that answers: its operators weigh a reply at
# -0.74 + 1.25 = +0.51, near the +0.5 the process presets themselves assumed before
# the mandate became a lever of its own).
VARIANTS: dict[str, tuple[str, dict]] = {
    "network_small_world": ("baseline", {"network.kind": "small_world"}),
    "network_random": ("baseline", {"network.kind": "random"}),
    "network_barabasi_albert": ("baseline", {"network.kind": "barabasi_albert"}),
    "network_random_directed": (
        "baseline",
        {"network.kind": "random", "network.reciprocal": False},
    ),
    "discipline_fifo": ("closed_loop_mandate", {"mechanism.queue_discipline": "fifo"}),
    "discipline_deadline": ("baseline", {"mechanism.queue_discipline": "deadline"}),
    "discipline_visibility": ("closed_loop_mandate", {"mechanism.queue_discipline": "visibility"}),
    "rule_response_rate_closed_loop": (
        "closed_loop_mandate",
        {"accountability.rule": "response_rate", "accountability.period_days": 3},
    ),
    "rule_timeliness_disclosed": (
        "closed_loop_mandate",
        {
            "accountability.rule": "timeliness",
            "accountability.deadline_hours": 24.0,
            "accountability.public_disclosure": True,
            "accountability.period_days": 2,
        },
    ),
    "rule_satisfaction_joint": (
        "joint",
        {
            "accountability.rule": "satisfaction",
            "accountability.period_days": 2,
            "mandate.reply_norm": 1.25,
        },
    ),
    "patience_exponential": (
        "closed_loop_mandate",
        {"population.patience_distribution": "exponential"},
    ),
    "patience_lognormal": (
        "closed_loop_mandate",
        {"population.patience_distribution": "lognormal"},
    ),
    "patience_none": ("closed_loop_mandate", {"population.patience_distribution": "none"}),
    "deadline_working_days": (
        "closed_loop_mandate",
        {
            "accountability.rule": "timeliness",
            "accountability.deadline_working_days": 2,
            "accountability.period_days": 7,
        },
    ),
    "handling_lognormal": ("closed_loop_mandate", {"staffing.handling_distribution": "lognormal"}),
    "shifts_extended": ("closed_loop_mandate", {"staffing.shifts": "extended"}),
    "rhythm_flat": ("baseline", {"population.daily_rhythm": "flat"}),
    "referrals_untracked": ("closed_loop_mandate", {"mechanism.track_referrals": False}),
    "mandate_forbid_leaving": ("reply_mandate", {"mandate.forbid_leaving": True}),
    "escalation_priority_off": (
        "appraisal_response_rate",
        {"accountability.escalation_priority": False},
    ),
    # The channel choice switched to the follower-share rule (no preferences, waits
    # weighing nothing, no failover): the two accounts route as before the choice existed.
    "channel_choice_follower_share": (
        "weibo_and_wechat",
        {
            "channel_choice.wait_weight": 0.0,
            "channel_choice.trust_public_slope": 0.0,
            "channel_choice.kind_preference": {},
            "channel_choice.max_failovers": 0,
        },
    ),
    # The supervisor appraising every 3 days, so that its rankings, reprimands and their
    # pressure act within the golden runs' 14 days (the scenario's 30-day period does not).
    "supervision_period_3": (
        "city_district_hierarchy",
        {"supervision.period_days": 3, "population.threat_share": 0.2},
    ),
    # The hotline without its call rhythm and out-of-hours rule: every draw of the
    # bundled matrix as before they existed (their own streams draw nothing when off).
    "hotline_rules_off": (
        "shanghai_12333_matrix",
        {
            "accounts.hotline_12333.call_rhythm": "needs",
            "accounts.hotline_12333.after_hours": "queue",
        },
    ),
}


def _erlang_c() -> Outputs:
    from simulation.validation import queue_scenario, run_queue

    scenario = queue_scenario(2, 2.8, 2.0)
    return {"queue_run": _plain(run_queue(scenario, 0, 6, 1).__dict__)}


def _erlang_a() -> Outputs:
    from simulation.validation import queue_scenario, run_queue

    scenario = queue_scenario(4, 4.4, 1.0, 2.0)
    return {"queue_run": _plain(run_queue(scenario, 0, 6, 1).__dict__)}


def _queue_outputs(servers: int, lam: float, mu: float, patience: float | None) -> Outputs:
    from simulation import run_one
    from simulation.validation import queue_scenario

    return run_outputs(run_one(queue_scenario(servers, lam, mu, patience), seed=3, days=5))


def _office_hours() -> Outputs:
    from simulation.validation import backlog_by_hour, office_hours_scenario

    return {"backlog_by_hour": _plain(backlog_by_hour(office_hours_scenario(), 0, 6, 2))}


def _rumour_er(mutual: bool) -> Callable[[], Outputs]:
    def run() -> Outputs:
        from simulation import run_one
        from simulation.validation import rumour_cascade_sizes, rumour_scenario

        scenario = rumour_scenario(1000, 4.0, 0.5, 50, mutual=mutual)
        sizes, n = rumour_cascade_sizes(scenario, 0)
        return {
            "cascade_sizes": _plain(sizes),
            "citizens": n,
            **run_outputs(run_one(scenario, seed=4, days=1)),
        }

    return run


def _rumour_configuration_model() -> Outputs:
    from simulation.validation import (
        configuration_model_edges,
        edge_list_rumour_scenario,
        rumour_cascade_sizes,
    )

    edges, _ = configuration_model_edges(1500, 2.5, 2, np.random.default_rng(7))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edges.csv"
        np.savetxt(path, edges, fmt="%d", delimiter=",", header="source,target", comments="")
        sizes, n = rumour_cascade_sizes(edge_list_rumour_scenario(path, 0.5, 50), 0)
    return {"cascade_sizes": _plain(sizes), "citizens": n}


def _scenario_run(name: str) -> Callable[[], Outputs]:
    def run() -> Outputs:
        from simulation import load_scenario
        from simulation.validation import run_scenario

        scenario = load_scenario(SCENARIO_DIR / f"{name}.toml")
        observed = run_scenario(scenario, 5, DAYS, record=True)
        return {
            "summary": _plain(observed.summary),
            "multi_department_median_hours": _plain(observed.multi_department_median_hours),
            "multi_department_answered": _plain(observed.multi_department_answered),
            "ratings": observed.ratings,
            "public_posts_by_author": _digest(observed.public_posts_by_author),
            "public_posts": int(observed.public_posts_by_author.sum()),
            "activity_sum": _plain(float(observed.activity.sum())),
            "cascade_sizes": _plain(observed.cascade_sizes),
        }

    return run


def bundled_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def cases() -> dict[str, Callable[[], Outputs]]:
    """Every golden case by name."""
    found: dict[str, Callable[[], Outputs]] = {}
    for name in bundled_scenarios():
        for seed in SEEDS:
            found[f"scenario_{name}_seed{seed}"] = _scenario_case(name, seed)
    for variant, (base, overrides) in VARIANTS.items():
        found[f"variant_{variant}"] = _scenario_case(base, 1, overrides)
    found["limit_erlang_c_run"] = lambda: _queue_outputs(2, 2.8, 2.0, None)
    found["limit_erlang_a_run"] = lambda: _queue_outputs(4, 4.4, 1.0, 2.0)
    found["limit_erlang_c_waits"] = _erlang_c
    found["limit_erlang_a_waits"] = _erlang_a
    found["limit_office_hours_backlog"] = _office_hours
    found["limit_rumour_er_mutual"] = _rumour_er(True)
    found["limit_rumour_er_directed"] = _rumour_er(False)
    found["limit_rumour_configuration_model"] = _rumour_configuration_model
    for name in ("closed_loop", "joint", "proactive", "rumour_crisis_proactive"):
        found[f"observed_{name}"] = _scenario_run(name)
    return found


# --------------------------------------------------------------------------- storage


def versions() -> dict[str, str]:
    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for package in PINNED:
        found[package] = metadata.version(package)
    return found


def path_of(case: str) -> Path:
    return DATA / f"{case}.json"


def save(case: str, outputs: Outputs) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    path_of(case).write_text(
        json.dumps(outputs, indent=1, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8"
    )


def load(case: str) -> Outputs:
    return json.loads(path_of(case).read_text(encoding="utf-8"))


def save_versions() -> None:
    (DATA / "_versions.json").write_text(json.dumps(versions(), indent=1) + "\n", "utf-8")


def recorded_versions() -> dict[str, str]:
    path = DATA / "_versions.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


# --------------------------------------------------------------------------- comparison


# numpy picks its loops by the CPU it runs on (AVX2, AVX-512, ...), and a sum or a
# standard deviation over many values rounds differently in its last bits from one
# kernel to another: the same draws give, say, a trust_sd 2 units in the last place
# apart on two machines. A float counts as the same within this relative margin (a few
# hundred units in the last place); anything a change of draws or of behaviour moves
# moves by many orders of magnitude more.
FLOAT_MARGIN = 1e-13
FLOAT_MARGIN_NEAR_ZERO = 1e-16  # for a difference of two means that is itself ~0


def _same(a: Any, b: Any) -> bool:
    """Equality, with null == NaN, an integer equal to the same float, and floats equal
    within the rounding of numpy's CPU-specific kernels (`FLOAT_MARGIN`)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and isinstance(a, bool) == isinstance(b, bool)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(
            float(a), float(b), rel_tol=FLOAT_MARGIN, abs_tol=FLOAT_MARGIN_NEAR_ZERO
        )
    return a == b


def differences(recorded: Outputs, fresh: Outputs, limit: int = 20) -> list[str]:
    """Where `fresh` differs from `recorded`: one line per moved value (at most `limit`)."""
    found: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in a:
                    found.append(f"{where}{key}: new (={_show(b[key])})")
                elif key not in b:
                    found.append(f"{where}{key}: gone (was {_show(a[key])})")
                else:
                    walk(a[key], b[key], f"{where}{key}.")
            return
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                found.append(f"{where[:-1]}: length {len(a)} -> {len(b)}")
                return
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if not _same(x, y):
                    found.append(f"{where[:-1]}[{i}]: {_show(x)} -> {_show(y)}")
                    return  # the first moved entry of a series says enough
            return
        if not _same(a, b):
            found.append(f"{where[:-1]}: {_show(a)} -> {_show(b)}")

    walk(recorded, fresh, "")
    return found


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
