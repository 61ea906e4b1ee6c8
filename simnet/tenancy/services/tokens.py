"""Organization API tokens: created with a secret shown once, revoked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import audit, roles
from ..api_auth import TOKEN_PREFIX
from ..audit import Actions
from ..errors import ApplicationError
from ..models import ApiToken, Organization
from ..secrets import new_token
from ._rules import actor_membership, require_grantable

API_TOKEN_PREFIX_LENGTH = 12  # shown in lists to tell tokens apart; "snt_" + 8 random characters


@transaction.atomic
def api_token_create(
    *, organization: Organization, actor, name: str, role: str, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token; returns it with its raw secret, which is never stored or shown again."""
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
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        organization=organization,
        action=Actions.TOKEN_REVOKED,
        actor=actor,
        target=token,
        detail={"name": token.name, "prefix": token.prefix},
        ip=ip,
    )
    return token
