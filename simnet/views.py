"""The error pages every app shares (Django's handler403 and handler404).

An unknown path under the API answers in the API's JSON error shape, not with a page: a client
of ``/api/v1/`` parses every error the same way, including a mistyped URL.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from simnet.api.exceptions import error_body

API_PREFIX = "/api/v1/"  # simnet.urls mounts simnet.api_urls here


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    return render(request, "error_page.html", {"title": "Not allowed", "message": message}, status=403)


def not_found(request, exception=None):
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(
        request, "error_page.html", {"title": "Not found", "message": "There is nothing here."}, status=404
    )
