"""OpenAPI pieces every API view can reuse: the error document and the idempotency header."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .idempotency import KEY_HEADER, MAX_KEY_LENGTH


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="A sentence a person can act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field (dotted paths for nested fields); empty when not about fields.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=KEY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Up to {MAX_KEY_LENGTH} characters, unique per request you mean (a UUID). A retry with the same key "
        "and body returns the first response with `Idempotent-Replayed: true` instead of starting the work "
        "again; the same key with another body gets 422 `idempotency_key_reused`; while the first request "
        "still runs, 409 `idempotency_key_in_progress`. Keys are kept 24 hours per organization."
    ),
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses={..., **error_responses(400, 404)})``."""
    return {status: OpenApiResponse(ErrorSerializer, description="Error") for status in statuses}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Bearer snt_…`` (registered by ``ApiConfig.ready``)."""

    target_class = "simnet.tenancy.api_auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API token (`snt_…`), created under API & tokens. "
            "It acts for its organization with its role.",
        }
