"""A backtest's simulation side: show one real post to a panel and collect what each persona does.

Pure Python (engine + analysis, no Django), so it runs the same from the web, the worker and
``manage.py backtest``. For a case (one real post) every persona of the audience is put online
for one step with the post promoted into its feed as the only item; whatever it does to that post
is its reaction, anything else (ignoring it, posting about something else, a failed decision)
counts as not engaging. A case is simulated ``replicates`` times with consecutive seeds: the
persona's reaction is its most frequent one (ties go to the more expressive action) and its
engagement score is the share of replicates in which it engaged, which is what the ROC AUC ranks.

Reactions name a persona ``"<case key>|<persona id>"``, so several cases can be pooled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace

from simnet.llm.base import Provider
from simulations.analysis.records import ENGAGEMENT_ACTIONS, ActionKind, Reaction
from simulations.engine.config import WorldConfig
from simulations.engine.formats import create_world
from simulations.engine.persona import ALL_HOURS, PanelSnapshot
from simulations.engine.runner import run
from simulations.engine.stimuli import Stimulus

STIMULUS_ID = "backtest"
PRIORITY = (
    ActionKind.QUOTE, ActionKind.REPLY, ActionKind.REPOST, ActionKind.LIKE, ActionKind.FOLLOW, ActionKind.POST,
    ActionKind.REPORT, ActionKind.MUTE, ActionKind.UNFOLLOW, ActionKind.IGNORE, ActionKind.ERROR,
)  # fmt: skip
ENGAGING = frozenset(kind.value for kind in ENGAGEMENT_ACTIONS)


class BacktestStopped(RuntimeError):
    """The provider stopped answering (quota, outage) before every case was simulated."""


@dataclass(frozen=True)
class BacktestCase:
    """One real post to show the audience."""

    key: str
    stimulus_text: str
    author_handle: str


@dataclass(frozen=True)
class ProviderRun:
    reactions: tuple[Reaction, ...]
    decisions: int
    failed: int  # decisions that errored or were refused (counted as not engaging)


def audience(panel: PanelSnapshot, population: Collection[str]) -> PanelSnapshot:
    """The population only, everyone online at every hour: each is asked about the post once."""
    personas = tuple(
        replace(p, activity_rate=1.0, active_hours=ALL_HOURS) for p in panel.personas if p.id in population
    )
    kept = {p.id for p in personas}
    return PanelSnapshot(personas, tuple((a, b) for a, b in panel.follows if a in kept and b in kept))


def _case_id(case: BacktestCase, persona_id: str) -> str:
    return f"{case.key}|{persona_id}"


def _one_replicate(
    panel: PanelSnapshot, case: BacktestCase, provider: Provider, seed: int
) -> tuple[dict[str, tuple[str, str]], int, int]:
    """persona id -> (action on the post, text), with the number of decisions and failures."""
    stimulus = Stimulus(
        id=STIMULUS_ID, text=case.stimulus_text, at_step=0, author_handle=case.author_handle or "source",
        boost=1.0, boost_steps=1,
    )  # fmt: skip
    world = create_world(panel, WorldConfig(seed=seed, format="feed", feed_size=1), [stimulus])
    post_id = next(p.id for p in world.posts.values() if p.stimulus_id == STIMULUS_ID)
    report = run(world, provider, 1)
    if report.stopped != "completed":
        raise BacktestStopped(f"the provider stopped ({report.stopped}): {report.message}")
    chosen = {p.id: ("ignore", "") for p in panel.personas}
    failed = 0
    for result in report.results:
        failed += not result.ok
        if result.ok and result.target_post_id == post_id and str(result.action) in ENGAGING:
            chosen[result.agent_id] = (str(result.action), result.text or "")
    return chosen, len(report.results), failed


def simulate_case(
    panel: PanelSnapshot, case: BacktestCase, provider: Provider, *, replicates: int, seed: int
) -> ProviderRun:
    """The audience's reactions to one case, aggregated over ``replicates`` seeds."""
    rank = {kind.value: i for i, kind in enumerate(PRIORITY)}
    draws: dict[str, list[tuple[str, str]]] = {p.id: [] for p in panel.personas}
    decisions = failed = 0
    for replicate in range(replicates):
        chosen, asked, refused = _one_replicate(panel, case, provider, seed + replicate)
        decisions, failed = decisions + asked, failed + refused
        for persona_id, draw in chosen.items():
            draws[persona_id].append(draw)
    reactions = []
    for persona_id, rows in draws.items():
        counts = Counter(action for action, _ in rows)
        action = min(counts, key=lambda a: (-counts[a], rank[a]))
        text = next(t for a, t in rows if a == action)
        engaged = sum(1 for a, _ in rows if a in ENGAGING)
        reactions.append(Reaction(_case_id(case, persona_id), ActionKind(action), text, engaged / len(rows)))
    return ProviderRun(tuple(reactions), decisions, failed)
