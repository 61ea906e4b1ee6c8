"""Writes of scenarios: a panel, a format, stimuli and a provider, checked and stored for runs to start from."""

from __future__ import annotations

import re

from django.db import transaction

from personas.models import Panel
from simnet.llm.vision import sees_images as sees_images_of
from simnet.providers.build import choice_for
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.engine.config import FORUM_SORTS
from simulations.engine.recommenders import RECOMMENDERS
from simulations.engine.stimuli import default_boost
from simulations.learning.words_budget import SETTINGS_KEY as WORDS_KEY
from simulations.learning.words_budget import WordsBudget
from simulations.models import Policy, Scenario, Stimulus
from simulations.runs.media import SETTINGS_KEY as MEDIA_KEY
from simulations.scenarios import media, safety
from simulations.scenarios.stance_fields import stance_errors, stance_settings

COMMUNITY_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")
MAX_COMMUNITIES = 12


def scenario_create(
    *,
    organization,
    actor: Actor | None,
    panel: Panel,
    name: str,
    format: str = Scenario.Format.FEED,
    steps: int = 10,
    minutes_per_step: int = 60,
    recommender: str = "mix",
    feed_size: int = 5,
    memory_tokens: int = 120,
    provider: ProviderConfig | None = None,
    seed: int = 1,
    budget_usd=None,
    budget_tokens: int | None = None,
    agenda: list[str] | None = None,
    stimuli: list[dict] | None = None,
    policy: str = "",
    communities: list[str] | None = None,
    forum_sort: str = "hot",
    words_max_calls: int | None = None,
    words_share: float | None = None,
    sees_images: bool = False,
    moderation: dict | None = None,
    stance_polls: dict | None = None,
    deliberation: dict | None = None,
) -> Scenario:
    """A scenario on a panel the organization owns or that was shared with it.

    ``policy`` blank lets the run choose (``runs.policy.chosen_policy``); ``communities`` and
    ``forum_sort`` shape a forum and are ignored by other formats. ``words_max_calls`` and
    ``words_share`` are the hybrid policy's words budget per step (``learning.words_budget``)."""
    require_role(actor_role(organization, actor), roles.WRITE, "create scenarios")
    if not Panel.objects.visible_to(organization).filter(pk=panel.pk).exists():
        raise ApplicationError("That panel does not exist.", code="not_found", status=404)
    if provider is not None and provider.organization_id != organization.pk:
        raise ApplicationError("That provider does not exist.", code="not_found", status=404)
    errors: dict[str, list[str]] = {}
    if not 1 <= steps <= 500:
        errors["steps"] = ["Choose between 1 and 500 steps."]
    if recommender not in RECOMMENDERS:
        errors["recommender"] = [f"Choose one of: {', '.join(sorted(RECOMMENDERS))}."]
    if not 1 <= feed_size <= 20:
        errors["feed_size"] = ["A feed shows between 1 and 20 posts."]
    if format == Scenario.Format.ROUNDTABLE and not [a for a in (agenda or []) if a.strip()]:
        errors["agenda"] = ["A roundtable needs at least one agenda item."]
    if format in (Scenario.Format.FEED, Scenario.Format.FORUM) and not (stimuli or []):
        errors["stimuli"] = ["Add the content the community should react to."]
    communities = [c.strip().removeprefix("r/") for c in (communities or []) if c.strip()] or ["general"]
    errors.update(_forum_errors(communities, forum_sort) if format == Scenario.Format.FORUM else {})
    errors.update(_policy_errors(policy))
    errors.update(stance_errors(format, stance_polls, deliberation, steps))
    errors.update(safety.moderation_errors(moderation, format))
    errors.update(_picture_errors(stimuli or [], provider, sees_images))
    words = _words_budget(words_max_calls, words_share, errors)
    if errors:
        raise ApplicationError("The scenario has problems; see the fields.", code="invalid", fields=errors)
    with transaction.atomic():
        scenario = Scenario.objects.create(
            organization=organization,
            panel=panel,
            name=name.strip() or "Untitled scenario",
            format=format,
            steps=steps,
            minutes_per_step=minutes_per_step,
            recommender=recommender,
            feed_size=feed_size,
            memory_tokens=memory_tokens,
            provider=provider,
            seed=seed,
            budget_usd=budget_usd,
            budget_tokens=budget_tokens,
            agenda=[a.strip() for a in (agenda or []) if a.strip()],
            policy=policy,
            settings={
                **format_settings(format, communities, forum_sort),
                **words,
                **media_settings(provider, sees_images),
                **stance_settings(format, stance_polls, deliberation),
                **safety.moderation_settings(moderation),
            },
            created_by=actor_user(actor),
        )
        for item in stimuli or []:
            stimulus = Stimulus.objects.create(
                organization=organization,
                scenario=scenario,
                text=item["text"],
                author_handle=item.get("author_handle", "") if not item.get("author_persona") else "",
                author_persona=item.get("author_persona"),
                step=item.get("step", 0),
                boost=default_boost(outside_author=not item.get("author_persona"))
                if item.get("boost") is None
                else item["boost"],
                image=item.get("image"),
                alt_text=(item.get("alt_text") or "").strip(),
            )
            media.save_keyframes(stimulus, item.get("keyframes") or [])
    return scenario


def media_settings(provider: ProviderConfig | None, sees_images: bool) -> dict:
    """``Scenario.settings["media"]``: an OpenAI-compatible server whose model reads images (the
    one provider kind that may or may not; Anthropic always does, the offline model never)."""
    if sees_images and provider is not None and provider.kind == ProviderConfig.Kind.OPENAI_COMPAT:
        return {MEDIA_KEY: {"vision": True}}
    return {}


def _picture_errors(
    stimuli: list[dict], provider: ProviderConfig | None, sees_images: bool
) -> dict[str, list[str]]:
    choice = choice_for(provider)
    vision = sees_images_of(choice.kind, vision_flag=bool(media_settings(provider, sees_images)))
    problems = media.stimuli_errors(stimuli, vision=vision, provider=choice.label)
    return {"stimuli": problems} if problems else {}


def format_settings(format: str, communities: list[str] | None, forum_sort: str) -> dict:
    """``Scenario.settings`` for ``format``: a forum's communities and sort, nothing for the others."""
    if format != Scenario.Format.FORUM:
        return {}
    names = [c.strip().removeprefix("r/") for c in (communities or []) if c.strip()] or ["general"]
    return {"forum": {"communities": names, "sort": forum_sort}}


def _forum_errors(communities: list[str], sort: str) -> dict[str, list[str]]:
    errors = {}
    bad = [c for c in communities if not COMMUNITY_NAME.fullmatch(c)]
    if bad or len(communities) > MAX_COMMUNITIES or len(set(communities)) != len(communities):
        errors["communities"] = [
            f"Up to {MAX_COMMUNITIES} different community names of letters, digits and _ (at most 40)."
        ]
    if sort not in FORUM_SORTS:
        errors["forum_sort"] = [f"Sort threads by one of: {', '.join(FORUM_SORTS)}."]
    return errors


def _words_budget(max_calls: int | None, share: float | None, errors: dict[str, list[str]]) -> dict:
    """``Scenario.settings`` of the words budget (nothing when unlimited); problems go to ``errors``."""
    try:
        return words_settings(max_calls, share)
    except ValueError:
        if max_calls is not None and max_calls < 0:
            errors["words_max_calls"] = ["Use 0 or more model calls per step (0: no model-written words)."]
        if share is not None and not 0 <= share <= 1:
            errors["words_share"] = ["A share of the speakers, between 0 and 1."]
        return {}


def words_settings(max_calls: int | None, share: float | None) -> dict:
    """The words budget's part of ``Scenario.settings``; ValueError when out of range."""
    budget = WordsBudget(max_calls=max_calls, share=share)
    return {WORDS_KEY: budget.to_settings()} if budget.limited else {}


def _policy_errors(policy: str) -> dict[str, list[str]]:
    if policy and policy not in Policy.values:
        return {"policy": [f"Choose one of: {', '.join(Policy.values)}, or leave it blank."]}
    return {}
