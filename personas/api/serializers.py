"""API shapes of panels, personas and their history. Input serializers check shape only; services decide."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from rest_framework import serializers

from personas.models import HistoryItem, HistoryKind, Panel, PanelShare, Persona, PopulationJob, SourceAccount
from personas.services.synthetic import (
    DEFAULT_AVG_FOLLOWING,
    DEFAULT_HOMOPHILY,
    DEFAULT_SOURCE,
    MAX_BOARD,
    MAX_POPULATION,
)
from simnet.api.fields import object_id_field
from simnet.providers.models import ProviderConfig
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField


class PanelSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        source="organization",
        slug_field="slug",
        read_only=True,
        help_text="Slug of the organization that owns the panel.",
    )
    shared = serializers.SerializerMethodField(
        help_text="True when another organization shared it with you (read-only)."
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Panel
        fields = (
            "id",
            "name",
            "description",
            "kind",
            "is_demo",
            "owner",
            "shared",
            "member_count",
            "settings",
            "created_at",
        )
        read_only_fields = (
            "id",
            "kind",
            "is_demo",
            "owner",
            "shared",
            "member_count",
            "settings",
            "created_at",
        )

    def get_shared(self, panel) -> bool:
        return panel.organization_id != self.context["organization"].pk


class PanelShareSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(source="shared_with", slug_field="slug", read_only=True)

    class Meta:
        model = PanelShare
        fields = ("organization", "created_at")


class PanelDetailSerializer(PanelSerializer):
    shares = serializers.SerializerMethodField(help_text="Organizations it is shared with (owners only).")

    class Meta(PanelSerializer.Meta):
        fields = (*PanelSerializer.Meta.fields, "shares")

    def get_shares(self, panel) -> list[dict]:
        if panel.organization_id != self.context["organization"].pk:
            return []
        return PanelShareSerializer(
            panel.shares.select_related("shared_with").order_by("created_at"), many=True
        ).data


class PanelCopySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class PanelShareRequestSerializer(serializers.Serializer):
    organization = serializers.SlugField(max_length=140, help_text="Slug of the organization to share with.")


class PopulationJobSerializer(serializers.ModelSerializer):
    """A background sampling job: queued, running (``phase``, ``done`` of ``total``), completed
    (``panel``) or failed (``message``; nothing was saved)."""

    panel = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = PopulationJob
        fields = ("id", "status", "phase", "done", "total", "percent", "message", "panel", "created_at",
                  "finished_at", "url")  # fmt: skip
        read_only_fields = fields

    def get_url(self, job: PopulationJob) -> str:
        return reverse("api_panel-population-job", args=[job.pk])


class PopulationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    n = serializers.IntegerField(min_value=1, max_value=MAX_POPULATION)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**62, help_text="The same seed and settings give the same panel."
    )
    source = serializers.CharField(
        default=DEFAULT_SOURCE,
        help_text="tv16 (CCES 2016: gender, race, income, region, religion; the default) or anes96 "
        "(ANES 1996: no gender).",
    )
    quotas = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField(min_value=0)),
        required=False,
        default=dict,
        help_text='Percent per category of a field, e.g. {"party": {"Democrat": 40, "Republican": 40, '
        '"Independent": 20}}. Category names may be abbreviated ("dem").',
    )
    avg_following = serializers.FloatField(min_value=0, default=DEFAULT_AVG_FOLLOWING)
    homophily = serializers.FloatField(min_value=0, max_value=1, default=DEFAULT_HOMOPHILY)


class BoardMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    role = serializers.CharField(max_length=120)
    background = serializers.CharField(required=False, allow_blank=True, default="")
    priorities = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    objections = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    speaking_style = serializers.CharField(required=False, allow_blank=True, default="")
    is_chair = serializers.BooleanField(default=False)


class BoardCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    members = BoardMemberSerializer(
        many=True,
        required=False,
        max_length=MAX_BOARD,
        help_text="The members; or give `bios`; with neither, the default 7-person board.",
    )
    bios = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text='Pasted bios: blocks "Name — Role" + optional Priorities:/Objections:/Style: lines.',
    )


class SourceAccountSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = SourceAccount
        fields = ("platform", "handle", "followers_count", "following_count", "fetched_at")
        read_only_fields = fields


class PersonaSerializer(serializers.ModelSerializer):
    source_account = SourceAccountSummarySerializer(
        read_only=True, allow_null=True, help_text="The imported account it was built from; null otherwise."
    )
    summary = serializers.CharField(
        read_only=True,
        help_text="Two or three sentences a hosted language model wrote from the card; empty when there is "
        "none. Runs read it as an “In short:” line before the card, which it never changes.",
    )
    summary_by = serializers.CharField(
        read_only=True, help_text="The provider, model and configuration name that wrote the summary."
    )
    summary_at = serializers.SerializerMethodField(
        help_text="When the summary was written; null when there is none."
    )

    class Meta:
        model = Persona
        fields = (
            "id",
            "handle",
            "display_name",
            "bio",
            "origin",
            "traits",
            "activity_rate",
            "card_tokens",
            "summary",
            "summary_by",
            "summary_at",
            "source_account",
            "created_at",
        )
        read_only_fields = fields

    def get_summary_at(self, persona) -> datetime | None:
        return persona.summary_at if persona.summary else None  # kept after a removal, for the month's spend


class PersonaDetailSerializer(PersonaSerializer):
    class Meta(PersonaSerializer.Meta):
        fields = (
            *PersonaSerializer.Meta.fields,
            "card",
            "profile",
            "sampler",
            "propensities",
            "active_hours",
            "interests",
        )
        read_only_fields = fields


class PersonaSummaryRequestSerializer(serializers.Serializer):
    provider = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(),
        help_text="One of your provider configurations that is a hosted language model (Anthropic or "
        "OpenAI-compatible); the offline model and the rule baseline cannot write summaries.",
    )


class HistoryItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = HistoryItem
        fields = (
            "id",
            "platform_id",
            "kind",
            "text",
            "language",
            "created_at",
            "target_id",
            "target_author",
            "target_text",
            "like_count",
            "repost_count",
            "reply_count",
            "quote_count",
            "media",
            "held_out",
        )
        read_only_fields = fields


class PersonaFilterSerializer(serializers.Serializer):
    """Query parameters of the persona list."""

    panel = object_id_field(
        required=False, help_text="Only members of this panel (yours or shared with you)."
    )
    origin = serializers.ChoiceField(choices=Persona.Origin.choices, required=False)
    search = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="In handle, name and bio."
    )


class HistoryFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HistoryKind.choices, required=False)
