"""Forms of the webhook settings pages."""

from __future__ import annotations

from django import forms

from simnet.webhooks.models import WebhookEvent


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=1000,
        assume_scheme="https",
        help_text="simnet POSTs JSON here. It must be reachable from the internet.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label="Send these events"
    )


class WebhookEndpointEditForm(WebhookEndpointForm):
    is_active = forms.BooleanField(required=False, label="Active (uncheck to pause deliveries)")
