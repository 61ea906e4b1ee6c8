"""Import pages."""

from __future__ import annotations

from django.shortcuts import render

from simnet.tenancy.mixins import org_view


@org_view()
def import_list(request):
    return render(request, "scraping/import_list.html", {"nav": "panels"})
