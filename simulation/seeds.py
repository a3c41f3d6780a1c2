"""Which seed each replication runs with: one rule for experiments, calibration and validation.

Replication i (0, 1, …) of a family of runs uses the root seed `seed + offset + i`.
Experiments use offset 0, so `compare(..., seed=1)` runs seeds 1, 2, …; every scenario
and design point gets the same seeds, which is what makes their runs common random
numbers. A component that must not reuse another's seeds passes its own offset (the
calibration's trials start at 1000 · seed + 1, the validation's scenario checks at 101,
away from the seeds the baseline was calibrated on).
"""

from __future__ import annotations


def replication_seeds(seed: int, replications: int, offset: int = 0) -> list[int]:
    """The root seeds of `replications` runs, counting up from `seed + offset`."""
    return [seed + offset + i for i in range(replications)]
