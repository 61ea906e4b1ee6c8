"""Stimulus endpoints (/api/v1/stimuli/…): read one, and upload its pictures (multipart).

A scenario is created as JSON (text, alt text); its pictures follow here, checked all or nothing
(``scenarios.media``). Another organization's stimulus is a 404; any role reads, members and above
upload.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.tenancy.actors import request_actor
from simulations.models import Stimulus
from simulations.runs.media import keyframes_prefetch
from simulations.scenarios.media import MAX_ALT_TEXT_CHARS, MAX_KEYFRAMES, stimulus_pictures_replace
from simulations.scenarios.serializers import StimulusSerializer


class PicturesSerializer(serializers.Serializer):
    image = serializers.FileField(required=False, help_text="The post's picture (JPEG, PNG, GIF or WebP).")
    keyframes = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_KEYFRAMES,
        help_text=f"A video ad's frames in order (repeat the field, at most {MAX_KEYFRAMES}); replaces the stored ones.",
    )  # fmt: skip
    alt_text = serializers.CharField(max_length=MAX_ALT_TEXT_CHARS, required=False, allow_blank=True)


@extend_schema_view(
    retrieve=extend_schema(summary="Get a stimulus: text, alt text, picture and keyframe URLs")
)
class StimulusViewSet(mixins.RetrieveModelMixin, ScopedJsonViewSet):
    queryset = Stimulus.objects.all()
    serializer_class = StimulusSerializer

    def scoped_queryset(self, queryset):
        return queryset.prefetch_related(keyframes_prefetch(self.organization.pk))

    @extend_schema(
        summary="Upload a stimulus's picture, video keyframes and alt text (all or nothing)",
        request={"multipart/form-data": PicturesSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: StimulusSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    @idempotent
    def pictures(self, request, *args, **kwargs):
        stimulus = self.get_object()
        arguments = PicturesSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        data = arguments.validated_data
        stimulus = stimulus_pictures_replace(
            organization=self.organization, actor=request_actor(request), stimulus=stimulus,
            image=data.get("image"), keyframes=data.get("keyframes"), alt_text=data.get("alt_text"),
        )  # fmt: skip
        return Response(StimulusSerializer(stimulus).data)
