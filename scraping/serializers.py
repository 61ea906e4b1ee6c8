"""API shapes of import jobs. The credential is write-only: no response ever carries it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from personas.models import Panel
from personas.services.importer import DEFAULT_CARD_BUDGET, DEFAULT_HOLDOUT_FRACTION
from scraping.models import ImportJob
from scraping.services import AUDIENCE_SIZE_RANGE, CARD_BUDGET_RANGE, MAX_HOLDOUT_PERCENT, SEED_RANGE
from scraping.sources import CONNECTORS
from scraping.sources.audience import AudienceKind
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField


class PanelSettingsSerializer(serializers.Serializer):
    """How imported accounts become personas: shared by single imports and audiences."""

    panel_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    holdout_percent = serializers.IntegerField(
        min_value=0, max_value=MAX_HOLDOUT_PERCENT, default=round(DEFAULT_HOLDOUT_FRACTION * 100)
    )
    card_budget = serializers.IntegerField(
        min_value=CARD_BUDGET_RANGE[0], max_value=CARD_BUDGET_RANGE[1], default=DEFAULT_CARD_BUDGET
    )


class ImportStartSerializer(PanelSettingsSerializer):
    connector = serializers.ChoiceField(choices=list(CONNECTORS))
    account = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="For x_api, bluesky, mastodon: the account to import.",
    )
    file = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For x_archive (.zip) and tabular (.csv, .jsonl): send multipart/form-data.",
    )
    credential = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        max_length=2000,
        help_text="X bearer token or Mastodon access token. Stored encrypted, never returned.",
    )
    panel = ScopedPrimaryKeyRelatedField(
        queryset=Panel.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A panel you own to add the personas to; default: a new panel.",
    )


class AudienceStartSerializer(PanelSettingsSerializer):
    connector = serializers.ChoiceField(choices=["x_api", "bluesky", "mastodon"])
    kind = serializers.ChoiceField(
        choices=[kind.value for kind in AudienceKind],
        help_text="followers: of the account in query; hashtag: people posting it; search: people a search finds.",
    )
    query = serializers.CharField(
        max_length=400, help_text="An account (@handle), a hashtag (#tag) or search words."
    )
    server = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=253,
        help_text="Mastodon hashtag and search only: the server to ask, e.g. mastodon.social.",
    )
    size = serializers.IntegerField(
        min_value=AUDIENCE_SIZE_RANGE[0], max_value=AUDIENCE_SIZE_RANGE[1], help_text="Accounts to sample."
    )
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=SEED_RANGE - 1,
        help_text="Same listing and seed, same sample. Default: a random seed, returned in the response.",
    )
    credential = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        max_length=2000,
        help_text="X bearer token (required) or Mastodon access token. Stored encrypted, never returned.",
    )


class AccountFailureSerializer(serializers.Serializer):
    handle = serializers.CharField()
    reason = serializers.CharField()


class AudienceProgressSerializer(serializers.Serializer):
    kind = serializers.CharField(source="audience.kind")
    query = serializers.CharField(source="audience.query")
    server = serializers.CharField(source="audience.server")
    size = serializers.IntegerField(source="audience.size")
    seed = serializers.IntegerField(source="audience.seed")
    max_failures = serializers.IntegerField(source="audience.max_failures")
    candidates_seen = serializers.IntegerField(
        allow_null=True, help_text="Accounts listed; null until listed."
    )
    sampled = serializers.ListField(
        source="sampled_accounts", child=serializers.DictField(child=serializers.CharField())
    )
    imported = serializers.IntegerField(source="accounts_imported")
    skipped = AccountFailureSerializer(source="account_failures", many=True)


class ImportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total", allow_null=True)
    percent = serializers.IntegerField(source="progress_percent", allow_null=True)
    message = serializers.CharField(source="progress_message")


def _messages(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), read_only=True, help_text=help_text)


ERRORS_HELP = "Readable messages, one per problem."
NOTES_HELP = "What you should know that is not a failure (skipped rows, held-out items ...)."


class ImportJobSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="params.account", default="", read_only=True)
    progress = ImportProgressSerializer(source="*", read_only=True)
    has_credential = serializers.BooleanField(read_only=True)
    errors = _messages(ERRORS_HELP)
    notes = _messages(NOTES_HELP)
    persona_ids = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="The personas it made or updated."
    )
    audience = serializers.SerializerMethodField(
        help_text="For an audience import: its listing, sample and counts."
    )

    @extend_schema_field(AudienceProgressSerializer(allow_null=True))
    def get_audience(self, job: ImportJob) -> dict | None:
        return AudienceProgressSerializer(job).data if job.is_audience else None

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "connector",
            "status",
            "status_message",
            "progress",
            "errors",
            "notes",
            "account",
            "upload_name",
            "upload_size",
            "has_credential",
            "panel",
            "new_panel_name",
            "persona_ids",
            "audience",
            "attempts",
            "resume_at",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class ImportErrorsSerializer(serializers.ModelSerializer):
    errors = _messages(ERRORS_HELP)
    notes = _messages(NOTES_HELP)

    class Meta:
        model = ImportJob
        fields = ("id", "status", "status_message", "errors", "notes")
        read_only_fields = fields


class ImportRetrySerializer(serializers.Serializer):
    credential = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, max_length=2000
    )
