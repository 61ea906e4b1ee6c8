"""Stance API (/api/v1/runs/<run_id>/stance/...): the dynamics report, the raw readings, and a
poll of the run's personas at its checkpoints. Another organization's run is a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.tenancy.mixins import OrganizationScopedMixin
from simulations.insight import stance
from simulations.models import Run, StanceReading


class StanceReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = StanceReading
        fields = ("step", "agent_key", "persona", "value", "source", "kind", "text")
        read_only_fields = fields


class _RunStance(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView):
    queryset = StanceReading.objects.all()
    serializer_class = StanceReadingSerializer
    lookup_url_kwarg = "run_id"  # the run is looked up (404) before a wrong method is answered 405

    def get_object(self) -> Run:
        return self.run()

    def run(self) -> Run:
        found = (
            Run.objects.for_org(self.organization)
            .select_related("scenario__panel")
            .filter(pk=self.kwargs["run_id"])
        )
        run = found.first()
        if run is None:
            raise NotFound("No such run.")
        return run


class RunStanceReportView(_RunStance):
    @extend_schema(
        summary="A run's opinion dynamics: shift by segment, polarization, consensus over time, who moved whom, "
        "and the stance honesty checks",
        responses={200: dict, **error_responses(404)},
    )
    def get(self, request, run_id: int):
        return Response(stance.stance_summary(organization=self.organization, run=self.run()))


class RunStanceReadingsView(_RunStance):
    @extend_schema(
        summary="Every stance reading of a run (step, persona, -3..+3, who answered, the sentence)",
        responses={200: StanceReadingSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, run_id: int):
        readings = self.paginate_queryset(
            stance.stance_readings(organization=self.organization, run=self.run())
        )
        return self.get_paginated_response(StanceReadingSerializer(readings, many=True).data)


class RunStancePollView(_RunStance):
    @extend_schema(
        summary="Poll the run's personas on its stance question at the start, every k steps and the end "
        "(scenario settings.stance_polls); checkpoints already read are kept",
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: dict, **error_responses(400, 403, 404)},
    )
    @idempotent
    def post(self, request, run_id: int):
        return Response(stance.stance_poll(organization=self.organization, run=self.run()))
