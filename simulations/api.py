"""Simulations API (/api/v1/…): provider configurations, scenarios and experiments.

Runs and their rows are in ``run_api``. Every view derives the organization from the
credential (``OrganizationScopedMixin``), resolves related ids inside it (serializers) and
calls one service with the acting user or API token. Any role reads; members and above
create scenarios and start experiments; admins and owners manage providers.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.tenancy import roles
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import OrganizationScopedMixin
from simulations import selectors, services
from simulations.models import Experiment, ProviderConfig, Scenario, Stimulus
from simulations.serializers import (
    EstimateRequestSerializer,
    EstimateSerializer,
    ExperimentCreateSerializer,
    ExperimentDetailSerializer,
    ExperimentSerializer,
    ProviderConfigSerializer,
    ScenarioSerializer,
)


class SimulationsViewSet(
    NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, viewsets.GenericViewSet
):
    # What every simulations viewset shares: JSON bodies and lookups scoped to the caller's
    # organization (404 before 405). No docstring: each subclass's is its OpenAPI description.

    parser_classes = (JSONParser,)


@extend_schema_view(
    list=extend_schema(
        summary="List provider configurations",
        responses={200: ProviderConfigSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get a provider configuration (the secret never; its last characters as secret_hint)",
        responses={200: ProviderConfigSerializer, **error_responses(404)},
    ),
)
class ProviderConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SimulationsViewSet):
    """Where decisions come from: the offline model, the rule baseline, Anthropic or an
    OpenAI-compatible server. Any role reads; admins and owners add and delete."""

    queryset = ProviderConfig.objects.all()
    serializer_class = ProviderConfigSerializer
    write_role = roles.MANAGE

    def scoped_queryset(self, queryset):
        return queryset.order_by("name", "id")

    @extend_schema(
        summary="Add a provider configuration (admins); the secret is write-only",
        responses={201: ProviderConfigSerializer, **error_responses(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = self.get_serializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        config = services.provider_config_create(
            organization=self.organization,
            user=request_actor(request),
            ip=client_ip(request),
            **arguments.validated_data,
        )
        return Response(self.get_serializer(config).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete a provider configuration (admins); refused while unfinished runs use it",
        responses={204: None, **error_responses(404, 409)},
    )
    def destroy(self, request, *args, **kwargs):
        services.provider_config_delete(
            config=self.get_object(), user=request_actor(request), ip=client_ip(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List scenarios, newest first",
        responses={200: ScenarioSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get a scenario with its stimuli", responses={200: ScenarioSerializer, **error_responses(404)}
    ),
)
class ScenarioViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SimulationsViewSet):
    """A panel, the content it reacts to (feed) or an agenda (roundtable), and the settings of
    a simulation. Any role reads and estimates; members and above create."""

    queryset = Scenario.objects.all()
    serializer_class = ScenarioSerializer

    @property
    def write_role(self) -> str:
        return roles.READ if self.action == "estimate" else roles.WRITE

    def scoped_queryset(self, queryset):
        stimuli = Stimulus.objects.for_org(self.organization).order_by("step", "id")
        return queryset.select_related("panel", "provider").prefetch_related(
            Prefetch("stimuli", queryset=stimuli)
        )

    @extend_schema(
        summary="Create a scenario: a panel, stimuli (feed) or an agenda (roundtable), and settings",
        responses={201: ScenarioSerializer, **error_responses(400, 404)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = self.get_serializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        scenario = services.scenario_create(
            organization=self.organization, user=request_actor(request), **arguments.validated_data
        )
        return Response(self.get_serializer(scenario).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Estimate calls, tokens, dollars and wall time of running it (low / expected / high)",
        request=EstimateRequestSerializer,
        responses={200: EstimateSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def estimate(self, request, *args, **kwargs):
        scenario = self.get_object()
        arguments = EstimateRequestSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        estimate = services.run_estimate(scenario=scenario, replicates=arguments.validated_data["replicates"])
        return Response(EstimateSerializer(estimate).data)


@extend_schema_view(
    list=extend_schema(
        summary="List experiments, newest first",
        responses={200: ExperimentSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get an experiment: progress per variant and, once completed, the comparison and verdict",
        responses={200: ExperimentDetailSerializer, **error_responses(404)},
    ),
)
class ExperimentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SimulationsViewSet):
    """Variants (e.g. ad A vs ad B) × replicates of a scenario, compared with statistics once
    every run is final. Any role reads; members and above start experiments."""

    queryset = Experiment.objects.all()

    def get_queryset(self):
        return selectors.experiment_list(organization=self.organization)

    def get_serializer_class(self):
        return ExperimentSerializer if self.action == "list" else ExperimentDetailSerializer

    @extend_schema(
        summary="Start an experiment: every variant × replicates runs, paired seeds (queued)",
        request=ExperimentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: ExperimentDetailSerializer, **error_responses(400, 402, 404, 409, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = ExperimentCreateSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        experiment = services.experiment_start(
            organization=self.organization,
            user=request_actor(request),
            ip=client_ip(request),
            **arguments.validated_data,
        )
        experiment = self.get_queryset().get(pk=experiment.pk)
        return Response(ExperimentDetailSerializer(experiment).data, status=status.HTTP_201_CREATED)
