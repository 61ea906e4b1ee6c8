"""Forms of the insight pages: start a backtest, ask how many replicates a difference needs."""

from __future__ import annotations

from django import forms

from personas.models import Panel, SourceAccount
from simnet.providers.models import ProviderConfig
from simulations.analysis.report import OUTCOME_METRICS
from simulations.insight.backtests import MAX_LAST_N, MAX_REPLICATES
from simulations.insight.comparison import METRIC_LABELS
from simulations.models import Backtest

SELF_SERVE_CHOICES = [
    ("offline", "Offline model (on this server, free)"),
    ("baseline", "Rule baseline only"),
]


class BacktestForm(forms.Form):
    panel = forms.ModelChoiceField(queryset=Panel.objects.none(), help_text="A panel of imported accounts.")
    mode = forms.ChoiceField(choices=Backtest.Mode.choices, initial=Backtest.Mode.REACTIONS)
    cutoff = forms.DateTimeField(
        required=False, label="Cut-off", help_text="Reactions: blank leaves the last quarter of posts after it."
    )
    account = forms.ModelChoiceField(
        queryset=SourceAccount.objects.none(), required=False, help_text="Engagement: the account to forecast."
    )
    last_n = forms.IntegerField(
        min_value=1, max_value=MAX_LAST_N, initial=200, label="Last N posts", help_text="Engagement only."
    )
    provider = forms.ChoiceField(help_text="The rule baseline is always scored alongside.")
    replicates = forms.IntegerField(min_value=1, max_value=MAX_REPLICATES, initial=1)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = Panel.objects.for_org(organization)
        self.fields["account"].queryset = SourceAccount.objects.for_org(organization).order_by("handle")
        configs = ProviderConfig.objects.for_org(organization).exclude(kind=ProviderConfig.Kind.BASELINE)
        self.fields["provider"].choices = SELF_SERVE_CHOICES + [(f"config:{c.pk}", str(c)) for c in configs]
        self._configs = {f"config:{c.pk}": c for c in configs}

    def service_arguments(self) -> dict:
        """The cleaned data as ``backtests.backtest_create`` keywords."""
        data = dict(self.cleaned_data)
        provider = data.pop("provider")
        config = self._configs.get(provider)
        kind = config.kind if config is not None else provider
        return {**data, "provider_kind": kind, "provider_config": config}


class PowerForm(forms.Form):
    metric = forms.ChoiceField(choices=[(m, METRIC_LABELS.get(m, m)) for m in OUTCOME_METRICS])
    difference = forms.FloatField(help_text="In the metric's own unit (0.05 = five points of a share).")
