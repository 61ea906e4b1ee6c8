"""The error pages every app shares (Django's handler403 and handler404)."""

from __future__ import annotations

from django.shortcuts import render


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    return render(request, "error_page.html", {"title": "Not allowed", "message": message}, status=403)


def not_found(request, exception=None):
    return render(
        request, "error_page.html", {"title": "Not found", "message": "There is nothing here."}, status=404
    )
