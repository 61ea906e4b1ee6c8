"""Forms of the run list and the run room's controls."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator

from simnet.providers.models import ProviderConfig
from simulations.models import RunStatus


class RunFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any state"), *RunStatus.choices], required=False)


class ForkForm(forms.Form):
    step = forms.IntegerField(min_value=0, help_text="Continue from the world as it was before this step.")
    stimulus_text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Edited stimulus (optional)",
        help_text="Replaces the text of stimuli not yet published at that step.",
    )  # fmt: skip
    provider = forms.ModelChoiceField(
        queryset=ProviderConfig.objects.none(), required=False, empty_label="Same provider as this run"
    )

    def __init__(self, *args, organization, max_step: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].max_value = max_step
        self.fields["step"].validators.append(MaxValueValidator(max_step))
        self.fields["step"].widget.attrs.update(min=0, max=max_step)
        self.fields["step"].initial = max_step
        self.fields["provider"].queryset = ProviderConfig.objects.for_org(organization).order_by("name", "id")


class InjectForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Post text")
    author_handle = forms.CharField(max_length=128, required=False, label="As", initial="you")
    boost = forms.FloatField(
        initial=0.0, min_value=0.0, max_value=1.0, label="Boost (0–1)",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )  # fmt: skip


class InterviewForm(forms.Form):
    agent_key = forms.ChoiceField(label="Persona")
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, personas: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent_key"].choices = [
            (p["id"], f"@{p['handle']}" + (f" — {p['display_name']}" if p.get("display_name") else ""))
            for p in personas
        ]
