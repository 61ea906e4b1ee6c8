"""Template context: the current organization, the user's role and their other organizations."""

from __future__ import annotations


def organization(request):
    org = getattr(request, "organization", None)
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    others = []
    if org is not None and user is not None and user.is_authenticated:
        others = [m.organization for m in user.memberships.select_related("organization").order_by("organization__name")]
    return {"current_org": org, "current_membership": membership, "user_organizations": others}
