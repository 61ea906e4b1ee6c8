"""Small DRF views that exercise the API infrastructure the way real endpoints will use it."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from simnet.api.idempotency import idempotent
from simnet.api.throttling import OrganizationReadThrottle, OrganizationWriteThrottle
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import AuditEvent
from simnet.tenancy.permissions import request_organization


class _Variant(serializers.Serializer):
    label = serializers.CharField()


class _Payload(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    variants = _Variant(many=True)

    def validate(self, attrs):
        if attrs["name"] == "taken":
            raise serializers.ValidationError("That name is taken.")
        return attrs


def _raise_server_error():
    raise RuntimeError("internal detail: password=hunter2 in /srv/app/secret.py")


def _raise_application_error():
    raise ApplicationError(
        "The monthly budget is used up.",
        code="budget_exceeded",
        fields={"budget_usd": ["Raise it."]},
        status=402,
    )


def _raise_permission_denied():
    raise PermissionDenied


def _raise_not_found():
    raise Http404("No Run matches the given query.")


class ErrorView(APIView):
    """``GET /errors/<kind>/`` raises one kind of error; ``POST`` validates a body."""

    throttle_classes = ()  # only LimitedView is rate limited here
    RAISERS: dict[str, Callable[[], None]] = {
        "server": _raise_server_error,
        "application": _raise_application_error,
        "permission": _raise_permission_denied,
        "not_found": _raise_not_found,
    }

    def get(self, request, kind: str):
        self.RAISERS[kind]()

    def post(self, request, kind: str):
        _Payload(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


class LimitedView(APIView):
    throttle_classes = [OrganizationReadThrottle, OrganizationWriteThrottle]

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


class StartWorkView(APIView):
    """Starts 'work' (writes an audit row) once per request; tests read ``calls`` and set ``during``."""

    throttle_classes = ()  # only LimitedView is rate limited here
    calls: list[dict] = []
    during: Callable[[], None] | None = None
    fail_with: Exception | None = None

    @idempotent
    def post(self, request):
        organization = request_organization(request)
        type(self).calls.append({"organization": organization.pk, "data": dict(request.data)})
        row = AuditEvent.objects.create(organization=organization, action="test.work_started")
        if type(self).during is not None:
            type(self).during()
        if type(self).fail_with is not None:
            raise type(self).fail_with
        body = {"work": row.pk, "name": request.data.get("name")}
        return Response(body, status=201, headers={"Location": f"/work/{row.pk}/"})
