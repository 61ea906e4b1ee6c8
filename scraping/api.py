"""REST API for imports (/api/v1/imports/…): start one (JSON, or multipart with a file), follow it, read
its errors, retry or cancel it. Upload size is limited before the body is read, as on the page."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from scraping import services
from scraping.models import ImportJob
from scraping.serializers import (
    AudienceStartSerializer,
    ImportErrorsSerializer,
    ImportJobSerializer,
    ImportRetrySerializer,
    ImportStartSerializer,
)
from scraping.storage import SizeLimitedUploadHandler, refuse_oversized_request
from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import OrganizationScopedMixin


@extend_schema_view(
    list=extend_schema(summary="Imports, newest first"),
    retrieve=extend_schema(
        summary="An import's status and progress",
        responses={200: ImportJobSerializer, **error_responses(404)},
    ),
)
class ImportJobViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of accounts (X archive or API, Bluesky, Mastodon, CSV/JSONL) into personas. Any
    role reads; members start, retry and cancel. Credentials are write-only."""

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def scoped_queryset(self, queryset):
        return queryset.select_related("panel")

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers.insert(
            0, SizeLimitedUploadHandler(request)
        )  # before anything parses the body
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action == "create":
            refuse_oversized_request(request.META)

    @extend_schema(
        summary="Start an import (queued; poll the import until it is completed or failed)",
        request={"application/json": ImportStartSerializer, "multipart/form-data": ImportStartSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: ImportJobSerializer, **error_responses(400, 403, 404, 409, 413, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = ImportStartSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        job = services.import_start(
            organization=self.organization,
            actor=request_actor(request),
            ip=client_ip(request),
            **services.import_start_arguments(arguments.validated_data),
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Build an audience: sample accounts from followers, a hashtag or a search into one new panel",
        description=(
            "Queued like any import: poll the import until it is completed or failed. The response's "
            "`audience` says how many accounts were listed, which were sampled, imported and skipped."
        ),
        request=AudienceStartSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: ImportJobSerializer, **error_responses(400, 403, 422)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def audience(self, request, *args, **kwargs):
        arguments = AudienceStartSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        job = services.audience_start(
            organization=self.organization,
            actor=request_actor(request),
            ip=client_ip(request),
            **services.audience_start_arguments(arguments.validated_data),
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="An import's readable errors and notes",
        responses={200: ImportErrorsSerializer, **error_responses(404)},
    )
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        return Response(ImportErrorsSerializer(self.get_object()).data)

    @extend_schema(
        summary="Retry a failed or waiting import (it continues from where it stopped)",
        request=ImportRetrySerializer,
        responses={202: ImportJobSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def retry(self, request, pk=None):
        job = self.get_object()
        arguments = ImportRetrySerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        job = services.import_retry(
            job=job,
            organization=self.organization,
            actor=request_actor(request),
            credential=arguments.validated_data["credential"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel an import that has not finished",
        request=None,
        responses={200: ImportJobSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = services.import_cancel(
            job=self.get_object(),
            organization=self.organization,
            actor=request_actor(request),
        )
        return Response(ImportJobSerializer(job).data)
