"""Trust & safety API (/api/v1/…): a run's harm figures and an experiment's T&S comparison.

Both find their object inside the caller's organization (404 otherwise, also for methods they
do not accept); any role reads.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import error_responses
from simnet.tenancy.mixins import OrganizationScopedMixin
from simulations.insight import safety
from simulations.models import Experiment, Run


class RunSafetyView(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView):
    queryset = Run.objects.select_related("scenario", "scenario__provider")
    lookup_url_kwarg = "run_id"

    @extend_schema(
        summary="A run's trust & safety figures: the content policy, its interventions (moderation events), "
        "harm per class per 10,000 actions with exact intervals, the E-I index, and which labeller labelled it",
        responses={200: OpenApiTypes.OBJECT, **error_responses(404)},
    )
    def get(self, request, run_id: int):
        return Response(safety.run_safety_view(self.get_object()))


class ExperimentSafetyView(
    NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView
):
    queryset = Experiment.objects.select_related("scenario")
    lookup_url_kwarg = "experiment_id"

    @extend_schema(
        summary="A safety experiment's comparison: harm rates per class with Clopper-Pearson intervals (rule "
        "of three and replicates needed when none is seen), prevalence, E-I index, reach of the worst posts, "
        "engagement lost vs the baseline; null for an experiment that varies no ranking or policy",
        responses={200: OpenApiTypes.OBJECT, **error_responses(404)},
    )
    def get(self, request, experiment_id: int):
        return Response({"safety": safety.experiment_safety(self.get_object())})
