"""Follow graphs for a panel: the real one among imported accounts, or a synthetic one.

Edges are ``(follower_id, followee_id)`` pairs, sorted, without self-follows or duplicates.
The synthetic generator mixes two well-known forces of real social graphs: homophily
(people follow people like them) and preferential attachment (popular accounts gain
followers faster), and adds follow-backs for reciprocity. Seeded, so reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import networkx as nx
import numpy as np

from scraping.sources.records import AccountBundle, AccountRecord

Edge = tuple[str, str]
LOGNORMAL_SIGMA = 0.8  # spread of out-degrees: most follow a few, some follow many
PREFERENTIAL_EXPONENT = 1.0  # weight of a candidate ~ (followers + 1) ** exponent
# Up to this many personas each follower weighs every other one (O(n²): 1.4 s at 5,000, ten minutes
# at 100,000); in a larger panel it weighs a fresh random sample of this many candidates instead.
EXACT_GRAPH_MAX = 5000
CANDIDATE_SAMPLE = 2000


class HasTraits(Protocol):
    persona_id: str
    traits: Mapping[str, Any]


def member_key(account: AccountRecord) -> str:
    """Default member id of an imported account: ``platform:platform_id``."""
    return f"{account.platform}:{account.platform_id}"


def _norm_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def follow_graph_from_imports(
    bundles: Sequence[AccountBundle], key: Callable[[AccountRecord], str] = member_key
) -> list[Edge]:
    """Real follows among the imported accounts, from either side's following/followers lists.

    A follow record matches a member by platform id on the same platform, else by handle
    (case-insensitive, without "@"). Follows of accounts outside the panel are ignored.
    """
    by_id = {(b.account.platform, b.account.platform_id): key(b.account) for b in bundles}
    by_handle = {(b.account.platform, _norm_handle(b.account.handle)): key(b.account) for b in bundles}

    def resolve(platform: str, record_id: str, handle: str) -> str | None:
        return by_id.get((platform, record_id)) or by_handle.get((platform, _norm_handle(handle)))

    edges: set[Edge] = set()
    for bundle in bundles:
        me = key(bundle.account)
        platform = bundle.account.platform
        for record in bundle.following:
            other = resolve(platform, record.platform_id, record.handle)
            if other and other != me:
                edges.add((me, other))
        for record in bundle.followers:
            other = resolve(platform, record.platform_id, record.handle)
            if other and other != me:
                edges.add((other, me))
    return sorted(edges)


def _trait_codes(personas: Sequence[HasTraits], trait_keys: Sequence[str]) -> np.ndarray:
    """(n, len(trait_keys)) integer codes; a missing trait gets its own code per persona (never matches)."""
    codes = np.zeros((len(personas), len(trait_keys)), dtype=np.int64)
    for column, trait in enumerate(trait_keys):
        lookup: dict[str, int] = {}
        for row, persona in enumerate(personas):
            value = persona.traits.get(trait)
            if value is None:
                codes[row, column] = -(row + 1)
            else:
                codes[row, column] = lookup.setdefault(str(value), len(lookup))
    return codes


def synthetic_follow_graph(
    personas: Sequence[HasTraits],
    *,
    seed: int,
    avg_following: float = 20,
    homophily: float = 0.7,
    trait_keys: Sequence[str] = ("party", "age_group"),
    reciprocity: float = 0.2,
) -> list[Edge]:
    """A follow graph with homophily and preferential attachment.

    Personas are visited in a seeded random order. Each picks a lognormal number of accounts
    to follow (mean ``avg_following / (1 + reciprocity)``, so follow-backs bring the average
    to about ``avg_following``). A candidate's chance is proportional to
    ``(followers + 1) ** PREFERENTIAL_EXPONENT`` times
    ``homophily * similarity + (1 - homophily) * mean similarity``, where similarity is the
    share of ``trait_keys`` it has in common with the follower. So ``homophily=0`` ignores
    traits and ``homophily=1`` only follows people sharing at least one trait.
    Then each followed account follows back with chance ``reciprocity``. Above ``EXACT_GRAPH_MAX``
    personas a follower chooses among ``CANDIDATE_SAMPLE`` drawn at random (the same rule, on a
    sample: popularity and homophily keep their pull, the cost stays linear in ``n``).
    """
    if not 0 <= homophily <= 1 or not 0 <= reciprocity <= 1:
        raise ValueError("homophily and reciprocity must be between 0 and 1")
    n = len(personas)
    if n < 2 or avg_following <= 0:
        return []
    rng = np.random.default_rng(seed)
    codes = _trait_codes(personas, trait_keys)
    followers = np.zeros(n)
    mean_out = avg_following / (1 + reciprocity)
    mu = np.log(mean_out) - LOGNORMAL_SIGMA**2 / 2
    out_degrees = np.clip(np.rint(rng.lognormal(mu, LOGNORMAL_SIGMA, size=n)), 1, n - 1).astype(int)
    edges: set[tuple[int, int]] = set()
    everyone = np.arange(n)
    for follower in rng.permutation(n):
        pool = everyone if n <= EXACT_GRAPH_MAX else np.unique(rng.integers(0, n, size=CANDIDATE_SAMPLE))
        similarity = (codes[pool] == codes[follower]).mean(axis=1) if trait_keys else np.ones(len(pool))
        mixed = homophily * similarity + (1 - homophily) * similarity.mean()
        weights = (followers[pool] + 1) ** PREFERENTIAL_EXPONENT * mixed
        weights[pool == follower] = 0.0
        candidates = int(np.count_nonzero(weights))
        k = min(out_degrees[follower], candidates)
        if k == 0:
            continue
        targets = pool[rng.choice(len(pool), size=k, replace=False, p=weights / weights.sum())]
        for followee in targets:
            edges.add((int(follower), int(followee)))
            followers[followee] += 1
    for follower, followee in sorted(edges):
        if rng.random() < reciprocity:
            edges.add((followee, follower))
    ids = [p.persona_id for p in personas]
    return sorted((ids[a], ids[b]) for a, b in edges)


@dataclass(frozen=True)
class GraphSummary:
    nodes: int
    edges: int
    density: float  # edges / (n * (n - 1))
    reciprocity: float  # share of edges whose reverse also exists
    clustering: float  # average clustering of the undirected graph
    mean_following: float
    max_following: int
    mean_followers: float
    median_followers: float
    max_followers: int
    isolated: int  # members with no edge at all
    trait: str | None
    same_trait_share: float | None  # share of edges between members with the same trait value
    same_trait_baseline: float | None  # that share if follows ignored the trait (sum of squared shares)
    assortativity: float | None  # networkx attribute assortativity on the trait

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def graph_summary(
    edges: Iterable[Edge],
    n: int,
    *,
    node_traits: Mapping[str, Mapping[str, Any]] | None = None,
    trait: str | None = None,
) -> GraphSummary:
    """Shape of a follow graph of ``n`` members; with ``node_traits`` (id -> traits) and ``trait``,
    also how much follows stay within a trait value (homophily)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(node_traits or ())
    graph.add_edges_from(edges)
    n = max(n, graph.number_of_nodes())
    m = graph.number_of_edges()
    out_deg = [d for _, d in graph.out_degree()] + [0] * (n - graph.number_of_nodes())
    in_deg = [d for _, d in graph.in_degree()] + [0] * (n - graph.number_of_nodes())
    isolated = sum(1 for node in graph if graph.degree(node) == 0) + (n - graph.number_of_nodes())
    same = baseline = assortativity = None
    if node_traits is not None and trait and m:
        values = {node: str(node_traits.get(node, {}).get(trait, "")) for node in graph}
        same = sum(1 for a, b in graph.edges if values[a] == values[b]) / m
        shares = np.unique(list(values.values()), return_counts=True)[1] / len(values)
        baseline = float((shares**2).sum())
        nx.set_node_attributes(graph, values, "trait")
        assortativity = (
            float(nx.attribute_assortativity_coefficient(graph, "trait")) if len(shares) > 1 else None
        )
    return GraphSummary(
        nodes=n,
        edges=m,
        density=m / (n * (n - 1)) if n > 1 else 0.0,
        reciprocity=float(nx.reciprocity(graph)) if m else 0.0,
        clustering=float(nx.average_clustering(graph.to_undirected())) if graph.number_of_nodes() else 0.0,
        mean_following=float(np.mean(out_deg)) if n else 0.0,
        max_following=int(max(out_deg, default=0)),
        mean_followers=float(np.mean(in_deg)) if n else 0.0,
        median_followers=float(np.median(in_deg)) if n else 0.0,
        max_followers=int(max(in_deg, default=0)),
        isolated=isolated,
        trait=trait,
        same_trait_share=same,
        same_trait_baseline=baseline,
        assortativity=assortativity,
    )
