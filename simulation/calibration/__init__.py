"""Calibration: fitting a scenario to an account's own records.

An analyst has their account's records — one row per citizen item with when it was
posted and when it first got a reply — and wants the model's free parameters set so
that the simulated account looks like theirs:

1. `records`: read and check the records (`read_records`), summarise them
   (`record_statistics`: reply rate, reply-time quantiles, hourly arrival profile,
   items per day and, when reply types are given, the one-sided share), and the same
   from the model's item store for runs of the same length (`simulate_statistics`,
   `simulate_records`);
2. `distance`: the mismatch, a weighted sum of squared differences (`distance`);
3. `search`: the parameters (`parse_params`) searched with Optuna's TPE sampler in a
   resumable SQLite study (`calibrate`);
4. `report`: the fitted scenario, a report with figures and the study's history
   (`write_outputs`);
5. `cli`: the `microgov calibrate` command.

`import simulation` does not import this package; Optuna, matplotlib and the model are
imported when used.
"""

from simulation.calibration.distance import DISTANCE_SCALES, Distance, Term, distance
from simulation.calibration.records import (
    QUANTILES,
    DataError,
    Records,
    RecordStats,
    read_records,
    record_statistics,
    simulate_records,
    simulate_statistics,
    write_records,
)
from simulation.calibration.report import write_outputs
from simulation.calibration.search import CalibrationResult, Parameter, calibrate, parse_params

__all__ = [
    "DISTANCE_SCALES",
    "QUANTILES",
    "CalibrationResult",
    "DataError",
    "Distance",
    "Parameter",
    "RecordStats",
    "Records",
    "Term",
    "calibrate",
    "distance",
    "parse_params",
    "read_records",
    "record_statistics",
    "simulate_records",
    "simulate_statistics",
    "write_outputs",
    "write_records",
]
