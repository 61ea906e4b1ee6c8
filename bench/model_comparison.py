"""The installed offline models compared on one fixed set of decisions, scored by the quality gate.

Every model answers the same decisions, asked the way a run asks them (``plan_step`` and
``gather_decisions`` over the product's ``OfflineProvider``, the model's child process):

- ``FEED_DECISIONS`` feed decisions of a demo panel shown a boosted exercise-bike ad and the
  replies the panel writes to it;
- a board meeting on the demo agenda, to its vote (statements and vote reasons);
- ``INTERVIEWS`` interview answers about the run.

Each text a reader would see is checked by ``simnet.llm.quality_gate`` exactly as the gate
checks it in a run: whole sentences, not a copy of the prompt or the post it answers, on topic,
no prompt scaffolding. The figures per model are the share of first attempts the gate rejects
(``gate_reject_share``, lower is better), the share of decisions usable as given (valid JSON the
engine accepted without a correction request) and the seconds per decision (the machine's load
counts: compare models measured in the same run).

``verdict`` names a better model only when a difference is more than noise: the gate's rejections
first (the rubric), then the usable decisions, each a test of two proportions at ``ALPHA``;
otherwise it says the difference is within noise and keeps the current default.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from simnet.llm.base import LLMRequest, LLMResponse, Provider, ProviderError
from simnet.llm.quality_gate import check_text, texts_of
from simulations.analysis.experiment import wilson_ci
from simulations.analysis.stats import compare_proportions
from simulations.engine import (
    DEMO_AGENDA,
    PanelSnapshot,
    RoundtableConfig,
    Stimulus,
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_board,
    demo_panel,
    gather_decisions,
    plan_step,
)
from simulations.engine.interview import interview_request

ALPHA = 0.05  # a difference with a larger p-value is called noise
SEED = 5  # the world, the panel and every decision are drawn from it: the set is fixed
FEED_DECISIONS = 40
FEED_AGENTS = 8
MEETING_STEPS = 4  # opened, two discussion turns, the vote
INTERVIEWS = 3
QUESTION = "What did you make of the exercise bike ad, and would you buy one?"
BIKE_AD = Stimulus(
    "bike-ad",
    "This holiday, give the gift that gives back: the Pedal Pro home bike. Live classes, "
    "real results, from $39 a month.",
    at_step=0,
    author_handle="PedalProBrand",
    boost=1.0,
)


@dataclass(frozen=True)
class GateScore:
    """What the gate made of a set of first attempts."""

    checked: int = 0  # texts a reader would see
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def reject_share(self) -> float:
        return self.rejected / self.checked if self.checked else 0.0

    def __add__(self, other: GateScore) -> GateScore:
        return GateScore(
            self.checked + other.checked, self.rejected + other.rejected, self.reasons + other.reasons
        )


def score_answers(pairs: Iterable[tuple[LLMRequest, LLMResponse]]) -> GateScore:
    """The gate's verdict on every reader-visible text of the answers, as a run's gate reads them."""
    checked = rejected = 0
    reasons: Counter[str] = Counter()
    for request, response in pairs:
        for gated in texts_of(request, response):
            verdict = check_text(gated.text, answers=gated.answers, prompt=request.user, kind=gated.kind)
            checked += 1
            if not verdict.ok:
                rejected += 1
                reasons[verdict.reason or "unknown"] += 1
    return GateScore(checked, rejected, reasons)


@dataclass(frozen=True)
class ModelFigures:
    model: str
    decisions: int  # feed and meeting decisions and interview answers
    valid: int  # usable as given on the first attempt
    seconds: float  # inside the model, for all decisions
    gate: GateScore

    @property
    def valid_share(self) -> float:
        return self.valid / self.decisions if self.decisions else 0.0

    @property
    def seconds_per_decision(self) -> float:
        return self.seconds / self.decisions if self.decisions else 0.0

    def to_json(self) -> dict:
        interval = wilson_ci(self.gate.rejected, self.gate.checked) if self.gate.checked else None
        return {
            "gate_reject_share": round(self.gate.reject_share, 4),
            "gate_reject_interval_95": [round(interval.low, 4), round(interval.high, 4)]
            if interval
            else None,
            "valid_share": round(self.valid_share, 4),
            "seconds_per_decision": round(self.seconds_per_decision, 2),
            "decisions": self.decisions,
            "texts_checked": self.gate.checked,
            "gate_reasons": dict(sorted(self.gate.reasons.items())),
        }


class FirstAttempts:
    """A provider that keeps each call's requests and answers, to score the first attempts."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.calls: list[list[tuple[LLMRequest, LLMResponse]]] = []
        self.seconds = 0.0

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        started = time.perf_counter()
        responses = self.inner.generate(requests)
        self.seconds += time.perf_counter() - started
        self.calls.append(list(zip(requests, responses)))
        return responses


@dataclass
class _Tally:
    decisions: int = 0
    valid: int = 0
    gate: GateScore = field(default_factory=GateScore)


def _step(world: World, recorder: FirstAttempts, tally: _Tally) -> None:
    """One engine step; its first call holds the first attempts (a second call is the corrections)."""
    plan = plan_step(world)
    first_call = len(recorder.calls)
    answers = gather_decisions(plan.turns, recorder) if plan.turns else []
    apply_step(world, plan, answers)
    if answers:
        tally.decisions += len(answers)
        tally.valid += sum(a.decision is not None and a.attempts == 1 for a in answers)
        tally.gate += score_answers(recorder.calls[first_call])


def _feed(recorder: FirstAttempts, tally: _Tally) -> World:
    online = tuple(replace(p, activity_rate=1.0) for p in demo_panel(FEED_AGENTS, seed=SEED).personas)
    world = create_world(PanelSnapshot(online), WorldConfig(seed=SEED), [BIKE_AD])
    target = tally.decisions + FEED_DECISIONS
    while tally.decisions < target:
        _step(world, recorder, tally)
    return world


def _meeting(recorder: FirstAttempts, tally: _Tally) -> None:
    config = WorldConfig(
        seed=SEED,
        format="roundtable",
        roundtable=RoundtableConfig(agenda=DEMO_AGENDA[:1], steps=MEETING_STEPS),
    )
    world = create_world(demo_board(seed=SEED), config)
    for _ in range(MEETING_STEPS):
        if world.finished:
            break
        _step(world, recorder, tally)


def _interviews(world: World, recorder: FirstAttempts, tally: _Tally) -> None:
    agents = sorted(world.personas)[:INTERVIEWS]
    requests = [interview_request(world, agent, QUESTION) for agent in agents]
    responses = recorder.generate(requests)
    tally.decisions += len(requests)
    tally.valid += sum(not r.error and bool(r.text.strip()) for r in responses)
    tally.gate += score_answers(zip(requests, responses))


def measure_model(provider: Provider) -> ModelFigures:
    """The fixed decisions through ``provider`` (loaded before the clock starts)."""
    provider.generate([LLMRequest(key="load", system="", user="Hi.", max_tokens=1)])
    recorder, tally = FirstAttempts(provider), _Tally()
    world = _feed(recorder, tally)
    _meeting(recorder, tally)
    _interviews(world, recorder, tally)
    return ModelFigures(provider.model, tally.decisions, tally.valid, recorder.seconds, tally.gate)


def compare_models(names: Sequence[str] | None = None) -> dict[str, ModelFigures | str]:
    """Figures per installed offline model (or the reason one could not be measured)."""
    from simnet.llm.offline_models import installed_offline_models
    from simnet.llm.offline_process import OfflineProvider

    results: dict[str, ModelFigures | str] = {}
    for name in names or installed_offline_models():
        try:
            results[name] = measure_model(OfflineProvider(model_name=name))
        except (ImportError, ProviderError) as err:
            results[name] = f"{type(err).__name__}: {err}"
    return results


@dataclass(frozen=True)
class Verdict:
    better: str | None  # the model to make the default, None when no difference beats noise
    text: str


def verdict(results: Mapping[str, ModelFigures | str], default: str) -> Verdict:
    """Which measured model should be the default: another model only when it beats ``default``
    by more than noise on the gate's rejections or, when those tie, on the usable decisions."""
    base = results.get(default)
    if not isinstance(base, ModelFigures):
        return Verdict(None, f"no verdict: the default {default} was not measured")
    others = [r for name, r in results.items() if name != default and isinstance(r, ModelFigures)]
    if not others:
        return Verdict(None, f"no verdict: only {default} was measured")
    notes = []
    for other in others:
        better, note = _pairwise(base, other)
        if better is other:
            return Verdict(other.model, f"{other.model} beats {default}: {note}")
        notes.append(f"against {other.model}, {note}" + (f", {default} is better" if better is base else ""))
    return Verdict(None, f"keep {default}: " + "; ".join(notes))


def _pairwise(a: ModelFigures, b: ModelFigures) -> tuple[ModelFigures | None, str]:
    """The better of two models on the rubric, or None within noise, with the evidence."""
    rejects = compare_proportions(a.gate.rejected, a.gate.checked, b.gate.rejected, b.gate.checked)
    usable = compare_proportions(a.valid, a.decisions, b.valid, b.decisions)
    gate_note = (
        f"gate rejects {a.gate.rejected}/{a.gate.checked} against {b.gate.rejected}/{b.gate.checked} "
        f"(p={_p(rejects.p_value)})"
    )
    usable_note = f"usable {a.valid}/{a.decisions} against {b.valid}/{b.decisions} (p={_p(usable.p_value)})"
    if rejects.p_value is not None and rejects.p_value < ALPHA:
        return (a if a.gate.reject_share < b.gate.reject_share else b), gate_note
    if usable.p_value is not None and usable.p_value < ALPHA:
        return (a if a.valid_share > b.valid_share else b), f"{gate_note}, within noise; {usable_note}"
    return None, f"{gate_note} and {usable_note}: the difference is within noise"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
