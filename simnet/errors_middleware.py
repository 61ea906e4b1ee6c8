"""Turn ``ApplicationError`` raised by any HTML view into a readable message.

HTMX requests get the message partial swapped into #messages (via django-htmx's
retarget helper); full page requests get an error page with the right status.
"""

from __future__ import annotations

from django.shortcuts import render
from django_htmx.http import reswap, retarget

from simnet.tenancy.errors import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        context = {"message": exception.message, "fields": exception.fields}
        if getattr(request, "htmx", False):
            response = render(request, "partials/error.html", context, status=exception.status)
            response = retarget(response, "#messages")
            return reswap(response, "innerHTML")
        title = "Not allowed" if exception.status == 403 else "That did not work"
        return render(request, "error_page.html", {**context, "title": title}, status=exception.status)
