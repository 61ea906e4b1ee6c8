"""Input shapes for the simulation pages.

Forms check shape and scope (choices come from the caller's organization only); the rules
(quota, role, panel visibility, valid recommender...) live in ``services`` and come back as
``ApplicationError``, which views attach to the form with ``simnet.web.submit_form``.
"""

from __future__ import annotations

import random

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse

from personas.models import Panel, Persona
from simnet.providers.models import ProviderConfig
from simulations.engine.config import FORUM_SORTS
from simulations.engine.recommenders import RECOMMENDERS
from simulations.engine.stimuli import DEFAULT_OUTSIDE_BOOST, default_boost
from simulations.models import Policy, Scenario
from simulations.scenarios.experiments import MAX_VARIANTS
from simulations.scenarios.media import MAX_ALT_TEXT_CHARS, MAX_KEYFRAMES, MAX_PICTURE_BYTES
from simulations.scenarios.media_fields import MultipleImageField
from simulations.scenarios.safety import ModerationFields, VariantSafetyFields
from simulations.scenarios.stance_fields import StanceFields

MAX_STIMULI = 20
# Settings only the feed format reads: a roundtable or a forum hides them and takes these defaults.
FEED_ONLY_DEFAULTS = {"recommender": "mix", "feed_size": 5}
OFFLINE_LABEL = "Offline model (SmolLM2-135M, on this server) — free"


def fresh_seed() -> int:
    """A seed for a new scenario form (the user may type their own to reproduce a run)."""
    return random.SystemRandom().randrange(1, 100_000)


class PanelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, panel: Panel) -> str:
        shared = "" if panel.organization_id == self.organization_id else " (shared with you)"
        return f"{panel.name}{shared}"


class ScenarioForm(StanceFields, ModerationFields):
    """Everything of a scenario except its stimuli (a formset) and, for experiments, variants."""

    name = forms.CharField(
        max_length=160, required=False, widget=forms.TextInput(attrs={"placeholder": "Untitled scenario"})
    )
    panel = PanelChoiceField(queryset=Panel.objects.none(), empty_label=None)
    format = forms.ChoiceField(choices=Scenario.Format.choices, initial=Scenario.Format.FEED)
    agenda = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Roundtable only: one agenda item per line.",
    )
    communities = forms.CharField(
        required=False,
        initial="general",
        help_text="Forum only: community names, comma-separated; a stimulus opens a thread in the first.",
    )
    forum_sort = forms.ChoiceField(
        choices=[(s, s) for s in FORUM_SORTS], initial="hot", required=False, label="Sort threads by",
        help_text="Forum only: hot (score against age), new or top.",
    )  # fmt: skip
    policy = forms.ChoiceField(
        choices=[("", "Automatic: hybrid for imported panels with reactions, else the language model")]
        + list(Policy.choices),
        required=False,
        help_text="Who decides what agents do. Hybrid: a reaction model learnt from the panel's real history "
        "decides (the rules, for a panel without history), the language model only writes the words.",
    )
    words_max_calls = forms.IntegerField(
        required=False, min_value=0, label="Model-written texts per step (at most)",
        help_text="Hybrid only: the cheap policy decides for everyone; the model writes the words of at most "
        "this many speakers a step. The others react without words (a like instead of a reply). Empty: no cap.",
    )  # fmt: skip
    words_share = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Share of speakers given words",
        help_text="Hybrid only: a sampled share (0 to 1) of the agents who act with words gets model-written "
        "words. Empty: all of them (within the cap above).",
    )  # fmt: skip
    steps = forms.IntegerField(initial=6, validators=[MinValueValidator(1), MaxValueValidator(500)])
    minutes_per_step = forms.IntegerField(
        initial=60, label="Minutes per step", validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    recommender = forms.ChoiceField(
        choices=[(name, name) for name in sorted(RECOMMENDERS)], initial="mix", required=False
    )
    feed_size = forms.IntegerField(
        initial=5, required=False, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    memory_tokens = forms.IntegerField(
        initial=120, label="Memory (tokens)", validators=[MinValueValidator(0), MaxValueValidator(4000)]
    )
    provider = forms.ModelChoiceField(
        queryset=ProviderConfig.objects.none(), required=False, empty_label=OFFLINE_LABEL
    )
    seed = forms.IntegerField(validators=[MinValueValidator(0), MaxValueValidator(2**31)])
    sees_images = forms.BooleanField(
        required=False, label="This OpenAI-compatible model reads images",
        help_text="OpenAI-compatible servers only (a vision model such as a LLaVA or Qwen-VL build): its agents "
        "are shown stimulus pictures. Unticked, or with the offline model, they read the alt text instead. "
        "Anthropic's models always read images.",
    )  # fmt: skip
    budget_usd = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=2, label="Budget ($)",
        help_text="Per run. Empty: what is left of this month's budget.",
    )  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        panels = self.fields["panel"]
        panels.queryset = Panel.objects.visible_to(organization).order_by("name", "id")
        panels.organization_id = organization.pk
        panels.widget.attrs.update(
            {"hx-get": reverse("scenario_create"), "hx-target": "#panel-handles", "hx-swap": "outerHTML"}
        )
        self.fields["provider"].queryset = ProviderConfig.objects.for_org(organization).order_by("name", "id")
        self.fields["seed"].initial = fresh_seed()

    def clean(self):
        data = super().clean()
        self._feed_only_settings(data)
        data["agenda_items"] = [
            line.strip() for line in (data.get("agenda") or "").splitlines() if line.strip()
        ]
        return data

    def _feed_only_settings(self, data: dict) -> None:
        """A feed needs its recommender and feed size; other formats never show them, so what the
        hidden inputs hold (or that they are missing) must not block the form."""
        for name, default in FEED_ONLY_DEFAULTS.items():
            if data.get("format") != Scenario.Format.FEED:
                self.errors.pop(name, None)
                data[name] = default
            elif data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, forms.ValidationError("This field is required.", code="required"))

    def scenario_kwargs(self) -> dict:
        """The keyword arguments of ``scenario_create`` (except stimuli) from the cleaned data."""
        data = self.cleaned_data
        return {
            "panel": data["panel"],
            "name": data["name"],
            "format": data["format"],
            "steps": data["steps"],
            "minutes_per_step": data["minutes_per_step"],
            "recommender": data["recommender"],
            "feed_size": data["feed_size"],
            "memory_tokens": data["memory_tokens"],
            "provider": data["provider"],
            "seed": data["seed"],
            "budget_usd": data["budget_usd"],
            "agenda": data["agenda_items"],
            "policy": data["policy"],
            "communities": [c for c in (data.get("communities") or "").split(",") if c.strip()],
            "forum_sort": data["forum_sort"] or "hot",
            "words_max_calls": data.get("words_max_calls"),
            "words_share": data.get("words_share"),
            "sees_images": bool(data.get("sees_images")),
            "moderation": data.get("moderation"),
            **self.stance_kwargs(),
        }


class StimulusForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Post text")
    image = forms.ImageField(
        required=False,
        help_text="Optional; shown with the post in the run room, and to a model that reads images.",
    )
    keyframes = MultipleImageField(
        required=False, label="Video keyframes",
        help_text=f"A video ad: up to {MAX_KEYFRAMES} frames, in order, shown after the image to a model that "
        f"reads images. JPEG, PNG, GIF or WebP, {MAX_PICTURE_BYTES // (1024 * 1024)} MB each at most.",
    )  # fmt: skip
    alt_text = forms.CharField(
        required=False, max_length=MAX_ALT_TEXT_CHARS, label="Alt text",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the picture (and keyframes) show, in a sentence or two. Agents of a model that does not "
        "read images (the offline model, a text-only server) read this instead, so they need it.",
    )  # fmt: skip
    author = forms.CharField(
        max_length=128,
        required=False,
        help_text="A persona's handle, or any outside name.",
        widget=forms.TextInput(attrs={"list": "panel-handles", "placeholder": "FitBikeCo"}),
    )
    step = forms.IntegerField(initial=0, min_value=0, max_value=500, help_text="Published at this step.")
    boost = forms.FloatField(
        required=False, min_value=0.0, max_value=1.0, label="Promoted to (share of the panel)",
        help_text=f"Empty: a post by an outside account (an ad, a brand) is promoted to "
        f"{DEFAULT_OUTSIDE_BOOST:.0%} of the panel ({round(DEFAULT_OUTSIDE_BOOST * 50)} personas of 50), who "
        "find it at the top of their feed when they next open it; a persona's post is not promoted and "
        "reaches their followers. 0: no promotion.",
        widget=forms.NumberInput(attrs={"step": "0.05", "placeholder": f"{DEFAULT_OUTSIDE_BOOST:g} for an ad"}),
    )  # fmt: skip

    def stimulus(self, panel: Panel) -> dict:
        """The ``scenario_create`` stimulus dict; the author resolves to a panel persona by handle."""
        data = self.cleaned_data
        handle = (data.get("author") or "").strip().lstrip("@")
        persona = None
        if handle:
            persona = Persona.objects.filter(panel_memberships__panel=panel, handle__iexact=handle).first()
        return {
            "text": data["text"],
            "author_persona": persona,
            "author_handle": "" if persona else (handle or "brand"),
            "step": data.get("step") or 0,
            "boost": default_boost(outside_author=persona is None)
            if data.get("boost") is None
            else data["boost"],
            "image": data.get("image"),
            "keyframes": data.get("keyframes") or [],
            "alt_text": data.get("alt_text") or "",
        }


StimulusFormSet = forms.formset_factory(StimulusForm, extra=1, max_num=MAX_STIMULI, validate_max=True)


class VariantForm(VariantSafetyFields):
    label = forms.CharField(max_length=40)
    stimulus_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Stimulus text", required=False,
        help_text="Replaces the text of every stimulus above in this variant; left empty, the row is skipped.",
    )  # fmt: skip


class BaseVariantFormSet(forms.BaseFormSet):
    """Variant A is the control: the post as written above, so it needs no text of its own.
    Any other row counts once its text is filled in; one such row is enough to compare."""

    default_error_messages = {
        "too_few_forms": "Variants: an experiment needs at least %(num)d rows, the control (A) and one more.",
        "too_many_forms": "Variants: at most %(num)d rows in one experiment.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        control = self.forms[0] if self.forms else None
        if control is not None:
            control.fields[
                "stimulus_text"
            ].help_text = (
                "The control: the post above, as written. Leave it so, or edit it to change the baseline."
            )
            control.fields["stimulus_text"].widget.attrs["placeholder"] = "The post above, as written"

    def clean(self):
        super().clean()
        if any(self.errors) or len(self.forms) < 2:
            return
        if not any(_differs(form) for form in self.forms[1:]):
            raise forms.ValidationError(
                "Give at least one variant besides the control (A) its own text, ranking or content policy.",
                code="no_variant",
            )

    def variants(self) -> list[dict]:
        """The control and every variant with text, as ``experiment_start`` takes them."""
        return [
            {**form.cleaned_data, "overrides": form.overrides()}
            for index, form in enumerate(self.forms)
            if form.cleaned_data and (index == 0 or _differs(form))
        ]


def _differs(form: VariantForm) -> bool:
    """A variant row counts once it changes something: its text, its ranking or its content policy."""
    return bool((form.cleaned_data.get("stimulus_text") or "").strip() or form.overrides())


VariantFormSet = forms.formset_factory(
    VariantForm, formset=BaseVariantFormSet, extra=0, min_num=2, validate_min=True,
    max_num=MAX_VARIANTS, validate_max=True,
)  # fmt: skip


class ReplicatesForm(forms.Form):
    replicates = forms.IntegerField(
        initial=1, validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text="Runs of the same scenario with consecutive seeds.",
    )  # fmt: skip


class ExperimentForm(forms.Form):
    experiment_name = forms.CharField(max_length=160, required=False, label="Experiment name")
    replicates = forms.IntegerField(
        initial=5, validators=[MinValueValidator(2), MaxValueValidator(100)], label="Replicates per variant",
        help_text="Every variant runs with the same seeds (a paired comparison).",
    )  # fmt: skip
