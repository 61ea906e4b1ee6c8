"""Provider configurations as JSON; the secret is write-only."""

from __future__ import annotations

from rest_framework import serializers

from simnet.providers.models import ProviderConfig


class ProviderConfigSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ProviderConfig.Kind.choices)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=4000,
        style={"input_type": "password"},
        help_text="API key or bearer token. Stored encrypted; no response ever contains it (see secret_hint).",
    )
    model = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for anthropic and openai_compat.",
    )
    max_concurrency = serializers.IntegerField(min_value=1, max_value=256, default=4)
    requests_per_minute = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The account's requests per minute, kept by all workers together; null: no limit.",
    )
    tokens_per_minute = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Input plus output tokens per minute (counted before each call); null: no limit.",
    )
    message_batches = serializers.BooleanField(
        default=False,
        help_text=(
            "Anthropic only: answer through Message Batches at half price, for runs that need not be "
            "live (each step waits for its batch, within 24 hours)."
        ),
    )

    class Meta:
        model = ProviderConfig
        fields = (
            "id", "name", "kind", "model", "base_url", "max_concurrency", "requests_per_minute",
            "tokens_per_minute", "message_batches", "secret", "secret_hint",
            "is_default", "created_at",
        )  # fmt: skip
        read_only_fields = ("id", "secret_hint", "is_default", "created_at")
