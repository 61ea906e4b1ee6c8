"""Project-level pages: the dashboard and the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from simnet.selectors import dashboard_for


@login_required
def home(request):
    if request.organization is None:
        return redirect("org_create")
    return render(request, "dashboard.html", {"nav": "home", **dashboard_for(request.organization)})


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    return render(request, "error_page.html", {"title": "Not allowed", "message": message}, status=403)


def not_found(request, exception=None):
    return render(
        request, "error_page.html", {"title": "Not found", "message": "There is nothing here."}, status=404
    )
