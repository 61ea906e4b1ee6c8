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

    class Meta:
        model = ProviderConfig
        fields = (
            "id", "name", "kind", "model", "base_url", "max_concurrency", "secret", "secret_hint",
            "is_default", "created_at",
        )  # fmt: skip
        read_only_fields = ("id", "secret_hint", "is_default", "created_at")
