"""A step spread across workers, in this process: shards decided by separate tasks commit the same
world as one task, a shard whose worker died mid-shard is redone by another owner and every
decision counted once, a stale shard task writes nothing, and the budget holds across shards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from simnet.llm.base import LLMRequest
from simnet.llm.pricing import Price
from simnet.providers.models import DecisionCacheEntry
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard, tokens_spent
from simulations.engine.decisions import gather_decisions
from simulations.engine.step import plan_step
from simulations.models import Run, RunAction, RunPost, RunShard, RunStatus, Stimulus
from simulations.runs import asking, shards, stepper, worlds
from simulations.runs.policy import policy_provider
from simulations.runs.services import run_start
from tests.support.fake_provider import logged_requests
from tests.support.task_queue import InlineQueue

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = 4  # the fake scenario's
AGENTS = 6  # its panel; everyone acts every step
ADVANCE, DECIDE = "simulations.tasks.advance_run", "simulations.tasks.decide_shard"
ACTION_FIELDS = ("step", "agent_key", "action", "target_post_key", "created_post_key", "text", "outcome",
                 "input_tokens", "output_tokens", "cached")  # fmt: skip


@pytest.fixture
def tasks(monkeypatch):
    return InlineQueue(monkeypatch)


def _start(scenario, user) -> Run:
    return run_start(organization=scenario.organization, actor=user, scenario=scenario, seeds=[7])[0]


def _overlapping(tasks: InlineQueue, monkeypatch) -> None:
    """A shard task starts the next waiting shard task as it asks for its first batch, so a step's
    shards are decided at once, each by its own task (as by workers on separate machines)."""
    ask = asking.gather_decisions

    def gather(turns, provider, *, guard=None):
        waiting = tasks.take(DECIDE)
        if waiting:
            tasks.waiting.extend(waiting[1:])
            tasks.run(*waiting[0])
        return ask(turns, provider, guard=guard)

    monkeypatch.setattr(asking, "gather_decisions", gather)


def _committed(run: Run) -> dict:
    """What a run committed, without what names the run itself."""
    run = Run.unscoped.get(pk=run.pk)
    actions = RunAction.objects.filter(run=run).order_by("step", "agent_key")
    posts = RunPost.objects.filter(run=run).order_by("post_key")
    return {
        "status": run.status,
        "world": worlds.load_world(run).to_state(include_panel=False),
        "actions": list(actions.values_list(*ACTION_FIELDS)),
        "posts": list(posts.values_list("post_key", "text", "likes", "replies", "reposts", "impressions")),
        "usage": (run.input_tokens, run.cached_tokens, run.output_tokens, run.llm_calls, run.cost_usd),
        "gate": run.quality_gate,
    }


def test_shards_decided_by_separate_tasks_commit_the_same_run_as_one_task(
    fake_scenario, tenancy, tasks, settings, monkeypatch
):
    settings.SIMNET_AGENT_BATCH = 1
    _overlapping(tasks, monkeypatch)
    settings.SIMNET_SHARD_TURNS = AGENTS  # every step in one task
    whole = _start(fake_scenario, tenancy.member)
    tasks.run_all()
    assert not [done for done in tasks.done if done.task == DECIDE]

    DecisionCacheEntry.unscoped.all().delete()  # the second run pays for (and judges) fresh answers
    settings.SIMNET_SHARD_TURNS = 2  # three shards a step
    sharded = _start(fake_scenario, tenancy.member)
    start = len(tasks.done)
    tasks.run_all()
    shard_tasks = [done for done in tasks.done[start:] if done.task == DECIDE]
    idle = [done.args for done in shard_tasks if done.outcome.startswith("nothing to decide")]
    # Each task decided its own shard; the first to start finished last (the others ran inside it).
    assert [done.outcome for done in shard_tasks if done.args not in idle] == [
        f"step {step}: shard(s) {i} done" + (", the step is ready" if i == 0 else "")
        for step in range(STEPS)
        for i in (2, 1, 0)
    ]
    # Shards 0 and 1 were taken while others waited, so each called for help, too late to find one.
    assert idle == [(sharded.pk, step, None) for step in range(STEPS) for _ in range(2)]

    expected = _committed(whole)
    assert expected["status"] == RunStatus.COMPLETED and len(expected["actions"]) == STEPS * AGENTS
    assert expected["gate"]["checked"] > 0 and expected["usage"][3] > 0
    assert _committed(sharded) == expected
    assert not RunShard.unscoped.filter(run=sharded).exists()  # dropped once committed


def test_a_worker_taking_a_shard_while_others_wait_calls_an_idle_worker(
    fake_scenario, tenancy, tasks, settings, monkeypatch
):
    """One cluster fetched all of a step's shard tasks ahead of its one worker (django-q2 fetches
    ahead), so only the calls for help can reach the idle workers of other clusters."""
    settings.SIMNET_SHARD_TURNS = 2  # three shards a step
    run = _start(fake_scenario, tenancy.member)
    assert tasks.run(*tasks.take(ADVANCE)[0]) == "step 0: 3 shard(s) queued"
    hoarded = tasks.take(DECIDE)
    assert [args for _, args in hoarded] == [(run.pk, 0, index) for index in range(3)]
    helped = []
    ask = asking.gather_decisions

    def gather(turns, provider, *, guard=None):
        for call in tasks.take(DECIDE):  # queued while this shard is asked for: an idle worker takes it
            helped.append((call[1], tasks.run(*call)))
        return ask(turns, provider, guard=guard)

    monkeypatch.setattr(asking, "gather_decisions", gather)
    assert tasks.run(*hoarded[0]) == "step 0: shard(s) 0 done, the step is ready"
    assert helped == [  # the first helper called the second, which found nobody left waiting
        ((run.pk, 0, None), "step 0: shard(s) 2 done"),
        ((run.pk, 0, None), "step 0: shard(s) 1 done"),
    ]
    assert all(tasks.run(*task).startswith("nothing to decide") for task in hoarded[1:])
    assert tasks.take(DECIDE) == []
    tasks.run_all()
    assert Run.unscoped.get(pk=run.pk).status == RunStatus.COMPLETED


def _die_mid_shard(run: Run, index: int, owner: str, answered: int) -> None:
    """What a worker killed mid-shard leaves: the shard's lease held, ``answered`` of its turns
    paid for and in the decision cache, nothing stored."""
    assert shards._claim(run.pk, run.next_step, owner, index=index)
    run = Run.unscoped.select_related("scenario", "organization").get(pk=run.pk)
    world = worlds.load_world(run)
    worlds.inject_live_stimuli(run, world)
    shard = RunShard.unscoped.get(run=run, step=run.next_step, index=index)
    turns = plan_step(world).turns[shard.start : shard.start + answered]
    assert len(gather_decisions(turns, policy_provider(run))) == answered


def test_a_shard_whose_worker_died_is_redone_by_another_owner_and_counted_once(
    fake_scenario, tenancy, tasks, settings, fake_provider_env
):
    settings.SIMNET_AGENT_BATCH = 2
    settings.SIMNET_SHARD_TURNS = 4  # shards of turns 0-3 and 4-5
    log = fake_provider_env()
    run = _start(fake_scenario, tenancy.member)
    assert tasks.run(*tasks.take(ADVANCE)[0]) == "step 0: 2 shard(s) queued"
    first_deliveries = tasks.take(DECIDE)
    assert [args for _, args in first_deliveries] == [(run.pk, 0, 0), (run.pk, 0, 1)]

    _die_mid_shard(run, index=0, owner="dead-worker", answered=2)
    assert tasks.run(*first_deliveries[1]) == "step 0: shard(s) 1 done"  # another worker, the other shard
    assert tasks.run(*first_deliveries[0]).startswith("nothing to decide")  # the dead one's lease holds
    assert not tasks.waiting and Run.unscoped.get(pk=run.pk).next_step == 0

    _expire(run, index=0)
    assert shards._claim(run.pk, 0, "slow-worker", index=0)  # took the expired lease, then stalled too
    assert not shards._store(RunShard.unscoped.get(run=run, index=0).pk, "dead-worker", [], [], {})
    _expire(run, index=0)
    stepper.resume_stalled()
    assert tasks.take(DECIDE) == [(DECIDE, (run.pk, 0, 0))]  # only the expired shard, not the done one
    assert tasks.run(DECIDE, (run.pk, 0, 0)) == "step 0: shard(s) 0 done, the step is ready"
    redone = RunShard.unscoped.get(run=run, step=0, index=0)
    assert redone.done and redone.lease_owner not in ("", "dead-worker", "slow-worker")
    assert len(logged_requests(log)) == AGENTS  # the dead worker's two answers came from the cache

    tasks.run_all()
    run = Run.unscoped.get(pk=run.pk)
    assert run.status == RunStatus.COMPLETED
    actions = RunAction.objects.filter(run=run)
    assert actions.count() == STEPS * AGENTS
    assert len(set(actions.values_list("step", "agent_key"))) == STEPS * AGENTS
    calls = len(logged_requests(log))
    assert calls == STEPS * AGENTS  # one request per decision, none asked twice
    assert actions.filter(cached=True).count() == 2  # the dead worker's: paid once, by it
    assert run.llm_calls == calls - 2  # each stored decision's usage once; the dead worker's reached none
    assert run.input_tokens + run.cached_tokens == sum(actions.values_list("input_tokens", flat=True))
    assert run.output_tokens == sum(actions.values_list("output_tokens", flat=True))


def _expire(run: Run, index: int) -> None:
    RunShard.unscoped.filter(run=run, index=index).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_stale_shard_task_writes_nothing(fake_scenario, tenancy, tasks, settings, fake_provider_env):
    settings.SIMNET_SHARD_TURNS = 2
    log = fake_provider_env()
    run = _start(fake_scenario, tenancy.member)
    tasks.run(*tasks.take(ADVANCE)[0])
    duplicate = tasks.waiting[0]  # delivered twice: once now, once after the step is committed
    assert duplicate == (DECIDE, (run.pk, 0, 0))
    outcomes = [tasks.run(*task) for task in tasks.take(DECIDE)]
    assert outcomes[0] == "step 0: shard(s) 0, 1, 2 done, the step is ready"  # the first task took them all
    tasks.run(*tasks.take(ADVANCE)[0])  # commits step 0
    assert Run.unscoped.get(pk=run.pk).next_step == 1
    calls, actions = len(logged_requests(log)), RunAction.objects.filter(run=run).count()
    waiting = list(tasks.waiting)  # step 1's task

    assert not RunShard.unscoped.filter(run=run).exists()  # dropped with the commit
    leftover = RunShard.unscoped.create(
        organization=run.organization, run=run, step=0, index=0, start=0, stop=2
    )

    assert tasks.run(*duplicate).startswith("nothing to decide")
    assert len(logged_requests(log)) == calls and RunAction.objects.filter(run=run).count() == actions
    leftover.refresh_from_db()
    assert not leftover.done and not leftover.lease_owner and list(tasks.waiting) == waiting


def test_shards_decided_on_another_plan_are_decided_again_not_applied(
    fake_scenario, tenancy, tasks, settings, fake_provider_env
):
    settings.SIMNET_SHARD_TURNS = 2
    log = fake_provider_env()
    run = _start(fake_scenario, tenancy.member)
    tasks.run(*tasks.take(ADVANCE)[0])
    assert tasks.run(*tasks.take(DECIDE)[0]).endswith("the step is ready")
    # A post lands at this very step after the shards were decided: every feed, so every request, changes.
    Stimulus.objects.create(organization=run.organization, run=run, text="Flash sale, today only", step=0)
    assert tasks.run(*tasks.take(ADVANCE)[0]) == "step 0: 3 shard(s) queued"  # reopened, not applied
    assert tasks.run(*tasks.take(DECIDE)[0]).endswith("the step is ready")
    assert tasks.run(*tasks.take(ADVANCE)[0]) == "step 0 done"
    assert len(logged_requests(log)) == 2 * AGENTS  # each agent asked again, about the new feed
    flash = RunPost.objects.get(run=run, text="Flash sale, today only")
    seen = list(RunAction.objects.filter(run=run).values_list("seen", flat=True))
    assert len(seen) == AGENTS and any(flash.post_key in posts for posts in seen)


def test_a_step_that_does_not_fit_the_budget_queues_no_shard(
    fake_scenario, tenancy, tasks, settings, fake_provider_env
):
    settings.SIMNET_SHARD_TURNS = 2
    log = fake_provider_env()
    run = _start(fake_scenario, tenancy.member)
    Run.unscoped.filter(pk=run.pk).update(budget_tokens=100)  # far below six requests' worst case
    assert tasks.run(*tasks.take(ADVANCE)[0]) == "paused: budget"
    run = Run.unscoped.get(pk=run.pk)
    assert run.status == RunStatus.PAUSED and "Budget reached" in run.status_reason
    assert not RunShard.unscoped.filter(run=run).exists() and not tasks.waiting and not logged_requests(log)


def _requests(n: int, words: int) -> list[LLMRequest]:
    return [LLMRequest(key=f"a{i}", system="You are a persona.", user="word " * words) for i in range(n)]


def test_shards_share_what_is_left_of_the_budget_so_together_they_stay_within_it():
    price = Price(3.0, 15.0, 0.3, 3.75)
    spent = BudgetGuard(Budget(), price).worst_case(_requests(1, 10))  # a step already committed
    step = [_requests(3, 40), _requests(2, 90), _requests(1, 5)]  # three shards of unequal size
    need = BudgetGuard(Budget(), price).worst_case([r for shard in step for r in shard])

    def guards(max_tokens: int, max_usd: float) -> list[BudgetGuard]:
        run_guard = BudgetGuard(Budget(max_tokens=max_tokens, max_usd=max_usd), price)
        run_guard.charge(_usage(spent))
        return [asking.shard_guard(run_guard, [r for s in step for r in s], own) for own in step]

    exact = guards(spent.tokens + need.tokens, spent.usd + need.usd + 1e-9)  # the step just fits
    for guard, own in zip(exact, step):
        guard.reserve(own)  # each shard fits its share
    shares = [g.budget.max_tokens - tokens_spent(g.spent) for g in exact]
    assert sum(shares) <= need.tokens
    assert sum(g.budget.max_usd - g.spent_usd() for g in exact) <= need.usd + 1e-9

    short = guards(spent.tokens + need.tokens - 1, spent.usd + need.usd)  # one token short
    with pytest.raises(BudgetExhausted):
        for guard, own in zip(short, step):
            guard.reserve(own)


def _usage(reservation):
    from simnet.llm.base import Usage

    return Usage(input_tokens=reservation.tokens, cost_usd=reservation.usd)
