"""Reads of personas and panels; always given the organization."""

from __future__ import annotations

from django.db.models import Count

from simnet.tenancy.access import get_for_org

from .models import Panel


def panel_list(*, organization):
    return Panel.objects.visible_to(organization).annotate(member_count=Count("memberships", distinct=True))


def panel_get(*, organization, panel_id: int) -> Panel:
    """A panel the organization owns or that was shared with it; 404 otherwise."""
    from django.http import Http404

    panel = Panel.objects.visible_to(organization).filter(pk=panel_id).first()
    if panel is None:
        raise Http404("No panel found")
    return panel


def panel_owned(*, organization, panel_id: int) -> Panel:
    """A panel the organization owns (for edits); 404 otherwise, shared ones included."""
    return get_for_org(Panel.objects, organization, pk=panel_id)
