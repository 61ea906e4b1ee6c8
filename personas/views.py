"""Panel and persona pages."""

from __future__ import annotations

from django.shortcuts import render

from simnet.tenancy.mixins import org_view

from . import selectors


@org_view()
def panel_list(request):
    panels = selectors.panel_list(organization=request.organization)
    return render(request, "personas/panel_list.html", {"nav": "panels", "panels": panels})


@org_view()
def panel_detail(request, panel_id: int):
    panel = selectors.panel_get(organization=request.organization, panel_id=panel_id)
    members = panel.memberships.select_related("persona").order_by("persona__handle")
    return render(request, "personas/panel_detail.html", {"nav": "panels", "panel": panel, "members": members})
