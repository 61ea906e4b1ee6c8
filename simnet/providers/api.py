"""Provider configurations over the REST API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.schema import error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.providers import services
from simnet.providers.models import ProviderConfig
from simnet.providers.serializers import ProviderConfigSerializer
from simnet.tenancy import roles
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip


@extend_schema_view(
    list=extend_schema(
        summary="List provider configurations",
        responses={200: ProviderConfigSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get a provider configuration (the secret never; its last characters as secret_hint)",
        responses={200: ProviderConfigSerializer, **error_responses(404)},
    ),
)
class ProviderConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
    """Where decisions come from: the offline model, the rule baseline, Anthropic or an
    OpenAI-compatible server. Any role reads; admins and owners add and delete."""

    queryset = ProviderConfig.objects.all()
    serializer_class = ProviderConfigSerializer
    write_role = roles.MANAGE

    def scoped_queryset(self, queryset):
        return queryset.order_by("name", "id")

    @extend_schema(
        summary="Add a provider configuration (admins); the secret is write-only",
        responses={201: ProviderConfigSerializer, **error_responses(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = self.get_serializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        config = services.provider_config_create(
            organization=self.organization,
            actor=request_actor(request),
            ip=client_ip(request),
            **arguments.validated_data,
        )
        return Response(self.get_serializer(config).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete a provider configuration (admins); refused while unfinished runs use it",
        responses={204: None, **error_responses(404, 409)},
    )
    def destroy(self, request, *args, **kwargs):
        services.provider_config_delete(
            config=self.get_object(), actor=request_actor(request), ip=client_ip(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
