"""``python -m bench --fidelity``: every table has its references, intervals and n, and "beats"
comes only from intervals (checked on a smaller copy of the demo data)."""

from __future__ import annotations

import pytest

from bench.__main__ import main
from bench.fidelity import measure_fidelity
from simulations.analysis.honest import Table


@pytest.fixture(scope="module")
def fidelity():
    return measure_fidelity(posts=600, members=40, threads=30)


def test_every_table_has_references_intervals_and_n(fidelity):
    figures, _ = fidelity
    engagement = Table.from_dict(figures["engagement"]["table"])
    assert {"history_mean", "rolling_mean_20", "rolling_mean_200", "everyone_ignores"} <= set(engagement.references)
    tables = [engagement, *(Table.from_dict(t) for t in figures["reactions"]["tables"])]
    for table in tables:
        assert table.n_cases > 0 and table.references
        for row in table.rows:
            for cell in row.cells.values():
                metric = cell.metric
                assert metric.value is None or metric.n > 0
                assert metric.value is None or metric.low is None or metric.low <= metric.value <= metric.high
                for reference in cell.beats:
                    assert reference in table.references
    first = Table.from_dict(figures["reactions"]["tables"][0])
    ignores = next(r for r in first.rows if r.name == "everyone_ignores")
    assert not any(cell.beats for cell in ignores.cells.values())
    model = next(r for r in first.rows if r.kind == "policy")
    assert figures["reactions"]["calibration"]["n"] == model.cells["brier"].metric.n


def test_the_forecast_beats_the_rolling_mean_of_200_on_likes(fidelity):
    figures, _ = fidelity
    table = Table.from_dict(figures["engagement"]["table"])
    forecast = next(r for r in table.rows if r.name == "forecast")
    assert "rolling_mean_200" in forecast.cells["likes_mae"].beats
    coverage = {c["metric"]: c for c in figures["engagement"]["interval_coverage"]}
    assert coverage["likes"]["n"] > 0 and coverage["likes"]["low"] <= coverage["likes"]["share"]


def test_the_command_prints_the_tables(fidelity, monkeypatch, capsys):
    monkeypatch.setattr("bench.__main__.measure_fidelity", lambda: fidelity)
    assert main(["--fidelity"]) == 0
    out = capsys.readouterr().out
    assert "## Engagement forecast" in out and "| everyone_ignores | reference |" in out and "Brier" in out
