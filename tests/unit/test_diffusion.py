"""Unit: one generation of many cascades keeps each cascade's exposures together.

Subscribers read a cascade's viewers as a slice (`Generation.exposed_by`), which holds
only because the generation lists exposures cascade by cascade; this checks that
against the plain mask over every exposure.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from simulation.diffusion import Cascade, DiffusionEngine
from simulation.network import build_graph
from simulation.scenario import NetworkSettings


@hypothesis_settings(max_examples=30, deadline=None)
@given(
    sources=st.lists(st.integers(0, 299), min_size=1, max_size=12),
    probability=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**16),
)
def test_each_cascade_s_exposures_are_one_run_in_order(sources, probability, seed):
    rng = np.random.default_rng(seed)
    graph = build_graph(NetworkSettings(), 300, 0.3, rng)
    engine = DiffusionEngine(graph, rng)
    for source in sources:
        engine.start(Cascade(post_type=0, source=source, started=0.0, probability=probability))
    for _ in range(3):
        n = len(engine.active)
        base = np.full(n, probability)
        generation = engine.advance(base, np.zeros(n, dtype=bool), 0.0)
        assert np.all(np.diff(generation.owner) >= 0)
        for i in range(n):
            np.testing.assert_array_equal(
                generation.exposed_by(i), generation.exposed[generation.owner == i]
            )
        engine.prune()
