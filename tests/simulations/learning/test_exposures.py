"""From member history to exposures: every reaction kept, ignores sampled with weights that keep
the learnt rate the real one, and nothing after the cut-off."""

from __future__ import annotations

import numpy as np
import pytest

from personas.builders.demo_history import thread_community
from personas.builders.public_texts import rated_tweets
from simulations.learning import exposures as ex
from simulations.learning.reactions import fit_reactions


@pytest.fixture(scope="module")
def history():
    texts = rated_tweets()  # fetched by make install; missing, it says how to fetch it
    bundles = thread_community(texts, seed=11, personas=40, threads=30)
    return [ex.MemberItem(b.account.handle, b.account.handle, r) for b in bundles for r in b.history]


def test_pairs_label_every_reaction_and_skip_authors(history):
    posts = ex.known_posts(history)
    reactions = ex.main_reactions(history)
    personas = {item.persona for item in history}
    exposures, actions = ex.pairs(posts, personas, ex.handles(history), reactions)
    assert sum(a != "ignore" for a in actions) == len(reactions)
    assert not any(e.persona == e.post_author for e in exposures)
    assert {"reply", "like"} <= set(actions)


def test_training_set_stops_at_the_cutoff(history):
    posts = sorted(ex.known_posts(history).values(), key=lambda p: p.at)
    cutoff = posts[len(posts) // 2].at
    exposures, actions, weights = ex.training_set(history, {i.persona for i in history}, until=cutoff)
    assert exposures and max(e.at for e in exposures) <= cutoff
    assert len(weights) == len(actions) == len(exposures)


def test_weights_keep_the_real_rate_when_ignores_are_sampled(history, monkeypatch):
    personas = {item.persona for item in history}
    monkeypatch.setattr(ex, "NEGATIVES_PER_POSITIVE", 10**9)  # keep every ignore: the truth
    monkeypatch.setattr(ex, "MIN_NEGATIVES", 10**9)
    everything, real_actions, every_weight = ex.training_set(history, personas)
    assert set(every_weight) == {1.0}
    real_rate = np.mean([a != "ignore" for a in real_actions])
    monkeypatch.setattr(ex, "NEGATIVES_PER_POSITIVE", 1)
    monkeypatch.setattr(ex, "MIN_NEGATIVES", 3)
    sampled, actions, weights = ex.training_set(history, personas, seed=3)
    assert len(sampled) < 0.8 * len(everything) and max(weights) > 1
    weighted = fit_reactions(sampled, actions, weights=weights)
    unweighted = fit_reactions(sampled, actions)
    rate = np.mean([1 - p["ignore"] for p in weighted.probabilities_many(everything)])
    inflated = np.mean([1 - p["ignore"] for p in unweighted.probabilities_many(everything)])
    assert abs(rate - real_rate) < 0.04
    assert inflated > real_rate + 0.08
