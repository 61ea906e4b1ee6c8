"""Scenario and experiment endpoints (/api/v1/scenarios/…, /api/v1/experiments/…).

Runs and their rows are in ``run_api``. Every view derives the organization from the
credential (``OrganizationScopedMixin``), resolves related ids inside it (serializers) and
calls one service with the acting user or API token. Any role reads; members and above
create scenarios and start experiments; admins and owners manage providers.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.tenancy import roles
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip
from simulations.models import Experiment, Scenario, Stimulus
from simulations.runs import services as run_services
from simulations.runs.serializers import EstimateRequestSerializer, EstimateSerializer
from simulations.scenarios import experiments as experiment_services
from simulations.scenarios import selectors, services
from simulations.scenarios.serializers import (
    ExperimentCreateSerializer,
    ExperimentDetailSerializer,
    ExperimentSerializer,
    ScenarioSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List scenarios, newest first",
        responses={200: ScenarioSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get a scenario with its stimuli", responses={200: ScenarioSerializer, **error_responses(404)}
    ),
)
class ScenarioViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
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
            organization=self.organization, actor=request_actor(request), **arguments.validated_data
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
        estimate = run_services.run_estimate(
            scenario=scenario, replicates=arguments.validated_data["replicates"]
        )
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
class ExperimentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
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
        experiment = experiment_services.experiment_start(
            organization=self.organization,
            actor=request_actor(request),
            ip=client_ip(request),
            **arguments.validated_data,
        )
        experiment = self.get_queryset().get(pk=experiment.pk)
        return Response(ExperimentDetailSerializer(experiment).data, status=status.HTTP_201_CREATED)
