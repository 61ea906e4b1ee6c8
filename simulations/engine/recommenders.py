"""Feed ranking, pluggable: a small protocol and a registry by name.

Every recommender ranks from the step's shared ``StepPool`` plus the agent's followed accounts,
so the cost per agent is bounded by the pool size, never by the number of posts or agents.
Add one with ``register("name", factory)``; a scenario names it in ``WorldConfig.recommender``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from simulations.engine.feed import Candidate, StepPool, followed_candidates, hot_score, is_eligible, take
from simulations.engine.harm_lexicon import harm_score
from simulations.engine.world import World

INTEREST_POOL = 30  # hot and newest candidates the interest ranking scores besides followed posts
FOLLOW_BONUS = 0.15  # relevance bonus for a post from (or shared by) a followed account
GROUP_TRAITS = ("party", "ideology", "segment")  # persona traits that name a panel's groups, in order


class Recommender(Protocol):
    name: str

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        """Up to ``k`` eligible candidates for ``agent_id``, best first."""
        ...


class Chronological:
    """Newest posts of followed accounts; topped up with the newest posts overall."""

    name = "chronological"

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        taken: set[str] = set()
        chosen = take(world, agent_id, followed_candidates(world, agent_id), k, taken)
        return chosen + take(world, agent_id, pool.newest, k - len(chosen), taken)


class Popularity:
    """ "Hot": engagement divided by a power of age, computed once per step for the pool."""

    name = "popularity"

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        return take(world, agent_id, pool.hot, k, set())


class Interest:
    """Similarity of each candidate to the agent's interests and engagement history.

    Uses TF-IDF vectors made once per post, or the world's injected embedding function.
    """

    name = "interest"

    def __init__(self, pool_size: int = INTEREST_POOL, follow_bonus: float = FOLLOW_BONUS) -> None:
        self.pool_size = pool_size
        self.follow_bonus = follow_bonus

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        followed = world.following[agent_id]
        relevance = world.scorer(agent_id)
        scored: dict[str, tuple[float, int, Candidate]] = {}
        for source in (
            followed_candidates(world, agent_id),
            pool.hot[: self.pool_size],
            pool.newest[: self.pool_size],
        ):
            for candidate in source:
                if candidate.post_id in scored or not is_eligible(world, agent_id, candidate):
                    continue
                post = world.posts[candidate.post_id]
                score = relevance(post)
                if post.author_id in followed or candidate.via is not None and candidate.via in followed:
                    score += self.follow_bonus
                scored[candidate.post_id] = (score, candidate.seq, candidate)
        ranked = sorted(scored.values(), key=lambda entry: (-entry[0], -entry[1]))
        return [candidate for _, _, candidate in ranked[:k]]


class RandomFeed:
    """Uniformly random recent posts (a control condition): draws from the run's RNG."""

    name = "random"

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        if not pool.newest:
            return []
        draws = rng.sample(range(len(pool.newest)), min(len(pool.newest), 4 * k))
        return take(world, agent_id, (pool.newest[i] for i in draws), k, set())


def persona_group(world: World, agent_id: str, trait: str | None = None) -> str | None:
    """The group a persona belongs to: ``trait`` if given, else the first of ``GROUP_TRAITS`` it has."""
    persona = world.personas.get(agent_id)
    if persona is None:
        return None
    for key in (trait,) if trait else GROUP_TRAITS:
        value = persona.traits.get(key)
        if value not in (None, ""):
            return str(value)
    return None


class Bridging:
    """Engagement ranking that boosts posts liked across opposing groups of the panel.

    A post liked only inside one group scores its "hot" engagement; a post liked by two groups
    gains ``weight`` x (likes from the second most approving group), so approval from both sides
    counts, not volume from one (the idea behind bridging-based ranking, as in Community Notes).
    Groups come from persona traits (party, ideology or segment, or ``trait``).
    """

    name = "bridging"

    def __init__(self, trait: str | None = None, weight: float = 1.0) -> None:
        self.trait = trait
        self.weight = weight
        self._step: int | None = None
        self._bridged: dict[str, int] = {}
        self._order_step: int | None = None
        self._order: list[Candidate] = []

    def bridged(self, world: World, pool: StepPool) -> dict[str, int]:
        """Post id -> likes from its second most approving group, for the step's pool (built once)."""
        if self._step != pool.step:
            in_pool = {c.post_id for c in pool.newest}
            likes: dict[str, Counter[str]] = {}
            for agent_id, agent in world.agents.items():
                group = persona_group(world, agent_id, self.trait)
                if group is None:
                    continue
                for post_id in agent.liked:
                    if post_id in in_pool:
                        likes.setdefault(post_id, Counter())[group] += 1
            self._bridged = {pid: (c.most_common(2)[1][1] if len(c) > 1 else 0) for pid, c in likes.items()}
            self._step = pool.step
        return self._bridged

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        if self._order_step != pool.step:  # the order is the same for every agent of a step
            bridged = self.bridged(world, pool)

            def score(c: Candidate) -> float:
                boost = 1 + self.weight * bridged.get(c.post_id, 0)
                return hot_score(world.posts[c.post_id], pool.step) * boost

            self._order = sorted(pool.newest, key=lambda c: (-score(c), -c.seq))
            self._order_step = pool.step
        return take(world, agent_id, self._order, k, set())


class Downranking:
    """Engagement ranking with a demotion policy: a post whose harm score reaches ``threshold``
    keeps only ``factor`` of its "hot" score. Unlike a content policy it removes nothing, so an
    experiment can compare "demote by score" against removal and against no policy at all."""

    name = "downranking"

    def __init__(self, threshold: float = 0.5, factor: float = 0.1) -> None:
        if not 0 < threshold <= 1 or not 0 <= factor < 1:
            raise ValueError("downranking needs a threshold in (0, 1] and a factor in [0, 1)")
        self.threshold = threshold
        self.factor = factor
        self._harm: dict[str, float] = {}
        self._order_step: int | None = None
        self._order: list[Candidate] = []

    def demoted(self, world: World, post_id: str) -> bool:
        if post_id not in self._harm:
            self._harm[post_id] = harm_score(world.posts[post_id].text)
        return self._harm[post_id] >= self.threshold

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        if self._order_step != pool.step:  # the order is the same for every agent of a step

            def score(c: Candidate) -> float:
                hot = hot_score(world.posts[c.post_id], pool.step)
                return hot * self.factor if self.demoted(world, c.post_id) else hot

            self._order = sorted(pool.newest, key=lambda c: (-score(c), -c.seq))
            self._order_step = pool.step
        return take(world, agent_id, self._order, k, set())


class Mix:
    """Slots of the feed shared between recommenders by weight, interleaved, without duplicates."""

    name = "mix"
    DEFAULT_WEIGHTS: Mapping[str, float] = {"chronological": 0.4, "interest": 0.4, "popularity": 0.2}

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        weights = dict(weights or self.DEFAULT_WEIGHTS)
        if "mix" in weights or not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0:
            raise ValueError("mix weights must name other recommenders with non-negative weights")
        self.parts = [(make_recommender(name), weight) for name, weight in weights.items()]

    def rank(
        self, world: World, pool: StepPool, agent_id: str, k: int, rng: random.Random
    ) -> list[Candidate]:
        quotas = _largest_remainder([weight for _, weight in self.parts], k)
        rankings = [part.rank(world, pool, agent_id, k, rng) for part, _ in self.parts]
        chosen: list[Candidate] = []
        taken: set[str] = set()
        for ranking, quota in zip(rankings, quotas):
            _extend(chosen, taken, ranking, len(chosen) + quota)
        for ranking in rankings:  # a part with too few candidates leaves its slots to the others
            _extend(chosen, taken, ranking, k)
        return chosen


def _extend(chosen: list[Candidate], taken: set[str], ranking: list[Candidate], limit: int) -> None:
    for candidate in ranking:
        if len(chosen) >= limit:
            return
        if candidate.post_id not in taken:
            taken.add(candidate.post_id)
            chosen.append(candidate)


def _largest_remainder(weights: list[float], seats: int) -> list[int]:
    total = sum(weights)
    exact = [w * seats / total for w in weights]
    quotas = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in order[: seats - sum(quotas)]:
        quotas[i] += 1
    return quotas


RECOMMENDERS: dict[str, Callable[..., Recommender]] = {
    "chronological": Chronological,
    "popularity": Popularity,
    "interest": Interest,
    "random": RandomFeed,
    "mix": Mix,
    "bridging": Bridging,
    "downranking": Downranking,
}


def register(name: str, factory: Callable[..., Recommender]) -> None:
    if name in RECOMMENDERS:
        raise ValueError(f"a recommender named {name!r} is already registered")
    RECOMMENDERS[name] = factory


def make_recommender(name: str, options: Mapping[str, Any] | None = None) -> Recommender:
    try:
        factory = RECOMMENDERS[name]
    except KeyError:
        raise ValueError(f"unknown recommender {name!r}; known: {sorted(RECOMMENDERS)}") from None
    return factory(**dict(options or {}))
