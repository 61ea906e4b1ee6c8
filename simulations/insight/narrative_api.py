"""Narrative reports API (/api/v1/runs/<run_id>/narratives/): ask a hosted model to write one about
a finished run, and read it with its checked citations, the tools it called and what it cost.

Scoped to the caller's organization: another organization's run or narrative is a 404. Any role
reads; member and above ask (the model is paid for).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import request_actor
from simnet.tenancy.mixins import OrganizationScopedMixin, ScopedPrimaryKeyRelatedField
from simulations.insight import narratives
from simulations.models import NarrativeReport, Run


class NarrativeSerializer(serializers.ModelSerializer):
    model_written = serializers.SerializerMethodField(help_text="Always true: written by a language model.")

    class Meta:
        model = NarrativeReport
        fields = (
            "id", "run", "model_written", "provider_label", "question", "status", "status_reason", "text",
            "citations", "dropped_citations", "tool_calls", "rounds", "stop", "usage", "cost_usd",
            "created_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_model_written(self, narrative) -> bool:
        return True


class NarrativeCreateSerializer(serializers.Serializer):
    provider_config = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A hosted model of yours (default: the run's own if hosted, else your default hosted one).",
    )
    question = serializers.CharField(
        max_length=narratives.MAX_QUESTION_CHARS, required=False, allow_blank=True, default=""
    )


class _RunNarratives(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, generics.GenericAPIView):
    queryset = NarrativeReport.objects.all()
    serializer_class = NarrativeSerializer

    def run(self) -> Run:
        run = Run.objects.for_org(self.organization).select_related("scenario__provider")
        found = run.filter(pk=self.kwargs["run_id"]).first()
        if found is None:
            raise NotFound("No such run.")
        return found

    def scoped_queryset(self, queryset):
        return queryset.filter(run_id=self.kwargs["run_id"])


class RunNarrativeListView(_RunNarratives):
    @extend_schema(
        summary="A run's narrative reports, newest first",
        responses={200: NarrativeSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, run_id: int):
        self.run()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NarrativeSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask a hosted model to write a narrative report of a finished run (queued; poll it until "
        "completed). It reads the run only through tools and cites the posts it relies on.",
        request=NarrativeCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: NarrativeSerializer, **error_responses(400, 402, 403, 404, 409)},
    )
    @idempotent
    def post(self, request, run_id: int):
        run = self.run()
        arguments = NarrativeCreateSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        narrative = narratives.narrative_create(
            organization=self.organization, actor=request_actor(request), run=run, **arguments.validated_data
        )
        return Response(NarrativeSerializer(narrative).data, status=status.HTTP_202_ACCEPTED)


class RunNarrativeDetailView(_RunNarratives):
    lookup_url_kwarg = "narrative_id"

    @extend_schema(
        summary="One narrative report", responses={200: NarrativeSerializer, **error_responses(404)}
    )
    def get(self, request, run_id: int, narrative_id: int):
        return Response(NarrativeSerializer(self.get_object()).data)
