"""Insight API (/api/v1/…): run reports and exports, experiment comparisons, backtests.

Every view finds its object inside the caller's organization (404 otherwise, also for
methods it does not accept); any role reads, member and above start backtests.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from personas.models import Panel, SourceAccount
from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.actors import request_actor
from simnet.tenancy.mixins import OrganizationScopedMixin, ScopedPrimaryKeyRelatedField
from simulations.insight import backtests, comparison, forecast, reports, run_exports
from simulations.models import Backtest, Experiment, Run
from simulations.runs.media import seen_lines
from simulations.runs.persistence import run_gate
from simulations.runs.serializers import MAX_SEED


class RunReportView(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView):
    queryset = Run.objects.all()
    lookup_url_kwarg = "run_id"

    @extend_schema(
        summary="A run's report: engagement, cascades, segments, sentiment, themes, backlash, diagnostics, "
        "for stimuli by imported personas their real account's forecast, and the quality gate's counts; "
        "a roundtable's has its meeting instead (minutes, votes and why, positions, who moved whom, action items)",
        responses={200: OpenApiTypes.OBJECT, **error_responses(404)},
    )
    def get(self, request, run_id: int):
        run = self.get_object()
        return Response(
            {
                **reports.run_report_data(run),
                "forecasts": forecast.run_stimulus_forecasts(run),
                "quality_gate": run_gate(run),
                "pictures_seen": seen_lines(run),  # what the agents saw of stimulus pictures, said at start
            }
        )


class RunExportView(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView):
    queryset = Run.objects.all()
    lookup_url_kwarg = "run_id"

    @extend_schema(
        summary="Download a run's actions, posts, per-step metrics or labelled responses as CSV, JSON lines or Parquet",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **error_responses(404)},
    )
    def get(self, request, run_id: int, what: str, fmt: str):
        run = self.get_object()
        if what not in reports.EXPORT_TABLES or fmt not in reports.EXPORT_FORMATS:
            raise NotFound(
                f"Exports are {', '.join(reports.EXPORT_TABLES)} as {', '.join(reports.EXPORT_FORMATS)}."
            )
        name, content = run_exports.run_export(run, what=what, fmt=fmt)
        response = HttpResponse(content, content_type=reports.EXPORT_FORMATS[fmt])  # a file, not a document
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ExperimentComparisonView(
    NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView
):
    queryset = Experiment.objects.all()
    lookup_url_kwarg = "experiment_id"

    @extend_schema(
        summary="An experiment's comparison: intervals per variant, tests, Holm-adjusted p-values, verdict",
        responses={200: OpenApiTypes.OBJECT, **error_responses(404)},
    )
    def get(self, request, experiment_id: int):
        return Response(comparison.experiment_comparison(self.get_object()))


class BacktestSerializer(serializers.ModelSerializer):
    provider_label = serializers.CharField(read_only=True)

    class Meta:
        model = Backtest
        fields = (
            "id", "panel", "mode", "cutoff", "account", "last_n", "provider_kind", "provider_model",
            "provider_label", "replicates", "seed", "status", "status_reason", "created_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields


class BacktestDetailSerializer(BacktestSerializer):
    class Meta(BacktestSerializer.Meta):
        fields = (*BacktestSerializer.Meta.fields, "result")
        read_only_fields = fields


class BacktestCreateSerializer(serializers.Serializer):
    panel = ScopedPrimaryKeyRelatedField(queryset=Panel.objects.all())
    provider = serializers.ChoiceField(
        choices=["offline", "baseline", "anthropic", "openai_compat"], default="offline",
        help_text="anthropic and openai_compat need provider_config (key and model).",
    )  # fmt: skip
    provider_config = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="One of your provider configurations; when given, its kind and model are used.",
    )
    mode = serializers.ChoiceField(choices=Backtest.Mode.choices, default=Backtest.Mode.REACTIONS)
    cutoff = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="Reactions: one cut-off for the whole panel (default: the last quarter of posts after it).",
    )  # fmt: skip
    account = ScopedPrimaryKeyRelatedField(
        queryset=SourceAccount.objects.all(), required=False, allow_null=True, default=None,
        help_text="Engagement: the imported account whose last N posts are forecast.",
    )  # fmt: skip
    last_n = serializers.IntegerField(min_value=1, max_value=backtests.MAX_LAST_N, default=200)
    replicates = serializers.IntegerField(min_value=1, max_value=backtests.MAX_REPLICATES, default=1)
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, default=1)


@extend_schema_view(
    list=extend_schema(summary="Past backtests, newest first (filter with ?provider=kind or kind/model)"),
    retrieve=extend_schema(
        summary="A backtest with its scores",
        responses={200: BacktestDetailSerializer, **error_responses(404)},
    ),
)
class BacktestViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Backtest.objects.all()
    serializer_class = BacktestSerializer

    def get_serializer_class(self):
        return BacktestDetailSerializer if self.action == "retrieve" else BacktestSerializer

    def scoped_queryset(self, queryset):
        if self.action == "list" and self.request.query_params.get("provider"):
            provider = self.request.query_params["provider"]
            return backtests.backtest_list(organization=self.organization, provider=provider)
        return queryset

    @extend_schema(
        summary="Start a backtest (queued; poll the backtest until it is completed)",
        request=BacktestCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: BacktestSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = BacktestCreateSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        data = dict(arguments.validated_data)
        backtest = backtests.backtest_create(
            organization=self.organization,
            actor=request_actor(request),
            provider_kind=data.pop("provider"),
            **data,
        )
        return Response(BacktestSerializer(backtest).data, status=status.HTTP_202_ACCEPTED)


class ForecastRequestSerializer(serializers.Serializer):
    account = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Id of an imported account."
    )
    handle = serializers.CharField(required=False, max_length=128, help_text="Or its handle.")
    text = serializers.CharField(max_length=5000, help_text="The draft post.")
    at = serializers.DateTimeField(required=False, help_text="When it would be posted (default: now).")
    media = serializers.IntegerField(required=False, min_value=0, max_value=10, default=0)

    def validate(self, data):
        if ("account" in data) == ("handle" in data):
            raise serializers.ValidationError("Give either account or handle.")
        return data


class ForecastView(OrganizationScopedMixin, generics.GenericAPIView):
    write_role = roles.READ  # a forecast reads the history and writes nothing
    serializer_class = ForecastRequestSerializer

    @extend_schema(
        summary="How a draft would do: expected likes, reposts, replies, quotes with 80% intervals, "
        "learned from the account's own posts (422 when there is not enough data)",
        request=ForecastRequestSerializer,
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 404, 422)},
    )
    def post(self, request):
        arguments = ForecastRequestSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        data = arguments.validated_data
        account = forecast.account_find(
            organization=self.organization, account_id=data.get("account"), handle=data.get("handle", "")
        )
        result = forecast.forecast_post(
            organization=self.organization, account=account, text=data["text"], at=data.get("at"),
            media=data["media"],
        )  # fmt: skip
        return Response(result)
