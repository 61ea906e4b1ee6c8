"""Starting and steering runs. Steps themselves are taken by ``simulations.runs.stepper``."""

from __future__ import annotations

import hashlib
import json
import platform
import random
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal

import django
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from simnet.llm.base import LLMResponse, ProviderError
from simnet.llm.pricing import Price, batch_price_factor, is_priced, price_for
from simnet.llm.testing import TEST_KINDS
from simnet.providers.build import choice_for, provider_for
from simnet.providers.models import HOSTED_KINDS, ProviderConfig
from simnet.providers.spend import check_quota
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user, audit_actor
from simnet.tenancy.audit import Actions, record
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.judge import judge_cost
from simulations.engine.estimate import Range, estimate_run
from simulations.engine.interview import INTERVIEW_RULES, interview_request, tidy_answer
from simulations.engine.media_estimate import StimulusPictures
from simulations.engine.persona import PanelSnapshot
from simulations.engine.prompts import FEED_RULES
from simulations.engine.roundtable import MEETING_RULES
from simulations.engine.schemas import DECISION_SCHEMA, MEETING_SCHEMA, MEETING_VOTE_SCHEMA
from simulations.models import (
    FINAL_STATUSES,
    Interview,
    Policy,
    Run,
    RunAction,
    RunPanel,
    RunPost,
    RunShard,
    RunSnapshot,
    RunStatus,
    Scenario,
    Stimulus,
)
from simulations.runs import lifecycle, media, persistence, worlds
from simulations.runs.events import append_event
from simulations.runs.pace import pace_for
from simulations.runs.policy import cap_estimate, chosen_policy, fit_policy_model, words_budget
from simulations.runs.queue import enqueue_step

# Rough throughput per provider kind, for the wall-time part of estimates (decisions per second).
# Until a run like it has finished here (``pace.py`` then measures the pace), the fixed default.
# Offline: `make bench` on two quiet cores gives ~0.85 decisions/s, but a real run also waits for
# the queue, the database and the quality gate's retries: a Peloton run (issue #14) estimated at
# 20/36/58 calls took 95 s, above the 64 s "high" of 0.9/s; at 0.4/s its range is 50/90/145 s.
THROUGHPUT = {"offline": 0.4, "baseline": 2000.0, "anthropic": 4.0, "openai_compat": 4.0}
THROUGHPUT.update(dict.fromkeys(TEST_KINDS, 1000.0))


def run_estimate(
    *,
    scenario: Scenario,
    replicates: int = 1,
    stimulus_texts: Sequence[str] | None = None,
    stimulus_pictures: Sequence[StimulusPictures] | None = None,
) -> dict:
    """Pre-run range of calls, tokens, dollars and wall time (JSON-able). ``stimulus_texts`` and
    ``stimulus_pictures`` stand in for the stimuli of a scenario not saved yet (the builder's)."""
    choice = choice_for(scenario.provider)
    config = worlds.world_config(scenario, scenario.seed)
    price = price_for(choice.kind, choice.model)
    policy = chosen_policy(scenario)
    pace = pace_for(
        organization_id=scenario.organization_id, kind=choice.kind, model=choice.model, policy=policy,
        default_rate=THROUGHPUT.get(choice.kind),
    )  # fmt: skip
    panel = persistence.panel_snapshot(scenario.panel)
    estimate = estimate_run(
        panel,
        config,
        scenario.steps,
        price=price,
        decisions_per_s=THROUGHPUT.get(choice.kind),
        seconds_per_decision=pace.seconds_per_decision,
    )
    data = asdict(estimate)
    data["notes"] = list(estimate.notes)
    if choice.kind == "baseline" or policy == Policy.RULES:
        _no_model_calls(data)
    elif policy == Policy.HYBRID:
        cap_estimate(data, words_budget(scenario), scenario.steps)
    data["priced"] = is_priced(choice.kind, choice.model)
    if not data["priced"] and any(data["calls"].values()):  # the rule policy pays nothing anyway
        data["notes"].append(
            f"simnet knows no list price for {choice.model}: the dollars show 0 (true only of a model you "
            "host yourself), and the monthly budget cannot count this model's calls"
        )
    if policy == Policy.LLM and media.provider_sees_images(scenario):
        media.add_picture_cost(
            data, scenario=scenario, panel=panel, config=config, price=price, pictures=stimulus_pictures
        )
    _add_batch_price(
        data,
        batch_price_factor(choice.kind),
        chosen=bool(scenario.provider and scenario.provider.message_batches),
    )
    if choice.kind in HOSTED_KINDS and estimate.responses.high:
        texts = Range(10.0, 30.0, float(config.max_output_tokens))  # tokens of one reply or quote
        if stimulus_texts is None:
            stimulus_texts = [s.text for s in scenario.stimuli.all()] if scenario.pk else []
        _add_judge(data, stimulus_texts, estimate.responses, texts, price)
    data["replicates"] = replicates
    data["provider"] = choice.label
    for key in ("calls", "input_tokens", "output_tokens", "cost_usd", "batch_cost_usd", "image_tokens"):
        data[key] = {k: v * replicates for k, v in data[key].items()} if data.get(key) is not None else None
    # Runs share the provider (the offline model shares the CPU), so one after another is the honest total.
    wall = data["wall_time_s"]
    data["wall_time_total_s"] = {k: v * replicates for k, v in wall.items()} if wall else None
    data["time_basis"] = pace.as_dict()
    return data


def _no_model_calls(data: dict) -> None:
    """The rule policy decides by rules: no language-model calls, tokens or dollars (the time stays)."""
    for key in ("calls", "input_tokens", "output_tokens", "cost_usd"):
        data[key] = dict.fromkeys(data[key], 0.0)
    data["notes"] = ["the rule policy calls no language model: no calls, tokens or cost"]


def _add_batch_price(data: dict, factor: float | None, *, chosen: bool) -> None:
    """``batch_cost_usd``: the same decisions through the provider's batch API (Anthropic's Message
    Batches), for runs that need not be live; None when the provider has none. ``chosen``: the
    provider configuration answers that way, so the batch price is the one that applies."""
    data["batch_cost_usd"] = None if factor is None else {k: v * factor for k, v in data["cost_usd"].items()}
    if factor is not None and any(data["cost_usd"].values()):
        data["notes"].append(
            f"through Message Batches the decisions cost {factor:.0%} of the live price; answers come "
            "within 24 hours (most within an hour), so the run is not live"
            + ("; this provider answers that way, so the batch price applies" if chosen else "")
        )


def _add_judge(data: dict, stimuli: Sequence[str], responses: Range, texts: Range, price: Price) -> None:
    """A hosted model also labels the run's replies and quotes for its report: count those calls
    (live calls after the run, at the live price in the batch figure too)."""
    context = max(stimuli, key=len, default="")
    judge = judge_cost(responses, context=context, text_tokens=texts, price=price)
    for key in ("calls", "input_tokens", "output_tokens", "cost_usd", "batch_cost_usd"):
        if data[key] is None:
            continue
        extra = asdict(getattr(judge, "cost_usd" if key == "batch_cost_usd" else key))
        data[key] = {k: v + extra[k] for k, v in data[key].items()}
    data["notes"].append(
        f"includes about {judge.calls.expected:.0f} calls (up to {judge.calls.high:.0f}) for the model to "
        "label the replies and quotes in the report"
    )


PROMPT_TEMPLATE_HASH = hashlib.sha256(
    json.dumps(
        [FEED_RULES, MEETING_RULES, INTERVIEW_RULES, DECISION_SCHEMA, MEETING_SCHEMA, MEETING_VOTE_SCHEMA],
        sort_keys=True,
    ).encode()
).hexdigest()[:16]


def reproducibility(scenario: Scenario, seed: int, snapshot: PanelSnapshot) -> dict:
    choice = choice_for(scenario.provider)
    panel_hash = hashlib.sha256(repr(snapshot.to_dict()).encode()).hexdigest()[:16]
    return {
        "seed": seed,
        "provider": choice.kind,
        "model": choice.model,
        "prompt_template_hash": PROMPT_TEMPLATE_HASH,
        "panel_hash": panel_hash,
        "python": platform.python_version(),
        "django": django.get_version(),
        "simnet": "0.1.0",
    }


def run_start(
    *,
    organization,
    actor: Actor | None,
    scenario: Scenario,
    seeds: list[int] | None = None,
    replicates: int = 1,
    experiment=None,
    variant: str = "",
    ip: str | None = None,
) -> list[Run]:
    """Queue one run per seed (``replicates`` fresh seeds when none are given)."""
    require_role(actor_role(organization, actor), roles.WRITE, "start simulations")
    if scenario.organization_id != organization.pk:
        raise ApplicationError("That scenario does not exist.", code="not_found", status=404)
    if not 1 <= replicates <= 200:
        raise ApplicationError("Choose between 1 and 200 replicates.", fields={"replicates": ["1 to 200"]})
    if seeds is None:
        seeds = [scenario.seed] if replicates == 1 else [scenario.seed + i for i in range(replicates)]
    estimate = run_estimate(scenario=scenario, replicates=len(seeds))
    remaining = check_quota(organization, estimate)
    snapshot = persistence.panel_snapshot(scenario.panel)
    if not snapshot.personas:
        raise ApplicationError(
            "The panel has no members yet; add personas before simulating.", code="empty_panel"
        )
    budget = scenario.budget_usd if scenario.budget_usd is not None else remaining
    policy = chosen_policy(scenario)
    policy_model = fit_policy_model(scenario.panel, seed=scenario.seed) if policy == Policy.HYBRID else None
    runs = []
    with transaction.atomic():
        for seed in seeds:
            run = Run.objects.create(
                organization=organization,
                scenario=scenario,
                seed=seed,
                total_steps=scenario.steps,
                policy=policy,
                policy_model=policy_model,
                budget_usd=min(budget, remaining),
                budget_tokens=scenario.budget_tokens,
                estimate=estimate,
                reproducibility={
                    **reproducibility(scenario, seed, snapshot),
                    "policy": policy,
                    **({"policy_model": policy_model.digest[:16]} if policy_model else {}),
                    "media": media.seen_at_start(scenario, policy),
                },
                experiment=experiment,
                variant=variant,
                created_by=actor_user(actor),
            )
            RunPanel.objects.create(organization=organization, run=run, data=snapshot.to_dict())
            append_event(run, "status", {"status": run.status, "reason": ""})
            record(
                organization=organization,
                action=Actions.RUN_STARTED,
                target=run,
                ip=ip,
                detail={"scenario": scenario.pk, "seed": seed},
                **audit_actor(actor),
            )
            enqueue_step(run.pk)
            runs.append(run)
    return runs


def _steerable(run: Run, actor: Actor | None, action: str) -> None:
    require_role(actor_role(run.organization_id, actor), roles.WRITE, action)
    if run.status in FINAL_STATUSES:
        raise ApplicationError(
            f"This run is {run.status}; it cannot {action.split()[0]} any more.", code="run_final", status=409
        )


def run_pause(*, run: Run, actor: Actor | None) -> Run:
    _steerable(run, actor, "pause runs")
    with transaction.atomic():
        Run.unscoped.filter(pk=run.pk).update(pause_requested=True)
        lifecycle.pause_waiting(run, "Paused by a user.")  # a running run pauses at its next step
    run.refresh_from_db()
    return run


def run_resume(*, run: Run, actor: Actor | None) -> Run:
    _steerable(run, actor, "resume runs")
    if run.status != RunStatus.PAUSED:
        Run.unscoped.filter(pk=run.pk).update(pause_requested=False)
        run.refresh_from_db()
        return run
    with transaction.atomic():
        Run.unscoped.filter(pk=run.pk, status=RunStatus.PAUSED).update(
            status=RunStatus.QUEUED, status_reason="", pause_requested=False
        )
        append_event(run, "status", {"status": RunStatus.QUEUED, "reason": "Resumed."})
        enqueue_step(run.pk)
    run.refresh_from_db()
    return run


def run_cancel(*, run: Run, actor: Actor | None, ip: str | None = None) -> Run:
    _steerable(run, actor, "cancel runs")
    with transaction.atomic():
        if not lifecycle.finish(run, RunStatus.CANCELLED, "Cancelled by a user."):
            run.refresh_from_db()
            _steerable(run, actor, "cancel runs")  # it ended meanwhile: the same 409 as above
        record(
            organization=run.organization,
            action=Actions.RUN_CANCELLED,
            target=run,
            ip=ip,
            **audit_actor(actor),
        )
    run.refresh_from_db()
    return run


def run_rerun(*, run: Run, actor: Actor | None, seed: int | None = None) -> Run:
    """The same scenario again with another seed (a fresh random one when none is given)."""
    new_seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    return run_start(organization=run.organization, actor=actor, scenario=run.scenario, seeds=[new_seed])[0]


def run_fork(
    *, run: Run, actor: Actor | None, step: int, stimulus_text: str | None = None, provider=None
) -> Run:
    """A new run that continues from the world before ``step`` of ``run``, with changes:
    an edited text for the scenario's stimuli not yet published, and/or another provider.

    An edit of a stimulus already published before ``step`` is not applied (its replies are the
    fork's past); ``fork_warnings(fork)`` says so instead of changing nothing silently."""
    require_role(actor_role(run.organization_id, actor), roles.WRITE, "fork runs")
    if step > run.next_step:
        raise ApplicationError(
            f"Run #{run.pk} has not reached step {step} yet.", fields={"step": ["Not reached."]}
        )
    try:
        state = worlds.world_before(run, step).to_state(include_panel=False) if step else {}
    except worlds.NotRebuildable as err:
        raise ApplicationError(f"{err}.", fields={"step": ["Choose a later step."]}) from err
    if stimulus_text is not None and not stimulus_text.strip():
        raise ApplicationError(
            "The edited stimulus is empty.", fields={"stimulus_text": ["Write the new text."]}
        )
    with transaction.atomic():
        scenario = Scenario.objects.get(pk=run.scenario_id, organization=run.organization)
        fork_scenario = Scenario.objects.create(
            organization=run.organization,
            panel=scenario.panel,
            name=f"{scenario.name} (fork of run #{run.pk} at step {step})",
            format=scenario.format,
            steps=scenario.steps,
            minutes_per_step=scenario.minutes_per_step,
            recommender=scenario.recommender,
            feed_size=scenario.feed_size,
            memory_tokens=scenario.memory_tokens,
            provider=provider if provider is not None else scenario.provider,
            seed=run.seed,
            budget_usd=scenario.budget_usd,
            budget_tokens=scenario.budget_tokens,
            agenda=scenario.agenda,
            settings=scenario.settings,
            created_by=actor_user(actor),
        )
        for stimulus in scenario.stimuli.all():
            Stimulus.objects.create(
                organization=run.organization,
                scenario=fork_scenario,
                author_persona=stimulus.author_persona,
                author_handle=stimulus.author_handle,
                step=stimulus.step,
                boost=stimulus.boost,
                text=stimulus_text if stimulus_text is not None and stimulus.step >= step else stimulus.text,
            )
        if stimulus_text is not None and state:
            for pending in state.get("pending", []):
                pending["text"] = stimulus_text
        warnings = _unapplied_edit(scenario, step, stimulus_text)
        fork = Run.objects.create(
            organization=run.organization,
            scenario=fork_scenario,
            seed=run.seed,
            total_steps=run.total_steps,
            next_step=step,
            quality_gate=persistence.gate_before(run, step),
            policy=run.policy,
            policy_model_id=run.policy_model_id,
            budget_usd=run.budget_usd,
            budget_tokens=run.budget_tokens,
            estimate=run.estimate,
            parent=run,
            fork_step=step,
            created_by=actor_user(actor),
            reproducibility={
                **run.reproducibility,
                "forked_from": run.pk,
                "fork_step": step,
                "provider": choice_for(fork_scenario.provider).kind,
                **({"warnings": warnings} if warnings else {}),
            },
        )
        RunPanel.objects.create(organization=run.organization, run=fork, data=worlds.panel_data(run))
        if state:  # the fork's own replays start here
            RunSnapshot.objects.create(
                organization=run.organization,
                run=fork,
                step=step,
                state={**state, persistence.GATE_KEY: fork.quality_gate},
            )
        _copy_history(run, fork, step)
        append_event(
            fork, "status", {"status": fork.status, "reason": f"Forked from run #{run.pk} at step {step}."}
        )
        record(
            organization=run.organization,
            action=Actions.RUN_STARTED,
            target=fork,
            **audit_actor(actor),
            detail={"forked_from": run.pk, "step": step},
        )
        enqueue_step(fork.pk)
    return fork


def _unapplied_edit(scenario: Scenario, step: int, stimulus_text: str | None) -> list[str]:
    """A sentence when the edited text reaches no stimulus: every one was published before ``step``."""
    if (
        stimulus_text is None
        or not scenario.stimuli.exists()
        or scenario.stimuli.filter(step__gte=step).exists()
    ):
        return []
    warning = (
        f"The edited stimulus was not applied: the stimulus was already published before step {step}, "
        "so the fork continues with the original text. Fork from an earlier step to change it."
    )
    return [warning]


def fork_warnings(fork: Run) -> list[str]:
    """What a fork did not do that its request asked for (see ``run_fork``)."""
    return list(fork.reproducibility.get("warnings", []))


def _copy_history(source: Run, fork: Run, step: int) -> None:
    """Actions and posts before ``step`` (the fork's past), so its pages show the whole story."""
    RunAction.objects.bulk_create(
        [
            RunAction(**{**_fields(a), "run_id": fork.pk})
            for a in RunAction.objects.filter(run=source, step__lt=step)
        ]
    )
    RunPost.objects.bulk_create(
        [
            RunPost(**{**_fields(p), "run_id": fork.pk})
            for p in RunPost.objects.filter(run=source, step__lt=step)
        ]
    )


def _fields(obj) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in ("id", "run_id")
    }


def run_inject(
    *, run: Run, actor: Actor | None, text: str, author_handle: str = "", boost: float = 0.0
) -> Stimulus:
    """A post that enters the world before the next step is planned (live stimulus); its ``step``
    is the step it lands at: the next one, or the one after when a step is being taken now."""
    _steerable(run, actor, "inject posts")
    if not text.strip():
        raise ApplicationError("Write the post to inject.", fields={"text": ["Required."]})
    if not 0 <= boost <= 1:
        raise ApplicationError("Boost is a share of feeds between 0 and 1.", fields={"boost": ["0 to 1"]})
    with transaction.atomic():
        fresh = Run.objects.select_for_update().get(pk=run.pk, organization=run.organization)
        lands_at = fresh.next_step + (1 if _step_in_progress(fresh) else 0)
        if lands_at >= fresh.total_steps:
            raise ApplicationError(
                "The run is taking its last step: a post injected now would never be read."
            )
        stimulus = Stimulus.objects.create(
            organization=run.organization,
            run=run,
            text=text.strip(),
            author_handle=author_handle.strip() or "you",
            step=lands_at,
            boost=boost,
        )
        append_event(run, "injected", {"stimulus": stimulus.pk, "text": stimulus.text, "step": lands_at})
    return stimulus


def _step_in_progress(run: Run) -> bool:
    """A worker holds the run's lease, or the step's shards are out: the step has already read its
    feeds, so a post injected now lands at the step after (the stepper holds it until
    ``Stimulus.step``)."""
    leased = bool(run.lease_owner) and run.lease_expires_at is not None and run.lease_expires_at > timezone.now()
    return leased or RunShard.unscoped.filter(run_id=run.pk, step=run.next_step).exists()


def run_interview(*, run: Run, actor: Actor | None, agent_key: str, question: str) -> Interview:
    """Ask a persona about the run; it answers in character from its memory. The run is not changed."""
    require_role(actor_role(run.organization_id, actor), roles.READ, "interview personas")
    world = worlds.load_world(run)
    persona = world.personas.get(agent_key)
    if persona is None:
        raise ApplicationError("That persona is not in this run.", code="not_found", status=404)
    if not question.strip():
        raise ApplicationError("Ask a question.", fields={"question": ["Required."]})
    config = run.scenario.provider
    if config is not None and config.kind == "baseline":
        config = None  # the rule baseline has no words: interviews use the offline model
    request = interview_request(world, agent_key, question[:1000])
    try:
        response = provider_for(config, organization_id=run.organization_id).generate([request])[0]
    except ProviderError as err:  # e.g. the offline model's process keeps crashing
        response = LLMResponse(key=request.key, text="", error=str(err))
    return Interview.objects.create(
        organization_id=run.organization_id,
        run=run,
        agent_key=agent_key,
        handle=persona.handle,
        step=world.next_step,
        question=question.strip()[:1000],
        answer=tidy_answer(response.text or ""),
        error=response.error or "",
        asked_by=actor_user(actor),
    )


def runs_spend(organization, since) -> Decimal:
    """What the organization's runs (their judges included) cost since ``since``."""
    total = Run.objects.for_org(organization).filter(created_at__gte=since).aggregate(total=Sum("cost_usd"))
    return total["total"] or Decimal(0)


def runs_using(config: ProviderConfig) -> int:
    """Unfinished runs whose next step would call this provider."""
    return (
        Run.objects.filter(organization_id=config.organization_id, scenario__provider=config)
        .exclude(status__in=FINAL_STATUSES)
        .count()
    )
