"""Shapes of the scenario and experiment API (/api/v1/scenarios, /api/v1/experiments).

Serializers check shape and scope only: every related id resolves inside the caller's
organization (``ScopedPrimaryKeyRelatedField``; panels also when shared with it), so a
foreign id is a field error that reveals nothing. Business rules (roles, quota, budgets,
an empty panel ...) stay in ``services`` and come back as ``ApplicationError``.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from personas.models import Panel, PanelMember
from simnet.providers.models import ProviderConfig
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField
from simulations.engine.config import FORUM_SORTS
from simulations.engine.recommenders import RECOMMENDERS
from simulations.engine.stimuli import DEFAULT_OUTSIDE_BOOST
from simulations.insight.comparison import experiment_comparison, experiment_status_counts
from simulations.learning.words_budget import WordsBudget
from simulations.models import Experiment, Policy, Scenario, Stimulus
from simulations.runs.media import SETTINGS_KEY as MEDIA_KEY
from simulations.runs.serializers import MAX_SEED, MAX_TEXT, EstimateSerializer
from simulations.scenarios.experiments import MAX_VARIANTS
from simulations.scenarios.media import MAX_ALT_TEXT_CHARS, keyframe_urls
from simulations.scenarios.safety import ModerationField
from simulations.scenarios.stance_fields import deliberation_field, stance_polls_field

MAX_STIMULI = 20


class VisiblePanelField(ScopedPrimaryKeyRelatedField):
    """A panel of the caller's organization or one shared with it (read-only there)."""

    def get_queryset(self):
        organization = self.context.get("organization")
        if organization is None:
            raise serializers.ValidationError("No organization in context.")
        return Panel.objects.visible_to(organization)


# --- providers ------------------------------------------------------------------------------------


# --- scenarios ------------------------------------------------------------------------------------


class StimulusSerializer(serializers.ModelSerializer):
    author_persona = serializers.IntegerField(
        required=False,
        allow_null=True,
        source="author_persona_id",
        help_text="Id of a persona of the scenario's panel who posts it; otherwise author_handle.",
    )
    author_handle = serializers.CharField(
        required=False, allow_blank=True, max_length=128, help_text="An outside account, e.g. `PelotonBrand`."
    )
    text = serializers.CharField(max_length=MAX_TEXT)
    step = serializers.IntegerField(
        min_value=0, max_value=500, default=0, help_text="Published at this step."
    )
    boost = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text=f"Share of the panel it is promoted to, found at the top of their feed. Omitted: "
        f"{DEFAULT_OUTSIDE_BOOST:g} for an outside author (an ad), 0 for a persona's own post.",
    )  # fmt: skip
    image = serializers.ImageField(read_only=True, allow_null=True)
    alt_text = serializers.CharField(
        max_length=MAX_ALT_TEXT_CHARS, required=False, allow_blank=True, default="",
        help_text="What the picture and keyframes show: read instead of them by agents of a model that "
        "does not read images. Required for such a provider once pictures are uploaded "
        "(POST /api/v1/stimuli/{id}/pictures/).",
    )  # fmt: skip
    keyframes = serializers.SerializerMethodField(help_text="URLs of the video keyframes, in order.")

    class Meta:
        model = Stimulus
        fields = (
            "id",
            "text",
            "author_handle",
            "author_persona",
            "step",
            "boost",
            "image",
            "alt_text",
            "keyframes",
        )
        read_only_fields = ("id", "image", "keyframes")

    def get_keyframes(self, stimulus: Stimulus) -> list[str]:
        return keyframe_urls(stimulus)


class SeesImagesField(serializers.BooleanField):
    """Whether the scenario's OpenAI-compatible model reads images (``Scenario.settings["media"]``)."""

    def get_attribute(self, instance: Scenario) -> bool:
        return bool((instance.settings or {}).get(MEDIA_KEY, {}).get("vision"))


class WordsMaxCallsField(serializers.IntegerField):
    """The words budget's cap, read from ``Scenario.settings`` (written through ``scenario_create``)."""

    def get_attribute(self, instance: Scenario) -> int | None:
        return WordsBudget.from_settings(instance.settings).max_calls


class WordsShareField(serializers.FloatField):
    """The words budget's share, read from ``Scenario.settings`` (written through ``scenario_create``)."""

    def get_attribute(self, instance: Scenario) -> float | None:
        return WordsBudget.from_settings(instance.settings).share


class ScenarioSerializer(serializers.ModelSerializer):
    panel = VisiblePanelField(queryset=Panel.objects.all(), help_text="Your panel or one shared with you.")
    provider = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of your provider configurations; null: the offline model.",
    )
    name = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    recommender = serializers.ChoiceField(choices=sorted(RECOMMENDERS), default="mix")
    steps = serializers.IntegerField(min_value=1, max_value=500, default=10)
    minutes_per_step = serializers.IntegerField(min_value=1, max_value=1440, default=60)
    feed_size = serializers.IntegerField(min_value=1, max_value=20, default=5)
    memory_tokens = serializers.IntegerField(min_value=0, max_value=4000, default=120)
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, default=1)
    budget_usd = serializers.DecimalField(
        max_digits=10, decimal_places=4, min_value=0, required=False, allow_null=True, default=None,
        help_text="Per run. Null: what is left of this month's budget.",
    )  # fmt: skip
    budget_tokens = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    agenda = serializers.ListField(
        child=serializers.CharField(max_length=500),
        max_length=20,
        required=False,
        default=list,
        help_text="Roundtable only: the agenda items.",
    )
    stimuli = StimulusSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_STIMULI,
        help_text="Feed and forum formats: what is posted.",
    )
    policy = serializers.ChoiceField(
        choices=Policy.choices, required=False, allow_blank=True, default="",
        help_text="hybrid (a reaction model learnt from imported history decides, or the rules for a panel "
        "without history; the model writes the words), "
        "llm or rules. Blank: hybrid for panels with imported reactions, else llm.",
    )  # fmt: skip
    words_max_calls = WordsMaxCallsField(
        min_value=0, required=False, allow_null=True, default=None,
        help_text="Hybrid only: at most this many model-written texts per step; the other speakers react "
        "without words (a like instead of a reply, a repost instead of a quote). Null: no cap.",
    )  # fmt: skip
    words_share = WordsShareField(
        min_value=0, max_value=1, required=False, allow_null=True, default=None,
        help_text="Hybrid only: the sampled share of speakers whose words the model writes. Null: all.",
    )  # fmt: skip
    communities = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=12, required=False, default=list,
        help_text="Forum only: community names; a stimulus opens a thread in the first. Default: general.",
    )  # fmt: skip
    forum_sort = serializers.ChoiceField(
        choices=FORUM_SORTS, required=False, default="hot", allow_blank=True,
        help_text="Forum only: hot, new or top (blank on other formats).",
    )  # fmt: skip

    stance_polls = stance_polls_field()
    deliberation = deliberation_field()
    moderation = ModerationField(
        required=False, default=None, allow_null=True,
        help_text='Feed only: a content policy, e.g. {"rules": [{"action": "remove", "threshold": 0.5}], '
        '"rate_limit": {"posts": 1, "steps": 2}}. Actions: remove, label, downrank, friction.',
    )  # fmt: skip
    sees_images = SeesImagesField(
        required=False, default=False,
        help_text="OpenAI-compatible provider only: its model reads images, so agents are shown stimulus "
        "pictures (else their alt text). Anthropic's models always do; the offline model never.",
    )  # fmt: skip

    class Meta:
        model = Scenario
        fields = (
            "id", "name", "panel", "format", "steps", "minutes_per_step", "recommender", "feed_size",
            "memory_tokens", "provider", "seed", "budget_usd", "budget_tokens", "agenda", "stimuli",
            "policy", "communities", "forum_sort", "words_max_calls", "words_share", "sees_images", "moderation", "created_at",
            "stance_polls", "deliberation",
        )  # fmt: skip
        read_only_fields = ("id", "created_at")

    def validate(self, data: dict) -> dict:
        """Persona authors must belong to the panel; resolved to personas for the service."""
        panel = data["panel"]
        wanted = {s["author_persona_id"] for s in data["stimuli"] if s.get("author_persona_id") is not None}
        members = PanelMember.objects.filter(panel=panel, persona_id__in=wanted).select_related("persona")
        personas = {m.persona_id: m.persona for m in members}
        errors = {}
        for index, stimulus in enumerate(data["stimuli"]):
            persona_id = stimulus.pop("author_persona_id", None)
            if persona_id is None:
                continue
            if persona_id not in personas:
                errors[f"stimuli.{index}.author_persona"] = ["Not a persona of this panel."]
            stimulus["author_persona"] = personas.get(persona_id)
        if errors:
            raise serializers.ValidationError(errors)
        return data


# --- experiments ----------------------------------------------------------------------------------


class VariantOverridesSerializer(serializers.Serializer):
    recommender = serializers.ChoiceField(choices=sorted(RECOMMENDERS), required=False)
    moderation = ModerationField(
        required=False,
        help_text='A content policy replacing the scenario\'s ({"rules": [], "rate_limit": null}: none).',
    )
    feed_size = serializers.IntegerField(min_value=1, max_value=20, required=False)
    steps = serializers.IntegerField(min_value=1, max_value=500, required=False)


class VariantSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=80)
    stimulus_text = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default="",
        help_text="Replaces the text of the scenario's stimuli; blank keeps them.",
    )  # fmt: skip
    overrides = VariantOverridesSerializer(required=False)


class ExperimentCreateSerializer(serializers.Serializer):
    scenario = ScopedPrimaryKeyRelatedField(queryset=Scenario.objects.all())
    name = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    variants = VariantSerializer(many=True, min_length=2, max_length=MAX_VARIANTS)
    replicates = serializers.IntegerField(
        min_value=2, max_value=100, default=10, help_text="Runs per variant."
    )


class ExperimentProgressSerializer(serializers.Serializer):
    runs = serializers.IntegerField()
    finished = serializers.IntegerField()
    share = serializers.FloatField()


class ExperimentSerializer(serializers.ModelSerializer):
    variants = VariantSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="running or completed.")
    progress = serializers.SerializerMethodField()
    comparison_url = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = (
            "id", "name", "scenario", "variants", "replicates", "status", "budget_usd", "progress",
            "comparison_url", "created_at",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ExperimentProgressSerializer)
    def get_progress(self, experiment: Experiment) -> dict:
        total, finished = experiment.run_count, experiment.finished_count
        return {"runs": total, "finished": finished, "share": finished / total if total else 0.0}

    def get_comparison_url(self, experiment: Experiment) -> str:
        return reverse("api_experiment_comparison", kwargs={"experiment_id": experiment.pk})


class VariantProgressSerializer(serializers.Serializer):
    label = serializers.CharField()
    runs = serializers.IntegerField()
    completed = serializers.IntegerField()
    left_out = serializers.IntegerField(help_text="Failed or cancelled runs, left out of the comparison.")
    waiting = serializers.IntegerField()


class ExperimentStatusSerializer(ExperimentProgressSerializer):
    completed = serializers.IntegerField()
    variants = VariantProgressSerializer(many=True)


class ExperimentDetailSerializer(ExperimentSerializer):
    progress = serializers.SerializerMethodField()
    estimate = serializers.SerializerMethodField()
    comparison = serializers.SerializerMethodField()

    class Meta(ExperimentSerializer.Meta):
        fields = (*ExperimentSerializer.Meta.fields, "estimate", "comparison")
        read_only_fields = fields

    @extend_schema_field(ExperimentStatusSerializer)
    def get_progress(self, experiment: Experiment) -> dict:
        return experiment_status_counts(experiment)

    @extend_schema_field(EstimateSerializer(allow_null=True))
    def get_estimate(self, experiment: Experiment) -> dict | None:
        return (experiment.result or {}).get("estimate")

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "additionalProperties": True,
            "description": "Once completed: intervals per variant, tests, Holm-adjusted p-values and the "
            "verdict (the comparison endpoint's document); null while runs are still going.",
        }
    )
    def get_comparison(self, experiment: Experiment) -> dict | None:
        return experiment_comparison(experiment) if experiment.status == "completed" else None
