"""Input shapes for the import pages; the rules live in ``services.import_start``."""

from __future__ import annotations

from django import forms

from personas.models import Panel
from personas.services.importer import DEFAULT_CARD_BUDGET, DEFAULT_HOLDOUT_FRACTION
from scraping.services import AUDIENCE_SIZE_RANGE, CARD_BUDGET_RANGE, MAX_HOLDOUT_PERCENT, SEED_RANGE
from scraping.sources import CONNECTORS
from scraping.sources.audience import AudienceKind
from simnet.tenancy.errors import ApplicationError


class ImportForm(forms.Form):
    connector = forms.ChoiceField(
        choices=[(name, info.label) for name, info in CONNECTORS.items()], initial="x_archive"
    )
    file = forms.FileField(required=False)
    account = forms.CharField(max_length=300, required=False)
    credential = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted for this organization, used only for this import and never shown again.",
    )
    panel = forms.ModelChoiceField(queryset=Panel.objects.none(), required=False, empty_label="A new panel")
    panel_name = forms.CharField(
        max_length=120,
        required=False,
        label="Name of the new panel",
        help_text="Leave empty to name it after the account or file.",
    )
    holdout_percent = forms.IntegerField(
        label="Hold out (%)",
        min_value=0,
        max_value=MAX_HOLDOUT_PERCENT,
        initial=round(DEFAULT_HOLDOUT_FRACTION * 100),
        help_text="The newest part of each history, kept back from the profile to test predictions against.",
    )
    card_budget = forms.IntegerField(
        label="Card budget (tokens)",
        min_value=CARD_BUDGET_RANGE[0],
        max_value=CARD_BUDGET_RANGE[1],
        initial=DEFAULT_CARD_BUDGET,
        help_text="Longest persona card a prompt gets.",
    )

    def __init__(self, *args, panels, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels

    def refuse_unread(self, error: ApplicationError) -> None:
        """Show an error met before the request body was read (too large): the form is unbound, so it
        gets empty cleaned data first, which ``add_error`` needs; the full message goes on top."""
        self.full_clean()
        self.cleaned_data = {}
        self.add_error(None, error.message)
        for field, messages in error.fields.items():
            for message in messages:
                if field in self.fields:
                    self.add_error(field, message)


class RetryForm(forms.Form):
    credential = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        label="New credential (optional)",
    )


AUDIENCE_NETWORKS = ("x_api", "bluesky", "mastodon")
AUDIENCE_KINDS = (
    (AudienceKind.FOLLOWERS.value, "Followers of an account"),
    (AudienceKind.HASHTAG.value, "People posting a hashtag"),
    (AudienceKind.SEARCH.value, "People found by a search"),
)


class AudienceForm(forms.Form):
    """Build an audience: sample the followers of an account, a hashtag's posters or a search's accounts."""

    connector = forms.ChoiceField(
        label="Network", choices=[(name, CONNECTORS[name].label) for name in AUDIENCE_NETWORKS]
    )
    kind = forms.ChoiceField(label="Who", choices=AUDIENCE_KINDS, initial=AudienceKind.FOLLOWERS.value)
    query = forms.CharField(
        label="Account, hashtag or search",
        max_length=400,
        help_text="@handle for followers, #tag for a hashtag, or the words to search for.",
    )
    server = forms.CharField(
        label="Mastodon server",
        max_length=253,
        required=False,
        help_text="For a Mastodon hashtag or search: the server to ask, such as mastodon.social.",
    )
    size = forms.IntegerField(
        label="Accounts in the panel",
        min_value=AUDIENCE_SIZE_RANGE[0],
        max_value=AUDIENCE_SIZE_RANGE[1],
        initial=20,
        help_text="Picked at random from everyone listed; each brings its recent posts.",
    )
    seed = forms.IntegerField(
        label="Seed (optional)",
        required=False,
        min_value=0,
        max_value=SEED_RANGE - 1,
        help_text="The same seed and the same list always pick the same people. Empty: a random one.",
    )
    credential = ImportForm.base_fields["credential"]
    panel_name = forms.CharField(
        max_length=120,
        required=False,
        label="Name of the new panel",
        help_text="Leave empty to name it after the audience.",
    )
    holdout_percent = ImportForm.base_fields["holdout_percent"]
    card_budget = ImportForm.base_fields["card_budget"]
