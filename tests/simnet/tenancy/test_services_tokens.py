"""API tokens: created hashed with a visible prefix, roles capped by the creator's, revoked."""

from __future__ import annotations

import json

import pytest

from simnet.tenancy import services
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import ApiToken, AuditEvent
from simnet.tenancy.roles import Role
from simnet.tenancy.secrets import hash_token

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_with_a_prefix_and_audited_without_its_secret(org_a, org_admin):
    token, raw = services.api_token_create(organization=org_a, actor=org_admin, name=" CI ", role=Role.MEMBER)
    assert raw.startswith("snt_") and len(raw) > 40
    stored = ApiToken.objects.for_org(org_a).get(pk=token.pk)
    assert stored.token_hash == hash_token(raw)
    assert stored.prefix == raw[:12]
    assert (stored.name, stored.created_by) == ("CI", org_admin)
    assert raw not in {
        getattr(stored, f.attname)
        for f in ApiToken._meta.fields
        if isinstance(getattr(stored, f.attname), str)
    }
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.TOKEN_CREATED)
    serialized = json.dumps(event.detail) + event.target_label + event.actor_label
    assert raw not in serialized
    assert event.detail == {"name": "CI", "role": "member", "prefix": raw[:12]}


@pytest.mark.parametrize(
    ("actor_name", "role"), [("org_admin", Role.OWNER), ("member", Role.MEMBER), ("viewer", Role.VIEWER)]
)
def test_tokens_never_exceed_the_creator_and_need_admin(tenancy, actor_name, role):
    with pytest.raises(PermissionDeniedError):
        services.api_token_create(
            organization=tenancy.org_a, actor=getattr(tenancy, actor_name), name="t", role=role
        )
    assert not ApiToken.objects.for_org(tenancy.org_a).exists()


def test_owner_may_create_an_owner_token(org_a, owner):
    token, _ = services.api_token_create(organization=org_a, actor=owner, name="root", role=Role.OWNER)
    assert token.role == Role.OWNER


def test_a_token_needs_a_name(org_a, owner):
    with pytest.raises(ApplicationError, match="name"):
        services.api_token_create(organization=org_a, actor=owner, name=" ", role=Role.VIEWER)


def test_revoke_marks_the_token_and_audits(org_a, org_admin, api_token_for):
    token = api_token_for(org_a)
    services.api_token_revoke(token=token, actor=org_admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert (
        AuditEvent.objects.for_org(org_a).get(action=Actions.TOKEN_REVOKED).detail["prefix"] == token.prefix
    )
    with pytest.raises(ApplicationError, match="already revoked"):
        services.api_token_revoke(token=token, actor=org_admin)


def test_member_cannot_revoke(org_a, member, api_token_for):
    token = api_token_for(org_a)
    with pytest.raises(PermissionDeniedError):
        services.api_token_revoke(token=token, actor=member)
    token.refresh_from_db()
    assert token.revoked_at is None
