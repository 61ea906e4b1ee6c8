"""One error shape for every API error (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

    {"error": {"code": "machine_code", "message": "A sentence for people.", "fields": {"url": ["…"]}}}

``fields`` is always present (empty when the error is not about fields); nested serializer
errors are flattened to dotted paths (``variants.1.label``). Unexpected exceptions become
a generic 500 in the same shape: the traceback goes to the log (and to Django's
``got_request_exception`` listeners, which is how the test client re-raises it), never
to the caller.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from simnet.tenancy.errors import ApplicationError

log = logging.getLogger(__name__)

SERVER_ERROR_MESSAGE = "Something went wrong on our side. It has been logged; please try again later."


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The error document, for code outside DRF (the SSE view) that must answer in the same shape."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"dotted.path": [messages]}``.

    A nested serializer's own errors (``variants.non_field_errors``) belong to its path
    (``variants``), as the top-level ones belong to the message.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if prefix and key == api_settings.NON_FIELD_ERRORS_KEY:
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for name, messages in flatten_field_errors(value, path).items():
                flat.setdefault(name, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: [str(detail)]}


def _validation_error(exc: exceptions.ValidationError) -> Response:
    detail = exc.detail if isinstance(exc.detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
    fields = flatten_field_errors(detail)
    general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
    if general:
        message = " ".join(general)
    else:
        message = f"Some fields are invalid: {', '.join(sorted(fields))}."
    return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)


def _api_exception(exc: exceptions.APIException) -> Response:
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    if isinstance(exc.detail, (list, dict)):
        message = " ".join(flatten_field_errors(exc.detail).get("", [])) or str(exc.default_detail)
    else:
        message = str(exc.detail)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    return Response(error_body(str(code), message), status=exc.status_code, headers=headers)


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    django_request = getattr(request, "_request", None)
    log.error("Unhandled error in API view %s", type(context.get("view")).__name__, exc_info=exc)
    got_request_exception.send(sender=None, request=django_request)
    return Response(
        error_body("server_error", SERVER_ERROR_MESSAGE), status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler: every error, expected or not, in the one error shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    set_rollback()
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_error(exc)
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc)
    return _server_error(exc, context)
