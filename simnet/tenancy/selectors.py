"""Reads for the organization pages; each takes the organization explicitly.

The one exception is ``invitation_get_by_token``: the invitation's secret is the
credential there, and it names its own organization.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404

from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.models import ApiToken, AuditEvent, Invitation, Membership, Organization
from simnet.tenancy.roles import Role
from simnet.tenancy.secrets import hash_token

User = get_user_model()

_ROLE_ORDER = Case(
    *(When(role=role, then=Value(-roles.rank(role))) for role in Role.values),
    output_field=IntegerField(),
)


def organization_get_for_user(*, user, organization_id) -> Organization:
    """An organization ``user`` belongs to; 404 for any other id (so ids reveal nothing)."""
    try:
        organization_id = int(organization_id)
    except (TypeError, ValueError):
        raise Http404("No organization found") from None
    return get_object_or_404(Organization, pk=organization_id, memberships__user=user)


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    """Members, highest role first, then by email."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by(_ROLE_ORDER, "user__email")
    )


def membership_get(*, organization: Organization, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"), organization=organization, pk=membership_id
    )


def membership_get_for_user(*, organization: Organization, user) -> Membership | None:
    return Membership.objects.filter(organization=organization, user=user).first()


def invitation_open_list(*, organization: Organization) -> QuerySet[Invitation]:
    """Invitations neither accepted nor revoked (expired ones included, so they can be cleaned up)."""
    return (
        Invitation.objects.for_org(organization)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_get(*, organization: Organization, invitation_id: int) -> Invitation:
    return get_for_org(Invitation.objects.select_related("organization"), organization, pk=invitation_id)


def invitation_get_by_token(*, raw_token: str) -> Invitation | None:
    return (
        Invitation.unscoped.select_related("organization", "invited_by")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )


def api_token_list(*, organization: Organization) -> QuerySet[ApiToken]:
    """Active tokens, newest first (revoked ones live on in the audit log)."""
    return (
        ApiToken.objects.for_org(organization)
        .filter(revoked_at__isnull=True)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def api_token_get(*, organization: Organization, token_id: int) -> ApiToken:
    return get_for_org(ApiToken.objects.select_related("organization"), organization, pk=token_id)


def audit_event_list(*, organization: Organization, action: str = "", actor=None) -> QuerySet[AuditEvent]:
    """The organization's audit log, newest first, optionally for one action and/or actor."""
    events = AuditEvent.objects.for_org(organization).order_by("-created_at", "-id")
    if action:
        events = events.filter(action=action)
    if actor is not None:
        events = events.filter(actor=actor)
    return events


def audit_actor_choices(*, organization: Organization) -> QuerySet:
    """People who can be picked in the audit log's actor filter: the current members."""
    return User.objects.filter(memberships__organization=organization).order_by("email")


# --- open streams (websocket, SSE) re-check their credential with these while they run --------

ACCESS_RECHECK_SECONDS = 2.0  # an open stream notices removal or revocation within about this
_READ_ROLES = [role for role in Role.values if roles.at_least(role, roles.READ)]


def membership_allows_read(*, user_id, organization_id) -> bool:
    """Whether this (active) user is still a member of the organization with a role that may read."""
    return Membership.objects.filter(
        user_id=user_id, user__is_active=True, organization_id=organization_id, role__in=_READ_ROLES
    ).exists()


def api_token_allows_read(*, token_id, organization_id) -> bool:
    """Whether this token of the organization is still unrevoked with a role that may read."""
    return ApiToken.objects.filter(
        organization_id=organization_id, pk=token_id, revoked_at__isnull=True, role__in=_READ_ROLES
    ).exists()
