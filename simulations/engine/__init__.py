"""The simulation engine: pure Python, no Django, deterministic from one seed.

Building a world
----------------
    panel = PanelSnapshot(personas=(Persona(...), ...), follows=((follower_id, followee_id), ...))
    world = create_world(panel, WorldConfig(seed=7, format="feed", recommender="mix"), stimuli=[...])
    # World.create, then the format's setup (a roundtable opens its meeting), then the stimuli in order
    state = world.to_state()                 # JSON-able dict; store it between steps
    world = World.from_state(state)          # behaves exactly like the world that was stored
    # to_state(include_panel=False) omits personas (much smaller); then from_state(state, panel=panel)

One step (what a django-q2 task does, one task per step)
--------------------------------------------------------
    plan = plan_step(world)                  # who acts and what each is asked; world unchanged
    # --- outside any DB transaction; whole, or in batches, possibly on several workers: ---
    decisions = gather_decisions(plan.turns, provider, guard=guard)       # or, per batch:
    #   for batch in plan.batches(500): decisions += gather_decisions(batch, provider, guard=guard)
    #   (a worker holding the same snapshot recomputes the same plan; AgentDecision.to_dict()/
    #    from_dict() carry decisions between workers)
    # --- then, in one transaction with the snapshot and next_step: ---
    result = apply_step(world, plan, decisions)   # StepResult: results, events, impressions, usage
    # world.next_step advanced; world.to_state() is the snapshot to commit.

``plan.requests`` are ``LLMRequest``s (key = agent id, system = the persona's stable prefix, user =
the step suffix, schema, per agent-and-step seed, ``Situation`` for data-driven policies). An
agent whose answer is unusable gets one correction request; still unusable, or a per-request
provider error, becomes an ``error`` ActionResult for that agent; the step always completes.
``gather_decisions`` raises only for provider-wide failures (``ProviderError``, ``QuotaExceeded``)
and, with a guard, ``BudgetExhausted`` before sending anything that could cross the budget.

``StepResult.results`` holds one ``ActionResult`` per planned agent: step, agent_id, action
(``ActionType``), outcome (ok / invalid / error) and message, target_post_id, target_agent_id,
text, created_post_id, reason, position (roundtable votes), usage. ``StepResult.events`` are
``Event(kind, step, data)`` rows for live updates (step_done, agent_errors, stimulus_published,
meeting).

Everything else
---------------
- ``run(world, provider, steps, budget=Budget(max_usd=...))``: the loop above, for CLI and bench.
- ``world.inject(Stimulus(...))``: add content now (in feeds from the next step) or at a step.
- ``estimate_run(panel, config, steps, price=price_for(...), decisions_per_s=...)``: cost range.
- ``interview_request(world, agent_id, question)``: an in-character question; world unchanged.
- ``format_timeline(world, results)``, ``build_minutes(world)``, ``format_minutes``,
  ``format_transcript``: readable output.
- ``demo_panel(n, seed)``, ``demo_board()``: synthetic panels; ``simnet.llm.testing.FakeProvider``: a free,
  instant, deterministic provider.
- ``DECISION_SCHEMA`` / ``MEETING_SCHEMA`` / ``MEETING_VOTE_SCHEMA``: the JSON schemas of answers.
- ``prompt_tokens(request)``: prefix / suffix token counts of a request.
"""

from simulations.engine.actions import ActionResult, ActionType, Outcome
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard
from simulations.engine.config import RoundtableConfig, WorldConfig
from simulations.engine.decisions import gather_decisions
from simulations.engine.demo import DEMO_AGENDA, demo_board, demo_panel
from simulations.engine.estimate import Estimate, Range, estimate_run
from simulations.engine.formats import create_world
from simulations.engine.interview import interview_request
from simulations.engine.minutes import (
    Minutes,
    build_minutes,
    format_minutes,
    format_transcript,
    minutes_summary_request,
    with_summary,
)
from simulations.engine.persona import PanelSnapshot, Persona
from simulations.engine.prompts import PromptTokens, prompt_tokens
from simulations.engine.recommenders import make_recommender, register
from simulations.engine.runner import RunReport, run
from simulations.engine.schemas import DECISION_SCHEMA, MEETING_SCHEMA, MEETING_VOTE_SCHEMA
from simulations.engine.step import Event, StalePlan, StepResult, apply_step, plan_step
from simulations.engine.stimuli import Stimulus
from simulations.engine.timeline import format_timeline
from simulations.engine.turns import AgentDecision, AgentTurn, Decision, StepPlan
from simulations.engine.world import World

__all__ = [
    "DECISION_SCHEMA",
    "DEMO_AGENDA",
    "MEETING_SCHEMA",
    "MEETING_VOTE_SCHEMA",
    "ActionResult",
    "ActionType",
    "AgentDecision",
    "AgentTurn",
    "Budget",
    "BudgetExhausted",
    "BudgetGuard",
    "Decision",
    "Estimate",
    "Event",
    "Minutes",
    "Outcome",
    "PanelSnapshot",
    "Persona",
    "PromptTokens",
    "Range",
    "RoundtableConfig",
    "RunReport",
    "StalePlan",
    "StepPlan",
    "StepResult",
    "Stimulus",
    "World",
    "WorldConfig",
    "apply_step",
    "build_minutes",
    "create_world",
    "demo_board",
    "demo_panel",
    "estimate_run",
    "format_minutes",
    "format_timeline",
    "format_transcript",
    "gather_decisions",
    "interview_request",
    "make_recommender",
    "minutes_summary_request",
    "plan_step",
    "prompt_tokens",
    "register",
    "run",
    "with_summary",
]
