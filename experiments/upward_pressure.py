"""Upward pressure: calibrate operators' inclination to reply and the weight of a threat.

Chen, Pan & Xu (2016, AJPS) posted identical requests for help to the online forums of
2,103 Chinese county governments, some saying the author would complain to upper
levels if the request went unmet. About one third of the plain requests got a reply,
and the threat raised responsiveness by roughly 8 percentage points. The model has two
parameters for these two figures: `staffing.reply_propensity`, operators' own
inclination to engage with an item, and `staffing.escalation_weight`, the extra worth
of replying per escalation (a stated threat counts as one). This script fits them:
**calibration, not validation** — the validation's checks of the same two figures
(`docs/validation.md`, "reply_rate_baseline" and "upward_pressure_threat") only confirm
the fit on fresh seeds.

For every pair on a grid it runs the baseline (the one-third target: the share of
requests, i.e. needs, that got a reply) and the baseline where a fifth of the authors
state the threat (randomised within each run, like the field experiment's requests:
the reply rate of requests with the threat minus without), on common seeds. Each run's
figures are noisy (the threat's effect by about ±1.5 pp at sixteen seeds), so the fit is made
on smooth surfaces fitted to the whole grid by least squares: the reply rate linear in
both parameters, the threat's effect proportional to the weight (no weight, no effect)
with a slope linear in the propensity. The fitted pair solves both surfaces for the two
targets; the grid pair closest to them (distance in units of ±2 pp) is shown beside it.

    python experiments/upward_pressure.py              # full: 5 x 5 pairs x 16 seeds x 2
    python experiments/upward_pressure.py --jobs 2
    python experiments/upward_pressure.py --smoke      # tiny, seconds (for tests)

Outputs (default out/experiments/upward_pressure/): report.md, calibration.csv (one row
per pair: reply rate, threat effect, distance), runs.csv, heatmap_response_rate.png,
heatmap_threat_effect.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import Experiment, float_list, parse_args  # noqa: E402

from simulation.experiment import plots, stats, sweep  # noqa: E402
from simulation.experiment.designs import Grid  # noqa: E402
from simulation.format import metric_text  # noqa: E402
from simulation.validation.checks import THREAT_SHARE  # noqa: E402

PROPENSITY = "staffing.reply_propensity"
WEIGHT = "staffing.escalation_weight"
# Chen, Pan & Xu (2016): about one third replied at baseline; the threat to complain to
# upper levels added roughly 8 percentage points.
TARGET_REPLY_RATE = 1.0 / 3.0
TARGET_THREAT_EFFECT = 0.08
TOLERANCE = 0.02  # of either figure, the unit of distance [share]

FULL = {
    # Seed to seed the baseline's reply rate varies by about ±0.04: six seeds fitted the
    # propensity 0.03 high, so the fit uses sixteen.
    "replications": 16,
    "days": 30,
    "citizens": None,
    "propensities": [-0.85, -0.8, -0.75, -0.7, -0.65],
    "weights": [0.0, 0.05, 0.1, 0.15, 0.2],
}
SMOKE = {
    "replications": 2,
    "days": 5,
    "citizens": 2000,
    "propensities": [-0.9, -0.7],
    "weights": [0.0, 0.3],
}


def add_options(parser) -> None:
    parser.add_argument(
        "--propensities", type=float_list, default=None, help="reply propensities to try"
    )
    parser.add_argument("--weights", type=float_list, default=None, help="escalation weights")


def threat_effects(items: pd.DataFrame) -> pd.DataFrame:
    """Per run (point, replication): reply rate with the threat, without, and the gap."""
    requests = items[(items["status"] != "not_received") & (items["kind"] != "rumour")]
    replied = requests.assign(replied=requests["replies"] > 0)
    rates = replied.groupby(["point", "replication", "threat"], observed=True)["replied"].mean()
    wide = rates.unstack("threat").rename(columns={True: "with_threat", False: "without"})
    return wide.assign(threat_effect=wide["with_threat"] - wide["without"]).reset_index()


def fit_surfaces(table: pd.DataFrame) -> tuple[float, float]:
    """The pair at which the least-squares surfaces meet both targets.

    reply rate ≈ a + b·propensity + c·weight; threat effect ≈ weight·(e + f·propensity).
    """
    p, w = table[PROPENSITY].to_numpy(float), table[WEIGHT].to_numpy(float)
    reply, effect = table["response_rate"].to_numpy(float), table["threat_effect"].to_numpy(float)
    (a, b, c), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(p), p, w]), reply, rcond=None)
    (e, f), *_ = np.linalg.lstsq(np.column_stack([w, w * p]), effect, rcond=None)
    weight = 0.1
    for _ in range(100):  # fixed point: the propensity for the weight, the weight for it
        propensity = (TARGET_REPLY_RATE - a - c * weight) / b
        weight = TARGET_THREAT_EFFECT / (e + f * propensity)
    return float(propensity), float(weight)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment(
        "upward_pressure",
        args,
        title="Calibration of the reply propensity and the weight of upward pressure",
        question=(
            f"Which pair of `{PROPENSITY}` and `{WEIGHT}` makes the baseline answer about "
            "one third of requests and a stated threat to complain to upper levels raise "
            "that by about 8 percentage points (Chen, Pan & Xu 2016)? This is a "
            "calibration: two parameters fitted to two figures."
        ),
    )
    exp.method = (
        "Grid of the two parameters; at each pair the baseline and the baseline with a "
        f"share {THREAT_SHARE:g} of authors stating the threat, on common seeds. Distance: "
        f"((reply rate − 1/3)² + (threat effect − 0.08)²)^½ / {TOLERANCE:g}. Intervals: "
        "95 % Student t intervals over seeds."
    )
    design = Grid({PROPENSITY: args.propensities, WEIGHT: args.weights})
    plain = exp.counted(sweep(exp.scenario("baseline"), design, **exp.sweep_options("plain")))
    threatened = exp.counted(
        sweep(
            exp.scenario("baseline", **{"population.threat_share": THREAT_SHARE}),
            design,
            keep_items=True,
            **exp.sweep_options("threatened"),
        )
    )
    runs = pd.concat(
        [plain.runs.assign(arm="baseline"), threatened.runs.assign(arm="with threats")],
        ignore_index=True,
    )
    exp.table(runs, "runs", "one row per run, both arms")
    assert threatened.items is not None  # keep_items=True
    effects = threat_effects(threatened.items)
    base = plain.runs[plain.runs["error"].isna()]
    rows = []
    for point, values in enumerate(design.points()):
        reply = base.loc[base["point"] == point, "response_rate"].to_numpy(dtype=float)
        effect = effects.loc[effects["point"] == point, "threat_effect"].to_numpy(dtype=float)
        reply_ci = _t_interval(reply)
        effect_ci = _t_interval(effect)
        reply_mean = float(np.mean(reply)) if len(reply) else np.nan
        effect_mean = float(np.mean(effect)) if len(effect) else np.nan
        distance = (
            np.hypot(reply_mean - TARGET_REPLY_RATE, effect_mean - TARGET_THREAT_EFFECT) / TOLERANCE
        )
        rows.append(
            {
                "point": point,
                **values,
                "response_rate": reply_mean,
                "response_rate_ci_low": reply_ci[0],
                "response_rate_ci_high": reply_ci[1],
                "threat_effect": effect_mean,
                "threat_effect_ci_low": effect_ci[0],
                "threat_effect_ci_high": effect_ci[1],
                "distance": distance,
            }
        )
    table = pd.DataFrame(rows)
    exp.table(table, "calibration", "per pair: reply rate, threat effect, distance")
    heat = base.merge(effects[["point", "replication", "threat_effect"]], how="left")
    for metric in ("response_rate", "threat_effect"):
        data = heat if metric == "threat_effect" else base
        gap = metric == "threat_effect"  # a gap between two reply rates: percentage points
        exp.figure(
            plots.heatmap(data, WEIGHT, PROPENSITY, metric, unit="share", difference=gap),
            f"heatmap_{metric}",
            f"{metric.replace('_', ' ')} by pair",
        )

    report = exp.report
    report.section("What came out")
    fitted = table.dropna(subset=["distance"])
    if fitted.empty:
        report.paragraph("No pair gave both figures; nothing was fitted.")
        exp.finish()
        return 0
    best = fitted.loc[fitted["distance"].idxmin()]
    if len(fitted) >= 4 and fitted[WEIGHT].nunique() > 1 and fitted[PROPENSITY].nunique() > 1:
        propensity, weight = fit_surfaces(fitted)
        report.paragraph(
            f"**Fitted on the surfaces: `{PROPENSITY}` = {propensity:.3f}, `{WEIGHT}` = "
            f"{weight:.3f}** (the reply rate linear in both, the threat's effect "
            "proportional to the weight with a slope linear in the propensity, least "
            "squares over the grid; rounded to two decimals for the defaults)."
        )
    report.paragraph(
        f"On the grid itself, the closest pair is `{PROPENSITY}` = {best[PROPENSITY]:g} and `{WEIGHT}` = "
        f"{best[WEIGHT]:g}: the baseline replies to "
        f"{metric_text('response_rate', best['response_rate'])} "
        f"[{metric_text('response_rate', best['response_rate_ci_low'])}, "
        f"{metric_text('response_rate', best['response_rate_ci_high'])}] of requests "
        f"(target one third) and the threat adds {best['threat_effect'] * 100:+.1f} pp "
        f"[{best['threat_effect_ci_low'] * 100:+.1f}, {best['threat_effect_ci_high'] * 100:+.1f}]"
        f" (target +8 pp), {best['distance']:.2f} tolerances from both targets."
    )
    near = fitted.nsmallest(5, "distance")
    report.paragraph(f"The {len(near)} closest pairs:")
    report.table(
        pd.DataFrame(
            {
                PROPENSITY: near[PROPENSITY],
                WEIGHT: near[WEIGHT],
                "reply rate": [metric_text("response_rate", v) for v in near["response_rate"]],
                "threat effect": [f"{v * 100:+.1f} pp" for v in near["threat_effect"]],
                "distance": [f"{v:.2f}" for v in near["distance"]],
            }
        )
    )
    no_weight = fitted[fitted[WEIGHT] == 0.0]
    if len(no_weight):
        report.paragraph(
            "Without any weight on upward pressure the threat changes replies by "
            + ", ".join(f"{v * 100:+.1f} pp" for v in no_weight["threat_effect"])
            + " (one per propensity): what is left is noise and the small load the threat "
            "arm's other replies put on the desk."
        )
    report.paragraph("![reply rate](heatmap_response_rate.png)")
    report.paragraph("![threat effect](heatmap_threat_effect.png)")
    exp.finish()
    return 0


def _t_interval(values: np.ndarray) -> tuple[float, float]:
    interval = stats.t_interval(values)
    return (interval["ci_low"], interval["ci_high"])


if __name__ == "__main__":
    raise SystemExit(main())
