"""Experiments: variants × replicates of one scenario, started in one go."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from simnet.providers.spend import check_quota
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.models import FINAL_STATUSES, Experiment, Run, Scenario, Stimulus
from simulations.runs.services import run_estimate, run_start
from simulations.scenarios import media, safety

MAX_VARIANTS = 6
OVERRIDABLE = ("recommender", "feed_size", "steps", "moderation")


def _variant_scenario(base: Scenario, variant: dict, actor: Actor | None) -> Scenario:
    """A copy of ``base`` where the stimuli say the variant's text and its overrides apply."""
    overrides = {k: v for k, v in (variant.get("overrides") or {}).items() if k in OVERRIDABLE}
    fields = {f.attname: getattr(base, f.attname) for f in base._meta.concrete_fields if f.attname != "id"}
    if "moderation" in overrides:  # a policy replaces the scenario's ("none" removes it)
        kept = {k: v for k, v in (base.settings or {}).items() if k != safety.SETTINGS_KEY}
        overrides["settings"] = {**kept, **safety.moderation_settings(overrides.pop("moderation"))}
    creator = actor_user(actor)
    fields.update(
        overrides,
        name=f"{base.name} — {variant['label']}",
        created_by_id=creator.pk if creator else None,
        created_at=timezone.now(),
    )
    scenario = Scenario.objects.create(**fields)
    for stimulus in base.stimuli.all():
        copy = Stimulus.objects.create(
            organization_id=base.organization_id,
            scenario=scenario,
            author_persona=stimulus.author_persona,
            author_handle=stimulus.author_handle,
            step=stimulus.step,
            boost=stimulus.boost,
            text=variant.get("stimulus_text") or stimulus.text,
            image=stimulus.image,  # every variant shows the same pictures (the same stored files)
            alt_text=stimulus.alt_text,
        )
        media.copy_keyframes(stimulus, copy)
    return scenario


def experiment_start(
    *,
    organization,
    actor: Actor | None,
    scenario: Scenario,
    name: str,
    variants: list[dict],
    replicates: int = 10,
    ip: str | None = None,
) -> Experiment:
    """Queue ``replicates`` runs per variant; every variant gets the same seeds (a paired design)."""
    require_role(actor_role(organization, actor), roles.WRITE, "start experiments")
    labels = [str(v.get("label", "")).strip() for v in variants]
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise ApplicationError(
            f"An experiment compares 2 to {MAX_VARIANTS} variants.", fields={"variants": ["2 to 6"]}
        )
    if any(not label for label in labels) or len(set(labels)) != len(labels):
        raise ApplicationError(
            "Give every variant a distinct label.", fields={"variants": ["Distinct labels."]}
        )
    policy_errors = [
        safety.moderation_errors((v.get("overrides") or {}).get("moderation"), scenario.format)
        for v in variants
    ]
    if any(policy_errors):
        raise ApplicationError(
            "A variant's content policy has problems.",
            fields={"variants": [m for e in policy_errors for m in e.get(safety.SETTINGS_KEY, [])]},
        )
    if not 2 <= replicates <= 100:
        raise ApplicationError("Use 2 to 100 replicates per variant.", fields={"replicates": ["2 to 100"]})
    estimate = run_estimate(scenario=scenario, replicates=replicates * len(variants))
    check_quota(organization, estimate)
    seeds = [scenario.seed + i for i in range(replicates)]
    with transaction.atomic():
        experiment = Experiment.objects.create(
            organization=organization,
            name=name.strip() or scenario.name,
            scenario=scenario,
            variants=[{**v, "label": label} for v, label in zip(variants, labels)],
            replicates=replicates,
            budget_usd=scenario.budget_usd,
            created_by=actor_user(actor),
            result={"estimate": estimate},
        )
        for variant in experiment.variants:
            run_start(
                organization=organization,
                actor=actor,
                scenario=_variant_scenario(scenario, variant, actor),
                seeds=seeds,
                experiment=experiment,
                variant=variant["label"],
                ip=ip,
            )
    return experiment


def experiment_progress(experiment: Experiment) -> dict:
    runs = Run.objects.filter(experiment=experiment)
    total = runs.count()
    final = runs.filter(status__in=FINAL_STATUSES).count()
    return {"runs": total, "finished": final, "share": final / total if total else 0.0}
