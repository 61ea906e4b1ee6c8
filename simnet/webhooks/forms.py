"""Forms of the webhook settings pages."""

from __future__ import annotations

from django import forms

from simnet.tenancy.errors import ApplicationError
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


def add_application_error(form: forms.Form, error: ApplicationError) -> None:
    """A service's error on the fields it names, or on top of the form."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
