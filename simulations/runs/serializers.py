"""Shapes of the runs API (/api/v1/runs/…): a run, what starts and steers it, and its rows.

Related ids (scenario, provider) resolve inside the caller's organization only; the rules
(roles, quota, final runs ...) stay in ``services``.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from simnet.api.fields import object_id_field
from simnet.providers.models import ProviderConfig
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField
from simulations.models import Interview, Run, RunAction, RunEvent, RunPost, Scenario, Stimulus
from simulations.runs.persistence import run_gate

MAX_TEXT = 5000
MAX_REPLICATES = 200
MAX_SEED = 2**62


class RangeSerializer(serializers.Serializer):
    low = serializers.FloatField()
    expected = serializers.FloatField()
    high = serializers.FloatField()


class TimeBasisSerializer(serializers.Serializer):
    measured_runs = serializers.IntegerField(help_text="Finished runs like this one the time is measured on.")
    calibrated = serializers.BooleanField(help_text="False: no run like this one measured yet, the time is a fixed default.")
    summary = serializers.CharField()


class EstimateSerializer(serializers.Serializer):
    """What ``services.run_estimate`` returns: totals for all the replicates together."""

    calls = RangeSerializer()
    input_tokens = RangeSerializer()
    output_tokens = RangeSerializer()
    cost_usd = RangeSerializer()
    batch_cost_usd = RangeSerializer(
        allow_null=True,
        help_text=(
            "The same run through the provider's batch API (Anthropic Message Batches: half price, "
            "answers within 24 hours); null when the provider has none."
        ),
    )
    wall_time_s = RangeSerializer(allow_null=True, help_text="Null when the provider's speed is unknown.")
    image_tokens = RangeSerializer(
        allow_null=True, required=False,
        help_text="Input tokens of stimulus pictures shown to a model that reads images (included in "
        "input_tokens and cost_usd); null when no picture goes to the model.",
    )  # fmt: skip
    notes = serializers.ListField(child=serializers.CharField())
    replicates = serializers.IntegerField()
    provider = serializers.CharField()
    time_basis = TimeBasisSerializer(help_text="What the time range is based on.")


class EstimateRequestSerializer(serializers.Serializer):
    replicates = serializers.IntegerField(min_value=1, max_value=MAX_REPLICATES, default=1)


class UsageSerializer(serializers.Serializer):
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cached_tokens = serializers.IntegerField()
    llm_calls = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=6)


class BudgetSerializer(serializers.Serializer):
    usd = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    tokens = serializers.IntegerField(allow_null=True)


class RunLinksSerializer(serializers.Serializer):
    events = serializers.CharField(help_text="JSON list of events after ?after=<seq>.")
    stream = serializers.CharField(help_text="The same events as Server-Sent Events.")
    actions = serializers.CharField()
    posts = serializers.CharField()
    report = serializers.CharField()


class RunSerializer(serializers.ModelSerializer):
    """A run's status, progress, usage, budget and reproducibility record (lists show the same)."""

    scenario_name = serializers.CharField(source="scenario.name", read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="Share of steps done, 0 to 1.")
    usage = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField()
    estimate = serializers.JSONField(
        read_only=True, help_text="The pre-run estimate (see the estimate action)."
    )
    reproducibility = serializers.JSONField(
        read_only=True, help_text="Seed, provider, model, prompt template and panel hashes, versions."
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = (
            "id", "scenario", "scenario_name", "seed", "status", "status_reason", "pause_requested",
            "progress", "next_step", "total_steps", "policy", "usage", "budget", "estimate", "reproducibility",
            "parent", "fork_step", "experiment", "variant", "last_event_seq", "links", "created_at",
            "started_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(UsageSerializer)
    def get_usage(self, run: Run) -> dict:
        return UsageSerializer(
            {
                "input_tokens": run.input_tokens,
                "output_tokens": run.output_tokens,
                "cached_tokens": run.cached_tokens,
                "llm_calls": run.llm_calls,
                "cost_usd": run.cost_usd,
            }
        ).data

    @extend_schema_field(BudgetSerializer)
    def get_budget(self, run: Run) -> dict:
        return BudgetSerializer({"usd": run.budget_usd, "tokens": run.budget_tokens}).data

    @extend_schema_field(RunLinksSerializer)
    def get_links(self, run: Run) -> dict:
        kwargs = {"run_id": run.pk}
        return {
            "events": reverse("api_run_event-list", kwargs=kwargs),
            "stream": reverse("api_run_events_stream", kwargs=kwargs),
            "actions": reverse("api_run_action-list", kwargs=kwargs),
            "posts": reverse("api_run_post-list", kwargs=kwargs),
            "report": reverse("api_run_report", kwargs=kwargs),
        }


class GateSerializer(serializers.Serializer):
    checked = serializers.IntegerField(help_text="Generated texts the quality check read (every attempt).")
    rejected = serializers.IntegerField(help_text="Texts it refused and asked for again.")
    share = serializers.FloatField(help_text="rejected / checked (0 when nothing was checked).")
    high = serializers.BooleanField(help_text="The share is above 0.1: the room and the report warn.")
    by_reason = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Refusals by reason: copy, scaffolding, digits, off_topic, cut, empty.",
    )


class RunDetailSerializer(RunSerializer):
    """One run, with what the quality check refused of its generated texts."""

    gate = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = (*RunSerializer.Meta.fields, "gate")
        read_only_fields = fields

    @extend_schema_field(GateSerializer)
    def get_gate(self, run: Run) -> dict:
        return GateSerializer(run_gate(run)).data


class RunStartSerializer(serializers.Serializer):
    scenario = ScopedPrimaryKeyRelatedField(queryset=Scenario.objects.all())
    replicates = serializers.IntegerField(
        min_value=1,
        max_value=MAX_REPLICATES,
        default=1,
        help_text="Runs with consecutive seeds from the scenario's.",
    )
    seeds = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_SEED),
        min_length=1,
        max_length=MAX_REPLICATES,
        required=False,
        help_text="Exact seeds, one run each (replaces replicates).",
    )


class RunsStartedSerializer(serializers.Serializer):
    runs = RunSerializer(many=True)
    estimate = EstimateSerializer(help_text="For all the runs started together.")


class ForkedRunSerializer(RunSerializer):
    """The new run, with what the fork did not apply of the request (an edit of a stimulus
    already published before the fork step)."""

    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(RunSerializer.Meta):
        fields = (*RunSerializer.Meta.fields, "warnings")


class RunForkSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=0, help_text="Continue from the world before this step.")
    stimulus_text = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=MAX_TEXT,
        help_text="New text for stimuli not yet published.",
    )
    provider = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(), required=False, allow_null=True, help_text="Another provider."
    )


class RunRerunSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        allow_null=True,
        help_text="Default: a fresh random seed.",
    )


class RunInjectSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT)
    author_handle = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    boost = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.0)


class InjectedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stimulus
        fields = ("id", "text", "author_handle", "step", "boost", "created_at")
        read_only_fields = fields


class InterviewRequestSerializer(serializers.Serializer):
    agent_key = serializers.CharField(
        max_length=40, required=False, help_text="The persona's key in the run."
    )
    handle = serializers.CharField(max_length=128, required=False, help_text="Or the persona's handle.")
    question = serializers.CharField(max_length=1000)

    def validate(self, data: dict) -> dict:
        if not data.get("agent_key") and not data.get("handle"):
            raise serializers.ValidationError({"agent_key": ["Give agent_key or handle."]})
        return data


class InterviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interview
        fields = ("id", "agent_key", "handle", "step", "question", "answer", "error", "created_at")
        read_only_fields = fields


class RunActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunAction
        fields = (
            "id", "step", "agent_key", "persona", "action", "target_post_key", "target_agent_key",
            "created_post_key", "text", "reason", "outcome", "error", "input_tokens", "output_tokens",
            "cost_usd", "cached",
        )  # fmt: skip
        read_only_fields = fields


class RunPostSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunPost
        fields = (
            "id", "post_key", "step", "author_key", "author_handle", "persona", "kind", "text",
            "parent_key", "root_key", "is_stimulus", "stimulus_key", "likes", "reposts", "quotes",
            "replies", "impressions",
        )  # fmt: skip
        read_only_fields = fields


class RunEventSerializer(serializers.ModelSerializer):
    """One event, as the websocket and the SSE stream send it."""

    at = serializers.DateTimeField(source="created_at")
    payload = serializers.JSONField()

    class Meta:
        model = RunEvent
        fields = ("seq", "kind", "payload", "at")
        read_only_fields = fields


class RunFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Run._meta.get_field("status").choices, required=False)
    scenario = object_id_field(required=False, source="scenario_id")
    experiment = object_id_field(required=False, source="experiment_id")


class ActionFilterSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=0, required=False)
    action = serializers.CharField(max_length=12, required=False, help_text="post, reply, like, ignore ...")
    agent_key = serializers.CharField(max_length=40, required=False)


class PostFilterSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=0, required=False)
    kind = serializers.CharField(max_length=10, required=False, help_text="post, reply, quote or repost.")
    is_stimulus = serializers.BooleanField(required=False, allow_null=True, default=None)


class EventFilterSerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0, help_text="Events after this sequence number.")
    limit = serializers.IntegerField(min_value=1, max_value=500, default=500)
