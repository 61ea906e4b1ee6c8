"""The reactions backtest: one cut-off for the whole panel, everything after it is the test.

Training is every history item at or before the cut-off; the reaction model, the references and
(when the members' account records are given) the persona cards and propensities the simulated
policies read are all rebuilt from it alone. The test is every known post after the cut-off, and
every post before it that drew reactions after it: each member but the author is an exposure, and
every reaction made after the cut-off is a label (a member who had reacted before the cut-off is
left out of that post's pairs: its answer was already known).

Three tables (``analysis.honest``):

1. who engages, on all test pairs: the reaction model against ``everyone_ignores``, each
   persona's ``own_rate`` and the pooled ``history_mean``;
2. the same on a seeded, evenly timed sample of at most ``max_cases`` test posts simulated through
   the engine by each policy (rules, the language model, the hybrid), with the references and the
   reaction model restricted to those posts, so every comparison is paired;
3. what was said: the real replies and quotes after the cut-off beside each policy's texts.

Pure (engine, learners, builders; no Django): the service loads the history and stores the result.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from personas.builders.cards import build_card
from personas.builders.profiling import derive_profile
from scraping.sources.records import AccountRecord
from simnet.llm.base import Provider
from simulations.analysis.calibration import Reliability
from simulations.analysis.honest import (
    ReactionPrediction,
    Table,
    Warning,
    score_reactions,
    score_texts,
)
from simulations.analysis.references import own_rate
from simulations.engine.persona import PanelSnapshot
from simulations.insight.backtest_simulation import BacktestCase, audience, simulate_case
from simulations.learning.exposures import (
    KnownPost,
    MemberItem,
    handles,
    known_posts,
    main_reactions,
    own_texts,
    pairs,
    training_set,
)
from simulations.learning.hybrid import HybridProvider
from simulations.learning.reactions import Exposure, ReactionModel, fit_reactions

RULES = "rules"
HYBRID = "hybrid"
MODEL_ROW = "hybrid (reaction model)"
OWN_RATE, HISTORY_MEAN = "own_rate", "history_mean"
TEST_SHARE = 0.25  # the default cut-off leaves this share of known posts after it
MAX_RESAMPLED_CELLS = 10_000_000  # resamples x pairs held at once by the bootstrap
MIN_RESAMPLES, MAX_RESAMPLES = 200, 1000
WORDED = ("reply", "quote")


@dataclass(frozen=True)
class PolicyRun:
    decisions: int
    failed: int


@dataclass(frozen=True)
class ReactionBacktest:
    cutoff: datetime
    population: int
    cases: tuple[dict, ...]  # the simulated posts: key, text, author, time, real engagers
    test_posts: int
    tables: tuple[Table, ...]
    calibration: Reliability
    warnings: tuple[Warning, ...]  # beyond the tables' own
    runs: Mapping[str, PolicyRun]


@dataclass(frozen=True)
class _TestSet:
    posts: dict[str, KnownPost]
    exposures: list[Exposure]
    actions: list[str]
    dropped: int  # reactions after the cut-off to posts whose text nobody kept


def default_cutoff(history: Sequence[MemberItem]) -> datetime:
    """The time that leaves the last ``TEST_SHARE`` of known posts after it."""
    times = sorted(p.at for p in known_posts(history).values())
    if len(times) < 2:
        raise ValueError("a backtest needs at least two known posts with a time")
    return times[min(int((1 - TEST_SHARE) * len(times)), len(times) - 1) - 1]


def _before(history: Sequence[MemberItem], cutoff: datetime) -> list[MemberItem]:
    return [i for i in history if i.record.created_at is not None and i.record.created_at <= cutoff]


def labelled_pairs(history: Sequence[MemberItem], personas: Sequence[str], cutoff: datetime) -> _TestSet:
    """Every (post, member) pair with a real answer after ``cutoff`` (see the module docstring)."""
    after = [i for i in history if i.record.created_at is not None and i.record.created_at > cutoff]
    later = main_reactions(after)
    earlier = set(main_reactions(_before(history, cutoff)))
    everything = known_posts(history)
    answered = {post for _, post in later}
    posts = {k: p for k, p in everything.items() if p.at > cutoff or k in answered}
    exposures, actions = pairs(posts, personas, handles(history), later)
    kept = [i for i, e in enumerate(exposures) if (e.persona, e.post_id) not in earlier]
    dropped = sum(1 for _, post in later if post not in everything)
    return _TestSet(posts, [exposures[i] for i in kept], [actions[i] for i in kept], dropped)


@dataclass(frozen=True)
class _PastRates:
    """Each persona's training counts: what the own-rate and history-mean references read."""

    engaged: dict[str, tuple[float, float]]  # persona -> (posts engaged with, posts seen)
    replied: dict[str, tuple[float, float]]  # persona -> (posts replied to, posts seen)
    usual: dict[str, str]  # persona -> its most frequent reaction (the pooled one when it has none)


def _past_rates(exposures: Sequence[Exposure], actions: Sequence[str], weights: Sequence[float]) -> _PastRates:
    """The sampled ignores count by their weights."""
    seen: dict[str, float] = defaultdict(float)
    did: dict[str, Counter] = defaultdict(Counter)
    for exposure, action, weight in zip(exposures, actions, weights, strict=True):
        seen[exposure.persona] += weight
        if action != "ignore":
            did[exposure.persona][action] += 1
    pooled = sum(did.values(), Counter()).most_common(1)
    fallback = pooled[0][0] if pooled else "like"
    return _PastRates(
        {p: (sum(did[p].values()), s) for p, s in seen.items()},
        {p: (did[p]["reply"], s) for p, s in seen.items()},
        {p: did[p].most_common(1)[0][0] if did[p] else fallback for p in seen},
    )


def _model_prediction(model: ReactionModel, exposures: Sequence[Exposure]) -> ReactionPrediction:
    rows = model.probabilities_many(exposures)
    return ReactionPrediction(
        np.array([1.0 - p["ignore"] for p in rows]),
        np.array([p["reply"] for p in rows]),
        # The action it would take if it engaged: action accuracy is scored on real engagers only.
        np.array([max((a for a in p if a != "ignore"), key=p.get) for p in rows], dtype=object),
    )


def _references(past: _PastRates, exposures: Sequence[Exposure]) -> dict[str, ReactionPrediction]:
    """Each persona's own past rates (engaging, replying, its usual reaction), and the pooled ones."""
    personas = [e.persona for e in exposures]
    seen = sum(s for _, s in past.engaged.values())
    pooled = [sum(n for n, _ in counts.values()) / seen if seen else 0.0 for counts in (past.engaged, past.replied)]
    usual = Counter(past.usual.values()).most_common(1)
    return {
        OWN_RATE: ReactionPrediction(
            own_rate(past.engaged, personas),
            own_rate(past.replied, personas),
            np.array([past.usual.get(p, "like") for p in personas], dtype=object),
        ),
        HISTORY_MEAN: ReactionPrediction(
            np.full(len(exposures), pooled[0]),
            np.full(len(exposures), pooled[1]),
            np.full(len(exposures), usual[0][0] if usual else "like", dtype=object),
        ),
    }


def _subset(prediction: ReactionPrediction, index: np.ndarray) -> ReactionPrediction:
    return ReactionPrediction(
        prediction.p_engage[index],
        None if prediction.p_reply is None else prediction.p_reply[index],
        None if prediction.action is None else prediction.action[index],
    )


def _resamples(n: int) -> int:
    return int(min(MAX_RESAMPLES, max(MIN_RESAMPLES, MAX_RESAMPLED_CELLS // max(n, 1))))


def _sample_cases(posts: Mapping[str, KnownPost], max_cases: int, seed: int) -> list[KnownPost]:
    """At most ``max_cases`` posts, one drawn (seeded) from each of as many equal stretches of time.

    Top-level posts only when there are any: what a customer tests is a post, and the many
    replies in a thread (each a known post nearly nobody reacts to) would crowd them out."""
    pool = [p for p in posts.values() if p.top_level] or list(posts.values())
    ordered = sorted(pool, key=lambda p: (p.at, p.post_id))
    if len(ordered) <= max_cases:
        return ordered
    rng = np.random.default_rng(seed)
    return [ordered[int(rng.choice(block))] for block in np.array_split(np.arange(len(ordered)), max_cases)]


def cutoff_panel(
    panel: PanelSnapshot,
    history: Sequence[MemberItem],
    accounts: Mapping[str, AccountRecord],
    cutoff: datetime,
) -> PanelSnapshot:
    """The panel with each member's card and propensities rebuilt from its items up to ``cutoff``."""
    records: dict[str, list] = defaultdict(list)
    for item in _before(history, cutoff):
        records[item.persona].append(item.record)
    personas = []
    for persona in panel.personas:
        account = accounts.get(persona.id)
        if account is None:
            personas.append(persona)
            continue
        own = records.get(persona.id, [])
        profile = derive_profile(account, own, holdout_fraction=0.0)
        card = build_card(profile, account, own).text
        personas.append(replace(persona, card=card, propensities=dict(profile.propensities)))
    return PanelSnapshot(tuple(personas), panel.follows)


def _simulated(
    people: PanelSnapshot,
    cases: Sequence[KnownPost],
    policies: Mapping[str, Provider],
    replicates: int,
    seed: int,
) -> tuple[dict[str, dict[tuple[str, str], tuple[str, str, float]]], dict[str, PolicyRun]]:
    """policy -> (post id, persona) -> (action, text, share of replicates engaged); and the counts."""
    outcomes: dict[str, dict] = {}
    runs = {}
    for label, provider in policies.items():
        outcome, decisions, failed = {}, 0, 0
        for post in cases:
            case = BacktestCase(post.post_id, post.text, post.author)
            run = simulate_case(people, case, provider, replicates=replicates, seed=seed)
            decisions, failed = decisions + run.decisions, failed + run.failed
            for reaction in run.reactions:
                persona = reaction.persona_id.rsplit("|", 1)[1]
                outcome[(post.post_id, persona)] = (
                    str(reaction.action),
                    reaction.text,
                    float(reaction.engagement_score or 0.0),
                )
        outcomes[label], runs[label] = outcome, PolicyRun(decisions, failed)
    return outcomes, runs


def _policy_prediction(outcome: Mapping, exposures: Sequence[Exposure]) -> ReactionPrediction:
    rows = [outcome.get((e.post_id, e.persona), ("ignore", "", 0.0)) for e in exposures]
    engaged = np.array([share for _, _, share in rows])
    return ReactionPrediction(
        engaged,
        np.array([share if action == "reply" else 0.0 for action, _, share in rows]),
        np.array([action for action, _, _ in rows], dtype=object),
    )


def _real_texts(
    history: Sequence[MemberItem], cutoff: datetime, posts: Collection[str]
) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = defaultdict(list)
    for item in history:
        r = item.record
        if (
            r.kind.value in WORDED
            and r.text
            and r.created_at
            and r.created_at > cutoff
            and r.target_id in posts
        ):
            texts[r.target_id].append(r.text)
    return dict(texts)


def _simulated_texts(outcome: Mapping, posts: Mapping[str, KnownPost]) -> dict[str, list[tuple[str, str]]]:
    texts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (post_id, _), (action, text, _) in outcome.items():
        if action in WORDED and text:
            texts[post_id].append((text, posts[post_id].text))
    return dict(texts)


def _case_summary(post: KnownPost, real_engagers: int) -> dict:
    return {
        "key": post.post_id, "text": post.text, "author": post.author, "at": post.at.isoformat(),
        "real_engagers": real_engagers,
    }  # fmt: skip


def run_reaction_backtest(
    history: Sequence[MemberItem],
    panel: PanelSnapshot,
    *,
    policies: Mapping[str, Provider],
    writer: Provider | None = None,
    accounts: Mapping[str, AccountRecord] | None = None,
    cutoff: datetime | None = None,
    replicates: int = 1,
    seed: int = 0,
    max_cases: int = 20,
) -> ReactionBacktest:
    """Score the reaction model, the references and each simulated policy after ``cutoff``.

    ``history``: the members' items, held-out ones included (the cut-off splits them);
    ``panel``: the members as the engine sees them; ``policies``: label -> provider to simulate
    (``rules`` at least); ``writer``: the provider whose words a ``hybrid`` policy uses (none, no
    hybrid); ``accounts``: persona id -> account record, to rebuild the cards as of the cut-off.
    Raises ``ValueError`` when training or the test period is empty.
    """
    cutoff = cutoff or default_cutoff(history)
    members = sorted({i.persona for i in history} & {p.id for p in panel.personas})
    test = labelled_pairs(history, members, cutoff)
    if not test.exposures or not any(a != "ignore" for a in test.actions):
        raise ValueError("no member reacted to anything after the cut-off: there is nothing to score")
    train_exposures, train_actions, weights = training_set(
        _before(history, cutoff), members, until=cutoff, seed=seed
    )
    if not any(a != "ignore" for a in train_actions):
        raise ValueError("no member reacted to anything before the cut-off: there is nothing to learn from")
    model = fit_reactions(
        train_exposures, train_actions, weights=weights, persona_texts=own_texts(history, until=cutoff)
    )
    case_ids = [e.post_id for e in test.exposures]
    engaged = [a != "ignore" for a in test.actions]
    references = _references(_past_rates(train_exposures, train_actions, weights), test.exposures)
    model_row = _model_prediction(model, test.exposures)
    table_all = score_reactions(
        case_ids, engaged, test.actions, {**references, MODEL_ROW: model_row},
        references=list(references), seed=seed, resamples=_resamples(len(case_ids)),
    )  # fmt: skip
    table_all = replace(table_all, title="Who engages: every post after the cut-off (reaction model)")

    warnings = []
    if accounts is None:
        warnings.append(
            Warning("leak", "persona cards were not rebuilt as of the cut-off: they may know the test")
        )
    people = audience(cutoff_panel(panel, history, accounts, cutoff) if accounts else panel, set(members))
    simulated_policies = dict(policies)
    if writer is not None:
        simulated_policies[HYBRID] = HybridProvider(model, writer)
    cases = _sample_cases(test.posts, max_cases, seed)
    outcomes, runs = _simulated(people, cases, simulated_policies, replicates, seed)
    chosen = {c.post_id for c in cases}
    index = np.array([i for i, e in enumerate(test.exposures) if e.post_id in chosen], dtype=int)
    subset = [test.exposures[i] for i in index]
    predictions = {name: _subset(p, index) for name, p in {**references, MODEL_ROW: model_row}.items()}
    predictions.update({label: _policy_prediction(outcome, subset) for label, outcome in outcomes.items()})
    table_simulated = score_reactions(
        [case_ids[i] for i in index], [engaged[i] for i in index], [test.actions[i] for i in index],
        predictions, references=list(references), seed=seed, resamples=_resamples(len(index)),
    )  # fmt: skip
    table_simulated = replace(
        table_simulated, title=f"Who engages: {len(cases)} posts simulated by each policy"
    )
    texts = score_texts(
        _real_texts(history, cutoff, test.posts),
        {label: _simulated_texts(outcome, test.posts) for label, outcome in outcomes.items()},
        seed=seed,
    )
    if test.dropped:
        warnings.append(
            Warning(
                "unlabelled",
                f"{test.dropped} reactions after the cut-off answer posts whose text nobody kept",
            )
        )
    real_engagers: dict[str, int] = defaultdict(int)
    for exposure, did in zip(test.exposures, engaged, strict=True):
        real_engagers[exposure.post_id] += did
    return ReactionBacktest(
        cutoff=cutoff,
        population=len(members),
        cases=tuple(_case_summary(c, real_engagers[c.post_id]) for c in cases),
        test_posts=len(test.posts),
        tables=(table_all, table_simulated, texts),
        calibration=model.reliability(test.exposures, test.actions),
        warnings=tuple(warnings),
        runs=runs,
    )
