"""Sample a panel of personas from real survey microdata, optionally to fixed quotas.

How a panel of ``n`` is drawn (reproducible from ``seed``):

1. Targets: the caller's quotas (share per category of some fields), or, without quotas,
   the source's own marginals on its main fields, so an unquota'd panel mirrors the source.
2. Raking (iterative proportional fitting) reweights respondents so the weighted marginals
   hit every target at once.
3. Controlled selection: each target share becomes an integer count for ``n`` (largest
   remainder), and personas are drawn one at a time, only from respondents whose categories
   all still have room, with probability proportional to their weight re-raked toward the
   counts still missing (so no category starves at the end). This makes the quota'd
   marginals exact; only if no respondent fits the room left does a draw overfill the fewest
   categories (counted in ``explain``). ``weights=False`` starts from the source's own
   weights instead of the raked ones (quotas still hold; the mix of other traits stays closer
   to the source). A respondent is drawn twice only when every fitting respondent has been
   drawn already (``n`` may exceed the source's size).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from personas.builders.cards import PersonaCard, build_synthetic_card
from personas.builders.persona_traits import (
    behaviour_for,
    describe_traits,
    handle_for,
    interests_for,
    person_name,
    voice_for,
)
from personas.builders.population_data import DEFAULT_SOURCE, PopulationSource, load_source
from personas.builders.propensities import (
    DEFAULT_EXPOSURE,
    FeedExposure,
    online_chance,
    propensities_from_daily,
)

RAKING_MAX_ITERATIONS = 500
RAKING_TOLERANCE = 1e-9
SHARE_SUM_TOLERANCE = 0.01
STEP_RAKING_PASSES = 2  # raking passes before each draw (see _controlled_draw)
PROGRESS_EVERY = 500  # personas between two progress reports

Quotas = Mapping[str, Mapping[str, float]]


class SamplingError(ValueError):
    """Invalid sampler input (unknown field or category, shares that do not add up, ...)."""


@dataclass(frozen=True)
class SampledPersona:
    persona_id: str
    name: str
    handle: str
    source: str
    respondent_id: str
    traits: dict[str, Any]  # decoded survey answers (age, party, education, ...)
    interests: tuple[str, ...]
    voice: str
    actions_per_day: float
    active_hours: tuple[int, ...]
    activity_rate: float  # chance to be online in a step of an active hour
    propensities: dict[str, float]  # per seen item (post: per step), as Situation.propensities
    explain: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_fields(source: str) -> dict[str, tuple[str, ...]]:
    """Fields a quota may fix, with their categories in display order."""
    return dict(load_source(source).fields)


def _field_categories(src: PopulationSource, field: str) -> tuple[str, ...]:
    if field not in src.fields:
        raise SamplingError(f"source {src.name!r} has no field {field!r}; fields: {', '.join(src.fields)}")
    return src.fields[field]


def _weighted_shares(src: PopulationSource, field: str, weights: np.ndarray) -> np.ndarray:
    categories = _field_categories(src, field)
    codes = _codes(src, field)
    totals = np.bincount(codes, weights=weights, minlength=len(categories))
    return totals / totals.sum()


def source_marginals(source: str, field: str) -> dict[str, float]:
    """The source's (weighted) share of each category of ``field``."""
    src = load_source(source)
    shares = _weighted_shares(src, field, src.base_weights)
    return dict(zip(_field_categories(src, field), shares.tolist(), strict=True))


def marginals(
    personas: Sequence[SampledPersona], field: str, categories: Sequence[str] | None = None
) -> dict[str, float]:
    """Share of ``personas`` in each category of ``field`` (the given categories first, in order)."""
    counts = Counter(str(p.traits.get(field, "")) for p in personas)
    order = list(categories or ()) + sorted(c for c in counts if c not in (categories or ()))
    total = len(personas)
    return {category: (counts[category] / total if total else 0.0) for category in order}


def _codes(src: PopulationSource, field: str) -> np.ndarray:
    lookup = {category: i for i, category in enumerate(src.fields[field])}
    return src.table[field].map(lookup).to_numpy(dtype=np.int64)


def resolve_quotas(src: PopulationSource, quotas: Quotas) -> dict[str, np.ndarray]:
    """Complete target shares per field. Values may be shares (0-1) or percentages (any value > 1);
    categories left out share what remains in proportion to the source."""
    targets = {}
    for field, given in quotas.items():
        categories = _field_categories(src, field)
        unknown = [c for c in given if c not in categories]
        if unknown:
            raise SamplingError(f"{field}: unknown categories {unknown}; categories: {', '.join(categories)}")
        scale = 100.0 if any(v > 1 for v in given.values()) else 1.0
        if any(v < 0 for v in given.values()):
            raise SamplingError(f"{field}: shares cannot be negative")
        shares = np.array([given.get(c, 0.0) / scale for c in categories])
        listed = np.array([c in given for c in categories])
        total = shares.sum()
        if total > 1 + SHARE_SUM_TOLERANCE or (listed.all() and abs(total - 1) > SHARE_SUM_TOLERANCE):
            raise SamplingError(f"{field}: shares add up to {total:.0%}, not 100%")
        if listed.all():
            shares /= total
        else:
            rest = _weighted_shares(src, field, src.base_weights) * ~listed
            remainder = max(0.0, 1 - total)
            if remainder > 0 and rest.sum() == 0:
                raise SamplingError(f"{field}: {remainder:.0%} left for categories the source does not have")
            shares += rest / rest.sum() * remainder if rest.sum() else 0.0
        targets[field] = shares
    return targets


def integer_targets(shares: np.ndarray, n: int) -> np.ndarray:
    """Counts that add up to ``n``: floors, then +1 for the largest remainders (ties: first)."""
    exact = shares * n
    counts = np.floor(exact).astype(np.int64)
    short = n - int(counts.sum())
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:short]:
        counts[i] += 1
    return counts


def rake(cells: np.ndarray, weights: np.ndarray, targets: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Iterative proportional fitting of cell ``weights`` to target shares per column of ``cells``.

    Returns the raked weights and the largest remaining gap between a weighted share and its
    target (0 when the targets are jointly reachable).
    """
    raked = weights.astype(float).copy()
    gap = 1.0
    for _ in range(RAKING_MAX_ITERATIONS):
        for column, target in enumerate(targets):
            current = np.bincount(cells[:, column], weights=raked, minlength=len(target))
            if np.any((target > 0) & (current == 0)):
                raise SamplingError("a quota asks for a category that no respondent left can fill")
            factor = np.divide(target * raked.sum(), current, out=np.zeros_like(current), where=current > 0)
            raked *= factor[cells[:, column]]
        gap = max(
            float(np.abs(np.bincount(cells[:, c], weights=raked, minlength=len(t)) / raked.sum() - t).max())
            for c, t in enumerate(targets)
        )
        if gap < RAKING_TOLERANCE:
            break
    return raked, gap


def _controlled_draw(
    cells: np.ndarray,
    start_weights: np.ndarray,
    cell_sizes: np.ndarray,
    counts: Sequence[np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> tuple[list[int], int]:
    """Cell index of each of ``n`` draws, and how many draws had to overfill a category.

    Before each draw the weights of the cells that still fit are raked (a few passes) toward
    the counts still missing, so every category is drawn in proportion to its remaining room
    and no category starves at the end. Cells whose respondents have all been drawn are used
    again only when no eligible cell has a fresh respondent.
    """
    remaining = [c.copy() for c in counts]
    unused = cell_sizes.astype(float)
    drawable = start_weights > 0
    chosen, overfills = [], 0
    for _ in range(n):
        full = np.zeros(len(cells), dtype=np.int64)
        for column, left in enumerate(remaining):
            full += left[cells[:, column]] <= 0
        eligible = drawable & (full == 0)
        fits = bool(eligible.any())
        if not fits:
            overfills += 1
            eligible = drawable & (full == full[drawable].min())
        fresh = eligible & (unused > 0)
        if fresh.any():
            p = np.where(fresh, start_weights * unused / cell_sizes, 0.0)
        else:
            p = np.where(eligible, start_weights, 0.0)
        for _pass in range(STEP_RAKING_PASSES if fits else 0):
            for column, left in enumerate(remaining):
                mass = np.bincount(cells[:, column], weights=p, minlength=len(left))
                factor = np.divide(left, mass, out=np.zeros(len(left)), where=mass > 0)
                p = p * factor[cells[:, column]]
        cell = int(rng.choice(len(cells), p=p / p.sum()))
        chosen.append(cell)
        unused[cell] = max(unused[cell] - 1, 0.0)
        for column, left in enumerate(remaining):
            left[cells[cell, column]] -= 1
    return chosen, overfills


def sample_population(
    n: int,
    *,
    source: str = DEFAULT_SOURCE,
    quotas: Quotas | None = None,
    weights: bool = True,
    seed: int,
    exposure: FeedExposure = DEFAULT_EXPOSURE,
    progress: Callable[[int], None] | None = None,
) -> list[SampledPersona]:
    """``n`` personas from ``source`` (see the module docstring for how they are drawn).

    ``quotas`` maps a field to target shares of its categories (``source_fields`` lists them);
    without quotas the panel is balanced on the source's own marginals of its main fields.
    ``progress`` is told how many are drawn, every ``PROGRESS_EVERY`` personas.
    """
    if n < 1:
        raise SamplingError("n must be at least 1")
    src = load_source(source)
    if quotas:
        targets = resolve_quotas(src, quotas)
    else:
        targets = {f: _weighted_shares(src, f, src.base_weights) for f in src.balance_fields}
    fields = list(targets)
    codes = np.stack([_codes(src, f) for f in fields], axis=1)
    cells, row_cell = np.unique(codes, axis=0, return_inverse=True)
    row_cell = row_cell.reshape(-1)
    cell_weights = np.bincount(row_cell, weights=src.base_weights, minlength=len(cells))
    raked, gap = rake(cells, cell_weights, [targets[f] for f in fields])
    draw_weights = raked if weights else np.where(raked > 0, cell_weights, 0.0)
    draw_rng, persona_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    counts = [integer_targets(targets[f], n) for f in fields]
    cell_sizes = np.bincount(row_cell, minlength=len(cells))
    chosen_cells, overfills = _controlled_draw(cells, draw_weights, cell_sizes, counts, n, draw_rng)

    rows_by_cell = np.argsort(row_cell, kind="stable")
    cell_starts = np.concatenate(([0], np.cumsum(cell_sizes)))
    used: set[int] = set()
    how = (
        f"{'quotas on ' if quotas else 'balanced on the source marginals of '}{', '.join(fields)}; "
        f"raking gap {gap:.4f}; {overfills} of {n} draws overfilled a category; "
        f"{'raked' if weights else 'source'} weights within quota room; seed {seed}"
    )
    personas: list[SampledPersona] = []
    taken_handles: set[str] = set()
    for index, cell in enumerate(chosen_cells):
        rows = rows_by_cell[cell_starts[cell] : cell_starts[cell + 1]]
        fresh = [r for r in rows if r not in used]
        pool = np.array(fresh) if fresh else rows
        pool_weights = src.base_weights[pool]
        row = int(draw_rng.choice(pool, p=pool_weights / pool_weights.sum()))
        used.add(row)
        personas.append(_persona(src, row, index, persona_rng, taken_handles, exposure, how))
        if progress is not None and (index + 1) % PROGRESS_EVERY == 0:
            progress(index + 1)
    return personas


def _persona(
    src: PopulationSource,
    row: int,
    index: int,
    rng: np.random.Generator,
    taken_handles: set[str],
    exposure: FeedExposure,
    how: str,
) -> SampledPersona:
    record = src.table.iloc[row].to_dict()
    respondent_id = str(record.pop("respondent_id"))
    traits = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in record.items()}
    first, last = person_name(rng, str(traits.get("gender", "")))
    behaviour = behaviour_for(traits)
    explain = {
        **behaviour.explain,
        "sampling": f"respondent {respondent_id} of {src.title}: {how}",
        "interests": "age-typical interests, party issues by partisan strength, one from education/"
        "community/news/religion answers",
        "voice": "register by age group, wording by education, politics by partisan strength",
        "propensities": exposure.describe(),
    }
    return SampledPersona(
        persona_id=f"p{index + 1:05d}",
        name=f"{first} {last}",
        handle=handle_for(first, last, rng, taken_handles),
        source=src.name,
        respondent_id=respondent_id,
        traits=traits,
        interests=interests_for(traits, rng),
        voice=voice_for(traits),
        actions_per_day=round(behaviour.actions_per_day, 2),
        active_hours=behaviour.active_hours,
        activity_rate=online_chance(behaviour.actions_per_day, behaviour.active_hours, exposure),
        propensities=propensities_from_daily(behaviour.daily, behaviour.follows_per_day, exposure),
        explain=explain,
    )


def sampled_card(persona: SampledPersona, *, budget_tokens: int = 500) -> PersonaCard:
    """The prompt card of a sampled persona: readable answers, interests and voice."""
    traits = {**describe_traits(persona.traits), "interests": persona.interests}
    return build_synthetic_card(
        traits, persona.voice, name=persona.name, handle=persona.handle, budget_tokens=budget_tokens
    )
