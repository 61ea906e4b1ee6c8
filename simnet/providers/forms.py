"""The form that adds a provider configuration."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL, OFFLINE_MODELS
from simnet.providers.models import ProviderConfig


class ProviderConfigForm(forms.Form):
    name = forms.CharField(max_length=80)
    kind = forms.ChoiceField(choices=ProviderConfig.Kind.choices)
    model = forms.CharField(
        max_length=120,
        required=False,
        help_text=(
            "e.g. claude-haiku-4-5, llama-3.1-8b. Offline: blank for the default "
            f"({DEFAULT_OFFLINE_MODEL}) or {' or '.join(OFFLINE_MODELS)}"
        ),
    )
    base_url = forms.URLField(
        max_length=300,
        required=False,
        assume_scheme="http",
        label="Base URL",
        help_text="OpenAI-compatible: e.g. http://host:8000/v1",
    )
    secret = forms.CharField(
        required=False,
        label="API key",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted; only its last four characters are ever shown again.",
    )
    max_concurrency = forms.IntegerField(initial=4, validators=[MinValueValidator(1), MaxValueValidator(64)])
    requests_per_minute = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Your account's limit at the provider, kept by all workers together. Blank: none.",
    )
    tokens_per_minute = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Input and output tokens per minute, counted before each call. Blank: none.",
    )
    message_batches = forms.BooleanField(
        required=False,
        label="Half price through Message Batches (Anthropic)",
        help_text="For runs that need not be live: each step waits for its batch, within 24 hours.",
    )
