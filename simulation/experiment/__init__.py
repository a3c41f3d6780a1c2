"""Experiments: replications, comparisons and sweeps of `run_one`, their statistics and figures.

    from simulation.experiment import run, compare, sweep, Grid, Sobol, sobol_indices

- `api`: `run`, `compare`, `sweep`, `sobol_indices` and their results (`Results`,
  `SweepResults`, `Comparison`);
- `designs`: `Grid`, `LatinHypercube`, `Sobol`, `Morris`;
- `executors`: where runs happen (this process, local processes, Dask);
- `store`: a sweep's runs on disk, resumable;
- `tables`: the tidy tables of runs and run-days;
- `stats`: intervals of a mean (bootstrap and Student t), paired tests, Holm's correction;
- `plots`: figures of the tables (matplotlib, seaborn);
- `files`: experiment files (TOML) and the command line's options, checked;
- `reports`: a comparison's or sweep's tables, figures and terminal output.

Names load their module on first use, so `from simulation.experiment import stats`
does not load the model, and `import simulation` loads none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation._lazy import lazy_exports

_EXPORTS = {
    "HEADLINE_METRICS": "simulation.experiment.api",
    "Comparison": "simulation.experiment.api",
    "Results": "simulation.experiment.api",
    "SweepResults": "simulation.experiment.api",
    "compare": "simulation.experiment.api",
    "run": "simulation.experiment.api",
    "morris_indices": "simulation.experiment.api",
    "sobol_indices": "simulation.experiment.api",
    "sweep": "simulation.experiment.api",
    "Design": "simulation.experiment.designs",
    "Grid": "simulation.experiment.designs",
    "LatinHypercube": "simulation.experiment.designs",
    "Morris": "simulation.experiment.designs",
    "Sobol": "simulation.experiment.designs",
}

__all__ = [
    "HEADLINE_METRICS",
    "Comparison",
    "Design",
    "Grid",
    "LatinHypercube",
    "Morris",
    "Results",
    "Sobol",
    "SweepResults",
    "compare",
    "morris_indices",
    "run",
    "sobol_indices",
    "sweep",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from simulation.experiment.api import (
        HEADLINE_METRICS,
        Comparison,
        Results,
        SweepResults,
        compare,
        morris_indices,
        run,
        sobol_indices,
        sweep,
    )
    from simulation.experiment.designs import Design, Grid, LatinHypercube, Morris, Sobol
