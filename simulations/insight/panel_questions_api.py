"""Panel questions API (/api/v1/panel-questions/): ask every persona of a panel one question.

Scoped to the caller's organization (another organization's question is a 404); any role reads,
member and above ask (every persona costs one provider call).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from personas.models import Panel
from simnet.api.idempotency import idempotent
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import request_actor
from simnet.tenancy.mixins import ScopedPrimaryKeyRelatedField
from simulations.insight import panel_questions
from simulations.models import PanelQuestion
from simulations.runs.serializers import MAX_SEED


class PanelQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PanelQuestion
        fields = (
            "id", "panel", "kind", "question", "choices", "provider_label", "seed", "status", "status_reason",
            "total", "done", "cost_usd", "created_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields


class PanelAnswerSerializer(serializers.Serializer):
    persona = serializers.IntegerField(source="persona_id")
    handle = serializers.CharField(source="persona.handle")
    text = serializers.CharField()
    choice = serializers.CharField()
    error = serializers.CharField()


class PanelQuestionDetailSerializer(PanelQuestionSerializer):
    answers = serializers.SerializerMethodField()

    class Meta(PanelQuestionSerializer.Meta):
        fields = (*PanelQuestionSerializer.Meta.fields, "result", "answers")
        read_only_fields = fields

    def get_answers(self, question) -> list[dict]:
        rows = question.answers.select_related("persona").order_by("id")
        return PanelAnswerSerializer(rows, many=True).data


class PanelQuestionCreateSerializer(serializers.Serializer):
    panel = ScopedPrimaryKeyRelatedField(queryset=Panel.objects.all())
    kind = serializers.ChoiceField(choices=PanelQuestion.Kind.choices)
    question = serializers.CharField(max_length=panel_questions.MAX_QUESTION_CHARS)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=panel_questions.MAX_CHOICE_CHARS),
        required=False,
        default=list,
        help_text="A poll's options (2 to 10); none for an open question.",
    )
    provider_config = ScopedPrimaryKeyRelatedField(
        queryset=ProviderConfig.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="One of your provider configurations (default: the offline model).",
    )
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, default=1)


@extend_schema_view(
    list=extend_schema(summary="Questions put to whole panels, newest first"),
    retrieve=extend_schema(
        summary="A panel question with its progress, every persona's answer (or why it has none) and the "
        "split by segment: for a poll, counts and shares with 95% intervals per option; for an open "
        "question, sentiment and themes",
        responses={200: PanelQuestionDetailSerializer, **error_responses(404)},
    ),
)
class PanelQuestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
    queryset = PanelQuestion.objects.all()
    serializer_class = PanelQuestionSerializer

    def get_serializer_class(self):
        return PanelQuestionDetailSerializer if self.action == "retrieve" else PanelQuestionSerializer

    @extend_schema(
        summary="Ask every persona of a panel one question (queued; poll the question until it is completed)",
        request=PanelQuestionCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: PanelQuestionSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = PanelQuestionCreateSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        asked = panel_questions.panel_question_create(
            organization=self.organization, actor=request_actor(request), **arguments.validated_data
        )
        return Response(PanelQuestionSerializer(asked).data, status=status.HTTP_202_ACCEPTED)
