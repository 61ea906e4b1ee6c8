"""OpenAPI pieces every API view shares: the error document, the idempotency header, and the
schema class that documents the errors any operation can answer."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

from simnet.api.idempotency import KEY_HEADER, MAX_KEY_LENGTH


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


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds until the organization's rate-limit window reopens.",
    }
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error answers no view should have to list by hand.

    Generated clients and schemathesis both rely on every status an operation can return
    being documented: 401 and 403 wherever a credential is checked, 429 wherever a rate
    limit applies (with ``Retry-After``), 404 on object URLs and 400 where a body is read.
    Handlers decorated with ``@idempotent`` get the ``Idempotency-Key`` header and its 409
    and 422 answers. Views still list their own business errors (402, 409 ...) with
    ``error_responses``.
    """

    def _is_idempotent(self) -> bool:
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        return getattr(handler, "idempotent", False)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters

    def _common_error_statuses(self) -> set[int]:
        statuses = set()
        if any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            statuses |= {401, 403}
        if self.view.get_throttles():
            statuses.add(429)
        if "{" in self.path:
            statuses.add(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.add(400)
        if self._is_idempotent():
            statuses |= {409, 422}
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self._common_error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description="Error"), str(status), direction=direction
                )
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        return responses
