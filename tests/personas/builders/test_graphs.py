"""Follow graphs: real follows among imports, synthetic homophilous graphs, summaries."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from personas.builders.graphs import follow_graph_from_imports, graph_summary, synthetic_follow_graph
from scraping.sources.records import AccountBundle, AccountRecord, FollowRecord


def bundle(pid: str, handle: str, following=(), followers=(), platform: str = "bluesky") -> AccountBundle:
    return AccountBundle(
        account=AccountRecord(platform, pid, handle),
        following=[FollowRecord(handle=h, platform_id=i) for h, i in following],
        followers=[FollowRecord(handle=h, platform_id=i) for h, i in followers],
    )


def test_real_follows_among_imported_members():
    bundles = [
        bundle("1", "ann", following=[("", "2"), ("outsider", "99"), ("ann", "1")]),  # by id; outsider; self
        bundle(
            "2", "Bob", following=[("@CAROL", "")], followers=[("ann", "")]
        ),  # by handle; duplicate of 1->2
        bundle("3", "carol", followers=[("dan", "77")]),
        bundle(
            "2", "bob", platform="x", following=[("ann", "1")]
        ),  # other platform: ann on x is not a member
    ]
    assert follow_graph_from_imports(bundles) == [("bluesky:1", "bluesky:2"), ("bluesky:2", "bluesky:3")]


def test_custom_member_key():
    bundles = [bundle("1", "ann", following=[("bob", "")]), bundle("2", "bob")]
    assert follow_graph_from_imports(bundles, key=lambda a: a.handle) == [("ann", "bob")]


@dataclass
class P:
    persona_id: str
    traits: dict = field(default_factory=dict)


def population(n: int = 300) -> list[P]:
    parties = ["Democrat", "Republican", "Independent"]
    ages = ["18-29", "30-44", "45-64", "65+"]
    return [P(f"p{i}", {"party": parties[i % 3], "age_group": ages[(i // 3) % 4]}) for i in range(n)]


def same_party_share(edges, people) -> float:
    party = {p.persona_id: p.traits["party"] for p in people}
    return sum(party[a] == party[b] for a, b in edges) / len(edges)


def test_synthetic_graph_is_reproducible_and_valid():
    people = population()
    edges = synthetic_follow_graph(people, seed=5)
    assert edges == synthetic_follow_graph(people, seed=5)
    assert edges != synthetic_follow_graph(people, seed=6)
    ids = {p.persona_id for p in people}
    assert all(a in ids and b in ids and a != b for a, b in edges)
    assert len(edges) == len(set(edges)) and edges == sorted(edges)
    mean_following = len(edges) / len(people)
    assert 12 <= mean_following <= 26  # about avg_following=20


def test_homophily_raises_same_party_follows_above_random():
    people = population()
    baseline = 1 / 3  # three equal parties
    homophilous = same_party_share(synthetic_follow_graph(people, seed=1, homophily=0.9), people)
    indifferent = same_party_share(synthetic_follow_graph(people, seed=1, homophily=0.0), people)
    assert homophilous > baseline + 0.15
    assert abs(indifferent - baseline) < 0.05
    only_party = synthetic_follow_graph(people, seed=1, homophily=1.0, trait_keys=("party",), reciprocity=0)
    assert same_party_share(only_party, people) == 1.0


def test_preferential_attachment_gives_a_skewed_follower_count():
    people = population()
    summary = graph_summary(synthetic_follow_graph(people, seed=2, homophily=0), len(people))
    assert summary.max_followers > 2 * summary.mean_followers


def test_degenerate_inputs():
    assert synthetic_follow_graph([], seed=1) == []
    assert synthetic_follow_graph([P("a")], seed=1) == []
    pair = synthetic_follow_graph([P("a"), P("b")], seed=1, avg_following=5, reciprocity=0)
    assert pair == [("a", "b"), ("b", "a")]  # everyone follows at least one account
    with pytest.raises(ValueError):
        synthetic_follow_graph(population(10), seed=1, homophily=1.5)


def test_graph_summary_of_a_hand_graph():
    edges = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "a")]
    traits = {"a": {"party": "D"}, "b": {"party": "D"}, "c": {"party": "R"}, "d": {"party": "R"}}
    summary = graph_summary(edges, 4, node_traits=traits, trait="party")
    assert summary.nodes == 4 and summary.edges == 4
    assert summary.density == pytest.approx(4 / 12)
    assert summary.reciprocity == pytest.approx(2 / 4)  # a<->b are the only mutual edges
    assert summary.isolated == 1  # d
    assert summary.max_followers == 2  # a is followed by b and c
    assert summary.mean_following == pytest.approx(1.0)
    assert summary.same_trait_share == pytest.approx(2 / 4)  # a->b, b->a
    assert summary.same_trait_baseline == pytest.approx(0.5)  # (2/4)^2 + (2/4)^2
    assert summary.clustering == pytest.approx(0.75)  # triangle a-b-c; d has none
    assert -1 <= summary.assortativity <= 1
    assert summary.to_dict()["trait"] == "party"


def test_a_large_panel_samples_candidates_and_keeps_degree_homophily_and_popularity(monkeypatch):
    """Above the exact size a follower weighs a sample of candidates: linear cost, same pulls."""
    import time

    from personas.builders import graphs

    monkeypatch.setattr(graphs, "EXACT_GRAPH_MAX", 500)  # so that 3,000 personas take the sampled path
    monkeypatch.setattr(graphs, "CANDIDATE_SAMPLE", 300)
    people = population(3000)
    started = time.perf_counter()
    edges = synthetic_follow_graph(people, seed=3, homophily=0.9)
    assert time.perf_counter() - started < 20
    assert edges == synthetic_follow_graph(people, seed=3, homophily=0.9)
    assert 12 <= len(edges) / len(people) <= 26 and len(edges) == len(set(edges))
    assert all(a != b for a, b in edges)
    assert same_party_share(edges, people) > 1 / 3 + 0.15
    indifferent = synthetic_follow_graph(people, seed=3, homophily=0.0)
    assert abs(same_party_share(indifferent, people) - 1 / 3) < 0.05
    summary = graph_summary(indifferent, len(people))
    assert summary.max_followers > 2 * summary.mean_followers
