"""The model builds and runs, and its results carry provenance."""

from simulation import GovernmentResponseModel, run_one
from simulation.runner import PROVENANCE_KEYS
from tests.conftest import small_scenario


def test_run_reports_every_day_with_provenance():
    result = run_one(small_scenario(), seed=3)
    assert len(result.daily) == 7
    for key in PROVENANCE_KEYS:
        assert key in result.summary_record()
        assert key in result.daily.columns
    assert result.summary["received"] > 0


def test_mesa_clock_advances_one_hour_per_step():
    model = GovernmentResponseModel(small_scenario(), seed=1)
    for _ in range(5):
        model.step()
    assert model.time == 5.0
    assert model.hour == 5
    assert len(model.citizens) == model.graph.n_citizens
