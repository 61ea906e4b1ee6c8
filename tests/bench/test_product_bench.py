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


def test_a_hybrid_crowd_is_stepped_by_a_real_worker_that_asks_the_model_within_the_budget(capsys):
    argv = [
        "--product",
        "--hybrid",
        "--writer-calls=3",
        "--json",
        "--sizes=200",
        "--steps=2",
        "--databases=sqlite",
    ]
    assert main(argv) == 0

    entry = json.loads(capsys.readouterr().out)["product_path_hybrid"]["sqlite"]["200"]
    assert entry["status"] == "ok", entry
    assert entry["policy"] == "hybrid" and entry["steps"] == 2
    assert all(entry[key] > 0 for key in FIGURES), entry
    assert entry["decisions_match_engine"], "the worker did not step the world the engine was timed on"
    calls = entry["model_calls_per_step"]
    assert len(calls) == 2 and all(0 < n <= 3 for n in calls), entry
    assert max(calls) == 3, "the words budget should bind: more than 3 agents a step reply, quote or post"
    assert calls == entry["engine_model_calls_per_step"] and entry["model_calls_unattributed"] == 0, entry
    # every call the server answered became one decision with the model's words or without them (refused)
    assert [w + r for w, r in zip(entry["model_worded_per_step"], entry["model_refused_per_step"])] == calls
    assert 0 < entry["model_worded_personas"] <= sum(entry["model_worded_per_step"])
    assert "--hybrid --writer-calls=3" in entry["measured"]["command"]
    assert "at most 3 texts a step" in entry["measured"]["method"] and "0 ms" in entry["measured"]["method"]


def test_a_case_over_its_timeout_says_so_instead_of_hanging():
    started = time.monotonic()
    figures, lines = measure_product_path([50], databases=["sqlite"], steps=2, timeout_s=0.5)

    entry = figures["product_path"]["sqlite"]["50"]
    assert entry["status"] == "timed out after 0.5 s"
    assert entry["ms_per_decision"] is None and entry["ratio_to_engine"] is None
    assert "timed out after 0.5 s" in lines[-1]
    assert time.monotonic() - started < 90
