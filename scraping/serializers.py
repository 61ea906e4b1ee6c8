"""API shapes of import jobs. The credential is write-only: no response ever carries it."""

from __future__ import annotations

from rest_framework import serializers

from personas.models import Panel
from personas.services.importer import DEFAULT_CARD_BUDGET, DEFAULT_HOLDOUT_FRACTION
from scraping.models import ImportJob
from scraping.services import CARD_BUDGET_RANGE, MAX_HOLDOUT_PERCENT
from scraping.sources import CONNECTORS
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField


class ImportStartSerializer(serializers.Serializer):
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
    panel_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    holdout_percent = serializers.IntegerField(
        min_value=0, max_value=MAX_HOLDOUT_PERCENT, default=round(DEFAULT_HOLDOUT_FRACTION * 100)
    )
    card_budget = serializers.IntegerField(
        min_value=CARD_BUDGET_RANGE[0], max_value=CARD_BUDGET_RANGE[1], default=DEFAULT_CARD_BUDGET
    )


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
