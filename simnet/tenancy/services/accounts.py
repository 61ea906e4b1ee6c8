"""Sign-up, organizations (create, settings, leave) and the sign-in audit trail."""

from __future__ import annotations

import secrets as _random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from simnet.tenancy import audit, roles
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Membership, Organization
from simnet.tenancy.roles import Role
from simnet.tenancy.services._rules import actor_membership, lock_organization, owner_count
from simnet.tenancy.services.tokens import tokens_of_member_revoke

User = get_user_model()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "org"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{_random.token_hex(3)}"
    return slug


def _validation_fields(error: ValidationError, default_field: str) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in errs[0].messages] for field, errs in error.error_dict.items()}
    return {default_field: list(error.messages)}


@transaction.atomic
def organization_create(*, name: str, owner, ip: str | None = None) -> Organization:
    """A new organization with ``owner`` as its first (owner) member."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the organization a name.", fields={"name": ["This field is required."]})
    organization = Organization.objects.create(
        name=name,
        slug=_unique_slug(name),
        monthly_budget_usd=Decimal(str(settings.SIMNET_DEFAULT_MONTHLY_BUDGET_USD)),
        max_concurrent_runs=settings.SIMNET_MAX_CONCURRENT_RUNS,
    )
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    audit.record(
        organization=organization, action=Actions.ORG_CREATED, actor=owner, target=organization, ip=ip
    )
    return organization


@transaction.atomic
def user_signup(
    *, email: str, password: str, name: str, organization_name: str, ip: str | None = None
) -> tuple[User, Organization | None]:
    """A new, active user and, unless ``organization_name`` is empty, their own organization.

    An empty organization name is for people who sign up to accept an invitation. The sign-up
    page uses ``user_signup_request`` instead, which never says whether an email is taken.
    """
    email = normalized_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise _duplicate_email()
    candidate = checked_candidate(email=email, name=name, password=password)
    return save_account(candidate, organization_name=organization_name, ip=ip)


def normalized_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email:
        raise ApplicationError("An email address is required.", fields={"email": ["This field is required."]})
    return email


def checked_candidate(*, email: str, name: str, password: str) -> User:
    """An unsaved user whose password passed the validators and is hashed."""
    first_name, _, last_name = (name or "").strip().partition(" ")
    candidate = User(email=email, first_name=first_name, last_name=last_name.strip())
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise ApplicationError(
            "Choose a stronger password.", fields={"password1": list(error.messages)}
        ) from None
    candidate.set_password(password)
    return candidate


def save_account(
    candidate: User, *, organization_name: str, ip: str | None
) -> tuple[User, Organization | None]:
    """Save ``candidate`` and create its organization (none for an empty name)."""
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:  # the same email signed up a moment ago
        raise _duplicate_email() from None
    organization = None
    if (organization_name or "").strip():
        organization = organization_create(name=organization_name, owner=candidate, ip=ip)
    return candidate, organization


DUPLICATE_EMAIL = "duplicate_email"


def _duplicate_email() -> ApplicationError:
    message = "An account with this email already exists. Sign in instead, or reset your password."
    return ApplicationError(message, code=DUPLICATE_EMAIL, fields={"email": [message]})


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor,
    name: str,
    monthly_budget_usd,
    max_concurrent_runs: int,
    ip: str | None = None,
) -> Organization:
    """Rename the organization or change its limits (admin and above)."""
    actor_membership(organization=organization, actor=actor, minimum=roles.MANAGE, action="change settings")
    organization = lock_organization(organization)
    new_values = {
        "name": (name or "").strip(),
        "monthly_budget_usd": monthly_budget_usd,
        "max_concurrent_runs": max_concurrent_runs,
    }
    changes = {
        field: [str(getattr(organization, field)), str(value)]
        for field, value in new_values.items()
        if str(getattr(organization, field)) != str(value)
    }
    for field, value in new_values.items():
        setattr(organization, field, value)
    try:
        organization.full_clean()
    except ValidationError as error:
        raise ApplicationError("Check the settings.", fields=_validation_fields(error, "name")) from None
    if changes:
        organization.save(update_fields=list(changes))
        audit.record(
            organization=organization,
            action=Actions.ORG_UPDATED,
            actor=actor,
            target=organization,
            detail={"changes": changes},
            ip=ip,
        )
    return organization


@transaction.atomic
def organization_leave(*, organization: Organization, user, ip: str | None = None) -> None:
    """Leave an organization, revoking the API tokens one created there.

    Its last owner cannot leave (make someone else owner first).
    """
    organization = lock_organization(organization)
    membership = actor_membership(organization=organization, actor=user, minimum=roles.READ, action="leave")
    if membership.role == Role.OWNER and owner_count(organization) == 1:
        raise ApplicationError(
            f"You are the last owner of {organization.name}. Make another member an owner before you leave.",
            code="last_owner",
        )
    membership.delete()
    tokens_of_member_revoke(organization=organization, user=user, actor=user, ip=ip)
    audit.record(
        organization=organization,
        action=Actions.MEMBER_LEFT,
        actor=user,
        target=user,
        detail={"role": membership.role},
        ip=ip,
    )


# --- sign-in events (called by signals.py) ---------------------------------------------------


def _record_for_each_organization(user, **event) -> None:
    organizations = Organization.objects.filter(memberships__user=user)
    for organization in organizations:
        audit.record(organization=organization, **event)


@transaction.atomic
def user_sign_in_record(*, user, ip: str | None) -> None:
    _record_for_each_organization(user, action=Actions.SIGN_IN, actor=user, ip=ip)


@transaction.atomic
def user_sign_out_record(*, user, ip: str | None) -> None:
    _record_for_each_organization(user, action=Actions.SIGN_OUT, actor=user, ip=ip)


@transaction.atomic
def user_sign_in_failed_record(*, email: str, ip: str | None) -> None:
    """A failed sign-in, in every organization of the account that email names (if any)."""
    email = (email or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        _record_for_each_organization(
            user, action=Actions.SIGN_IN_FAILED, target=user, detail={"email": email}, ip=ip
        )
