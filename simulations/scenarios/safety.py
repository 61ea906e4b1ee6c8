"""Content policies on scenarios and experiment variants: the builder's fields and the API field.

They turn a few form fields, a variant's preset or posted JSON into ``Scenario.settings["moderation"]``,
checked by ``runs.moderation_settings`` (so every way in gives the same errors).
"""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from simulations.engine.moderation_policy import DEFAULT_LABEL, RULE_ACTIONS
from simulations.engine.recommenders import RECOMMENDERS
from simulations.runs.moderation_settings import (  # noqa: F401  (re-exported for the scenario services)
    POLICY_PRESETS,
    SETTINGS_KEY,
    moderation_errors,
    moderation_settings,
)


class ModerationFields(forms.Form):
    """The builder's content-policy fields: one rule and an optional rate limit."""

    moderation_action = forms.ChoiceField(
        choices=[("", "No content policy"), *((a, a) for a in RULE_ACTIONS)], required=False,
        label="Content policy", help_text="Feed only. Remove, label or downrank a post as it is written, or ask "
        "'are you sure?' before a reply (friction), when it matches the trigger below.",
    )  # fmt: skip
    moderation_threshold = forms.FloatField(
        required=False, min_value=0.01, max_value=1, label="Classifier threshold",
        help_text="Harm score (0 to 1) at or above which the rule fires: 0.5 is one cue of a threat, "
        "harassment or identity attack in the offline lexicon, 0.75 two.",
    )  # fmt: skip
    moderation_keywords = forms.CharField(
        required=False,
        max_length=500,
        label="Keywords",
        help_text="Comma-separated; any of them fires the rule.",
    )
    moderation_label = forms.CharField(
        required=False, max_length=80, label="Label text", initial=DEFAULT_LABEL
    )
    moderation_abandon_share = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Friction: share abandoned", initial=0.3
    )
    rate_limit_posts = forms.IntegerField(
        required=False, min_value=1, max_value=50, label="Rate limit: writes"
    )
    rate_limit_steps = forms.IntegerField(required=False, min_value=1, max_value=100, label="per steps")

    def clean(self):
        data = super().clean()
        data["moderation"] = moderation_from_fields(data)
        for message in moderation_errors(data["moderation"]).get(SETTINGS_KEY, []):
            self.add_error(
                "moderation_action" if data.get("moderation_action") else "rate_limit_posts", message
            )
        return data


def moderation_from_fields(data: dict) -> dict | None:
    rules = []
    if data.get("moderation_action"):
        keywords = [k.strip() for k in (data.get("moderation_keywords") or "").split(",") if k.strip()]
        share = data.get("moderation_abandon_share")
        rules.append(
            {
                "action": data["moderation_action"],
                "threshold": data.get("moderation_threshold"),
                "keywords": keywords,
                "label": data.get("moderation_label") or DEFAULT_LABEL,
                "abandon_share": 0.3 if share is None else share,
            }
        )
    posts, steps = data.get("rate_limit_posts"), data.get("rate_limit_steps")
    limit = {"posts": posts, "steps": steps or 1} if posts else None
    return {"rules": rules, "rate_limit": limit} if rules or limit else None


class VariantSafetyFields(forms.Form):
    """What an experiment variant may change besides the text: the ranking and the content policy."""

    recommender = forms.ChoiceField(
        choices=[("", "As the scenario"), *((n, n) for n in sorted(RECOMMENDERS))],
        required=False,
        label="Ranking",
    )
    moderation_preset = forms.ChoiceField(
        choices=[("", "As the scenario"), *((k, label) for k, (label, _) in POLICY_PRESETS.items())],
        required=False, label="Content policy",
    )  # fmt: skip

    def overrides(self) -> dict[str, Any]:
        data = self.cleaned_data
        found: dict[str, Any] = {}
        if data.get("recommender"):
            found["recommender"] = data["recommender"]
        if data.get("moderation_preset"):
            found["moderation"] = POLICY_PRESETS[data["moderation_preset"]][1]
        return found


class ModerationField(serializers.JSONField):
    """A content policy in the API: validated like the builder's, stored normalised."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        errors = moderation_errors(value)
        if errors:
            raise serializers.ValidationError(errors[SETTINGS_KEY])
        return value

    def get_attribute(self, instance):
        settings = getattr(instance, "settings", None)
        if settings is None:
            return super().get_attribute(instance)
        return settings.get(SETTINGS_KEY)
