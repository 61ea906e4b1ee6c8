"""Briefs API (/api/v1/briefs/): a brief (JSON text, or a multipart upload) read by a hosted model
into a draft, the draft edited, then made a panel and a scenario.

Scoped to the caller's organization (another organization's brief is a 404); any role reads,
member and above write. Offline (no hosted model given) creation is refused with
``needs_hosted_model``; ``template`` gives an editable hand-written draft instead.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import request_actor
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField
from simulations.briefs import services
from simulations.briefs.apply import brief_apply
from simulations.briefs.parse import MAX_CHARS
from simulations.briefs.starters import STARTERS
from simulations.models import BriefDraft


class BriefSerializer(serializers.ModelSerializer):
    origin = serializers.CharField(
        read_only=True, help_text="Who wrote the draft: extracted (a hosted model), template or example."
    )

    class Meta:
        model = BriefDraft
        fields = (
            "id", "title", "source_kind", "source_name", "origin", "provider_label", "status", "status_reason",
            "draft", "edited", "cost_usd", "panel", "scenario", "created_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields


class BriefCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160, required=False, default="", allow_blank=True)
    text = serializers.CharField(
        max_length=MAX_CHARS * 2, required=False, default="", allow_blank=True, trim_whitespace=False
    )
    file = serializers.FileField(required=False, default=None, help_text="PDF, DOCX, Markdown or text.")
    provider_config = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(), required=False, allow_null=True, default=None,
        help_text="A hosted model of yours (Anthropic or OpenAI-compatible) that reads the brief.",
    )  # fmt: skip
    template = serializers.ChoiceField(
        choices=list(STARTERS), required=False, default="", allow_blank=True,
        help_text="Instead of a brief: a hand-written draft to edit (works offline).",
    )  # fmt: skip


class BriefDraftSerializer(serializers.Serializer):
    draft = serializers.JSONField(help_text="summary, stakeholders, posts and question, as in the brief.")


class BriefApplySerializer(serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=500, default=8)


@extend_schema_view(
    list=extend_schema(summary="Briefs and their drafts, newest first"),
    retrieve=extend_schema(summary="A brief: its status, draft, and the world it became"),
)
class BriefViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
    queryset = BriefDraft.objects.all()
    serializer_class = BriefSerializer
    parser_classes = (JSONParser, MultiPartParser)

    @extend_schema(
        summary="Read a brief (queued for extraction; poll until completed), or start from a template",
        request={"application/json": BriefCreateSerializer, "multipart/form-data": BriefCreateSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            202: BriefSerializer,
            201: BriefSerializer,
            **error_responses(400, 402, 403, 404, 409, 422),
        },
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = BriefCreateSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        data, who = arguments.validated_data, request_actor(request)
        if data["template"]:
            brief = services.brief_from_starter(
                organization=self.organization, actor=who, starter=data["template"]
            )
            return Response(BriefSerializer(brief).data, status=status.HTTP_201_CREATED)
        brief = services.brief_create(
            organization=self.organization, actor=who, provider_config=data["provider_config"],
            title=data["title"], text=data["text"], upload=data["file"],
        )  # fmt: skip
        return Response(BriefSerializer(brief).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Replace the draft with an edited one (checked like an extraction)",
        request=BriefDraftSerializer,
        responses={200: BriefSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["put"])
    def draft(self, request, *args, **kwargs):
        arguments = BriefDraftSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        brief = services.brief_update(
            brief=self.get_object(), organization=self.organization, actor=request_actor(request),
            draft=arguments.validated_data["draft"],
        )  # fmt: skip
        return Response(BriefSerializer(brief).data)

    @extend_schema(
        summary="Make the draft a world: a panel of the stakeholders and a scenario of the opening posts",
        request=BriefApplySerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BriefSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request, *args, **kwargs):
        arguments = BriefApplySerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        brief = brief_apply(
            brief=self.get_object(), organization=self.organization, actor=request_actor(request),
            steps=arguments.validated_data["steps"],
        )  # fmt: skip
        return Response(BriefSerializer(brief).data, status=status.HTTP_201_CREATED)
