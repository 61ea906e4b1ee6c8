"""`make bench`'s offline figures come from the provider the product runs (the model's child process)."""

from __future__ import annotations

import pytest

from bench import offline_bench
from simnet.llm import offline_process


@pytest.mark.offline_model
def test_the_offline_bench_measures_the_products_provider(monkeypatch):
    monkeypatch.setattr(offline_bench, "AGENTS", 2)
    monkeypatch.setattr(offline_bench, "STEPS", 2)
    monkeypatch.setattr(offline_bench, "MIN_STEPS", 2)

    figures = offline_bench.measure_offline()

    assert isinstance(figures, offline_bench.OfflineFigures), figures
    assert figures.decisions >= 2 and figures.first_try_valid == figures.decisions == figures.applied_ok
    assert any(process._process is not None for process in offline_process._PROCESSES.values())
