"""Invitations: one-time secret links, emailed after commit, accepted once by the invited address."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from simnet.tenancy import audit, roles
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import Invitation, Membership, Organization
from simnet.tenancy.secrets import hash_token, new_token
from simnet.tenancy.services._rules import actor_membership, require_grantable

User = get_user_model()
logger = logging.getLogger(__name__)

INVITATION_PREFIX = "inv"


@transaction.atomic
def invitation_create(
    *, organization: Organization, actor, email: str, role: str, ip: str | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role``; emails the one-time accept link after commit.

    Returns the invitation and its raw secret (only the hash is stored). Should the mail
    server fail after the commit, the error surfaces and the invitation stays listed as
    pending, so an admin can revoke it and invite again.
    """
    acting = actor_membership(
        organization=organization, actor=actor, minimum=roles.MANAGE, action="invite members"
    )
    require_grantable(acting.role, role, "invite someone")
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            "Enter a valid email address.", fields={"email": ["Enter a valid email address."]}
        ) from None
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ApplicationError(
            f"{email} is already a member.", fields={"email": [f"{email} is already a member."]}
        )
    pending = Invitation.objects.for_org(organization).filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if pending.exists():
        message = f"{email} already has a pending invitation; revoke it to send a new one."
        raise ApplicationError(message, fields={"email": [message]})
    raw, token_hash = new_token(INVITATION_PREFIX)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=actor,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    audit.record(
        organization=organization,
        action=Actions.MEMBER_INVITED,
        actor=actor,
        target=invitation,
        detail={"email": email, "role": role},
        ip=ip,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, raw))
    return invitation, raw


def invitation_accept_url(raw_token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[raw_token])


def _send_invitation_email(invitation: Invitation, raw_token: str) -> None:
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "accept_url": invitation_accept_url(raw_token),
        "ttl_hours": settings.INVITATION_TTL_HOURS,
    }
    subject = render_to_string("tenancy/emails/invitation_subject.txt", context).strip()
    body = render_to_string("tenancy/emails/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
    logger.info("Invitation %s emailed for organization %s", invitation.pk, invitation.organization_id)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor, ip: str | None = None) -> Invitation:
    organization = invitation.organization
    actor_membership(
        organization=organization, actor=actor, minimum=roles.MANAGE, action="revoke invitations"
    )
    invitation = Invitation.objects.for_org(organization).select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ApplicationError("This invitation was already accepted; remove the member instead.")
    if invitation.revoked_at is not None:
        raise ApplicationError("This invitation was already revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        organization=organization,
        action=Actions.INVITE_REVOKED,
        actor=actor,
        target=invitation,
        detail={"email": invitation.email, "role": invitation.role},
        ip=ip,
    )
    return invitation


def invitation_problem(invitation: Invitation | None) -> ApplicationError | None:
    """Why this invitation cannot be accepted any more, or None if it still can."""
    if invitation is None:
        return ApplicationError("This invitation link is not valid.", code="invitation_invalid", status=404)
    org_name = invitation.organization.name
    if invitation.accepted_at is not None:
        return ApplicationError("This invitation has already been used.", code="invitation_used", status=410)
    if invitation.revoked_at is not None:
        message = f"This invitation was revoked. Ask an admin of {org_name} for a new one."
        return ApplicationError(message, code="invitation_revoked", status=410)
    if invitation.expires_at <= timezone.now():
        message = f"This invitation has expired. Ask an admin of {org_name} for a new one."
        return ApplicationError(message, code="invitation_expired", status=410)
    return None


@transaction.atomic
def invitation_accept(*, raw_token: str, user, ip: str | None = None) -> Membership:
    """Join the invitation's organization as ``user`` (whose email must be the invited one).

    The secret identifies the organization, so this is the one lookup not scoped by the caller.
    """
    invitation = (
        Invitation.unscoped.select_for_update()
        .select_related("organization")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )
    problem = invitation_problem(invitation)
    if problem is not None:
        raise problem
    organization = invitation.organization
    if user.email.lower() != invitation.email.lower():
        raise PermissionDeniedError(
            "This invitation was sent to a different email address. Sign in with that address to accept it."
        )
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ApplicationError(f"You are already a member of {organization.name}.", code="already_member")
    membership = Membership.objects.create(user=user, organization=organization, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        organization=organization,
        action=Actions.MEMBER_JOINED,
        actor=user,
        target=user,
        detail={"role": invitation.role, "invitation_id": invitation.pk},
        ip=ip,
    )
    return membership
