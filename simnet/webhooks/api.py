"""REST API for webhooks (/api/v1/webhooks/…). Admins and admin tokens only, reads included:
endpoint URLs are configuration and deliveries carry event data.

The signing secret is in the create response only; nothing else returns it. Endpoint
creation is deliberately not ``@idempotent`` (a stored response would keep the secret).
"""

from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from simnet.api.fields import object_id_field
from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.pagination import BoundedLimitOffsetPagination
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import OrganizationScopedMixin
from simnet.tenancy.models import ApiToken
from simnet.tenancy.permissions import IsOrganizationMember, request_role
from simnet.webhooks import services
from simnet.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint, WebhookEvent


class IsOrganizationAdmin(IsOrganizationMember):
    """Every method needs admin or owner (``IsOrganizationMember`` lets any role read)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        role = request_role(request)
        if not roles.at_least(role, roles.MANAGE):
            self.message = f"Your role ({role}) cannot manage webhooks; it needs {roles.MANAGE} or above."
            return False
        return True


def _errors(*statuses: int) -> dict:
    """Error responses of an operation: the given ones plus 401 (no valid credential),
    403 (not an admin) and 429 (over the organization's rate limit)."""
    return error_responses(*sorted({401, 403, 429, *statuses}))


def _who(request) -> dict:
    """Audit fields for the caller: the token for token requests, else the signed-in user."""
    if isinstance(request.auth, ApiToken):
        return {"actor": None, "token": request.auth, "ip": client_ip(request)}
    return {"actor": request.user, "token": None, "ip": client_ip(request)}


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, max_length=20
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "secret_hint", "created_at"]
        read_only_fields = ["id", "secret_hint", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.SerializerMethodField(help_text="The signing secret. Shown in this response only.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]

    def get_secret(self, obj) -> str:
        return self.context["secret"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started_at",
            "duration_ms",
            "status_code",
            "response_excerpt",
            "error",
            "succeeded",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "redelivery_of",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.SerializerMethodField(help_text="The exact JSON document that was sent.")
    attempts = serializers.SerializerMethodField()

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload", "attempts"]
        read_only_fields = fields

    def get_payload(self, obj) -> dict:
        return json.loads(obj.body)

    @extend_schema_field(DeliveryAttemptSerializer(many=True))
    def get_attempts(self, obj) -> list[dict]:
        return DeliveryAttemptSerializer(obj.attempts.order_by("number"), many=True).data


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints", responses={200: WebhookEndpointSerializer(many=True), **_errors()}
    ),
    retrieve=extend_schema(
        summary="Get a webhook endpoint", responses={200: WebhookEndpointSerializer, **_errors(404)}
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint", responses={200: WebhookEndpointSerializer, **_errors(400, 404)}
    ),
    update=extend_schema(
        summary="Replace a webhook endpoint's settings",
        responses={200: WebhookEndpointSerializer, **_errors(400, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its delivery history", responses={204: None, **_errors(404)}
    ),
)
class WebhookEndpointViewSet(
    NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, viewsets.ModelViewSet
):
    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsOrganizationAdmin]
    write_role = roles.MANAGE
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(
        summary="Register a webhook endpoint",
        responses={201: WebhookEndpointCreatedSerializer, **_errors(400)},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            organization=self.organization, **serializer.validated_data, **_who(request)
        )
        data = WebhookEndpointCreatedSerializer(endpoint, context={"secret": secret}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint=endpoint, **serializer.validated_data, **_who(request)
        )
        return Response(self.get_serializer(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(endpoint=self.get_object(), **_who(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _DeliveryFilter(serializers.Serializer):
    endpoint = object_id_field(required=False, source="endpoint_id")
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        summary="List deliveries, newest first",
        parameters=[
            OpenApiParameter("endpoint", int, description="Only this endpoint's deliveries."),
            OpenApiParameter("status", str, enum=Delivery.Status.values),
        ],
        responses={200: DeliverySerializer(many=True), **_errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a delivery with its payload and attempts",
        responses={200: DeliveryDetailSerializer, **_errors(404)},
    ),
)
class DeliveryViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    permission_classes = [IsOrganizationAdmin]
    write_role = roles.MANAGE
    pagination_class = BoundedLimitOffsetPagination

    def get_serializer_class(self):
        return DeliverySerializer if self.action == "list" else DeliveryDetailSerializer

    def scoped_queryset(self, queryset):
        if self.action != "list":
            return queryset.select_related("endpoint__organization")
        query = _DeliveryFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return queryset.filter(**query.validated_data).defer("body")

    @extend_schema(
        summary="Send a finished delivery again (a new delivery with the same event id)",
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: DeliverySerializer, **_errors(400, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def redeliver(self, request, *args, **kwargs):
        again = services.delivery_redeliver(delivery=self.get_object(), **_who(request))
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
