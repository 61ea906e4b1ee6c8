"""Derive the current organization from the session (never from request data)."""

from __future__ import annotations

from simnet.tenancy.models import Membership

SESSION_KEY = "simnet_org_id"


def membership_for_session(request) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=user)
    wanted = request.session.get(SESSION_KEY)
    chosen = memberships.filter(organization_id=wanted).first() if wanted else None
    chosen = chosen or memberships.order_by("created_at", "id").first()
    if chosen is not None and chosen.organization_id != wanted:
        request.session[SESSION_KEY] = chosen.organization_id
    return chosen


class CurrentOrganizationMiddleware:
    """Sets ``request.membership`` and ``request.organization`` for signed-in users (else None).

    API requests authenticated by token get theirs from the DRF authentication class instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = membership_for_session(request)
        request.membership = membership
        request.organization = membership.organization if membership else None
        return self.get_response(request)
