"""Organization API tokens: created with a secret shown once, revoked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from simnet.tenancy import audit, roles
from simnet.tenancy.api_auth import TOKEN_PREFIX
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import ApiToken, Organization
from simnet.tenancy.roles import Role, rank
from simnet.tenancy.secrets import new_token
from simnet.tenancy.services._rules import actor_membership, lock_organization, require_grantable

API_TOKEN_PREFIX_LENGTH = 12  # shown in lists to tell tokens apart; "snt_" + 8 random characters


@transaction.atomic
def api_token_create(
    *, organization: Organization, actor, name: str, role: str, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token; returns it with its raw secret, which is never stored or shown again."""
    organization = lock_organization(organization)  # a concurrent demotion cannot slip in between
    acting = actor_membership(
        organization=organization, actor=actor, minimum=roles.MANAGE, action="create tokens"
    )
    require_grantable(acting.role, role, "create a token")
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the token a name.", fields={"name": ["This field is required."]})
    raw, token_hash = new_token(TOKEN_PREFIX)
    token = ApiToken.objects.create(
        organization=organization,
        name=name,
        role=role,
        prefix=raw[:API_TOKEN_PREFIX_LENGTH],
        token_hash=token_hash,
        created_by=actor,
    )
    audit.record(
        organization=organization,
        action=Actions.TOKEN_CREATED,
        actor=actor,
        target=token,
        detail={"name": name, "role": role, "prefix": token.prefix},
        ip=ip,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, ip: str | None = None) -> ApiToken:
    organization = token.organization
    actor_membership(organization=organization, actor=actor, minimum=roles.MANAGE, action="revoke tokens")
    token = ApiToken.objects.for_org(organization).select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ApplicationError("This token was already revoked.")
    _revoke(token, actor=actor, ip=ip, detail={})
    return token


def tokens_of_member_revoke(*, organization: Organization, user, actor, ip: str | None = None) -> int:
    """Revoke the active tokens ``user`` created in ``organization`` (their membership ended).

    Called inside the membership service's transaction; returns how many were revoked.
    """
    tokens = list(_active_tokens_created_by(organization, user).select_for_update())
    for token in tokens:
        _revoke(token, actor=actor, ip=ip, detail={"reason": "creator no longer a member"})
    return len(tokens)


def _revoke(token: ApiToken, *, actor, ip: str | None, detail: dict) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        organization=token.organization,
        action=Actions.TOKEN_REVOKED,
        actor=actor,
        target=token,
        detail={"name": token.name, "prefix": token.prefix, **detail},
        ip=ip,
    )


def tokens_of_member_cap(*, organization: Organization, user, role: str) -> int:
    """Lower the tokens ``user`` created above ``role`` (their new role) to ``role``.

    A token never has more than its creator's current role. Returns how many changed.
    """
    above = [value for value in Role.values if rank(value) > rank(role)]
    return _active_tokens_created_by(organization, user).filter(role__in=above).update(role=role)


def _active_tokens_created_by(organization: Organization, user):
    return ApiToken.objects.for_org(organization).filter(created_by=user, revoked_at__isnull=True)
