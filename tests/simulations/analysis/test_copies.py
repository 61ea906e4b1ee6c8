"""Copy detection and the five-bin tone divergence."""

from __future__ import annotations

import pytest

from simulations.analysis.sentiment import FIVE_BIN_EDGES, five_bins, js_divergence
from simulations.analysis.text import copies

SOURCE = "Introducing the new bike that changes how you train at home every single day"


def test_copy_share():
    assert copies(SOURCE, SOURCE)
    assert copies("day single every home at train you how changes that bike new the", SOURCE)  # Jaccard
    assert copies("lol changes how you train at home every single day", SOURCE)  # long run, low Jaccard
    assert not copies("The price is far too high for a bike I would never ride", SOURCE)
    assert copies("so true", "So true!") and not copies("true", "so true")  # short: exact only


def test_js_five_bins():
    texts = ["I love this, wonderful!", "Terrible, awful, disgusting.", "ok"]
    assert len(FIVE_BIN_EDGES) == 6
    assert sum(five_bins(texts)) == pytest.approx(1.0)
    assert js_divergence(five_bins(texts), five_bins(texts)) == pytest.approx(0.0)
    happy, angry = five_bins(["I love this, wonderful!"]), five_bins(["Terrible, awful, disgusting."])
    assert happy[-1] == 1.0 and angry[0] == 1.0
    assert js_divergence(happy, angry) == pytest.approx(1.0)
