"""`python -m bench --product` times a run stepped by a real qcluster, next to the engine alone."""

from __future__ import annotations

import json
import time

import pytest

from bench.__main__ import main
from bench.product_bench import measure_product_path

pytestmark = pytest.mark.slow

FIGURES = (
    "seconds_per_step",
    "ms_per_decision",
    "engine_ms_per_decision",
    "ratio_to_engine",
    "worker_peak_rss_mb",
)


def test_the_product_path_is_timed_through_a_real_worker(capsys):
    assert main(["--product", "--json", "--sizes=50", "--steps=2", "--databases=sqlite"]) == 0

    entry = json.loads(capsys.readouterr().out)["product_path"]["sqlite"]["50"]
    assert entry["status"] == "ok", entry
    assert entry["steps"] == 2 and len(entry["step_seconds"]) == 2
    assert all(entry[key] > 0 for key in FIGURES), entry
    assert entry["ratio_to_engine"] == pytest.approx(
        entry["ms_per_decision"] / entry["engine_ms_per_decision"], rel=0.01
    )
    total_ms = 1000 * sum(entry["step_seconds"])
    # Step times are printed to the millisecond, and a 50-persona step takes only 20-40 ms.
    assert entry["ms_per_decision"] == pytest.approx(total_ms / entry["decisions"], rel=0.05)
    assert entry["decisions_match_engine"], "the worker did not step the world the engine was timed on"
    assert entry["worker_peak_rss_mb"] > 100, "a Django worker's peak, not an empty reading"
    assert entry["measured"]["steps"] == 2 and "qcluster" in entry["measured"]["method"]


def test_a_case_over_its_timeout_says_so_instead_of_hanging():
    started = time.monotonic()
    figures, lines = measure_product_path([50], databases=["sqlite"], steps=2, timeout_s=0.5)

    entry = figures["product_path"]["sqlite"]["50"]
    assert entry["status"] == "timed out after 0.5 s"
    assert entry["ms_per_decision"] is None and entry["ratio_to_engine"] is None
    assert "timed out after 0.5 s" in lines[-1]
    assert time.monotonic() - started < 90
