"""Bearer tokens authenticate API calls for their own organization only."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from simnet.tenancy import services
from simnet.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_a_created_token_authenticates_for_its_organization(org_a, org_admin, api_client_for, caplog):
    caplog.set_level(logging.DEBUG)
    token, raw = services.api_token_create(organization=org_a, actor=org_admin, name="ci", role=Role.VIEWER)
    response = api_client_for(raw).get(reverse("api_organization"))
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["role"]) == ("Organization A", "viewer")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert raw not in caplog.text


def test_a_revoked_token_gets_401(org_a, owner, api_token_for, api_client_for):
    token = api_token_for(org_a)
    services.api_token_revoke(token=token, actor=owner)
    response = api_client_for(token.raw_token).get(reverse("api_organization"))
    assert response.status_code == 401


def test_an_unknown_token_gets_401(api_client_for, tenancy):
    assert api_client_for("snt_not-a-real-token").get(reverse("api_organization")).status_code == 401


def test_a_token_of_organization_b_never_sees_organization_a(org_b, api_token_for, api_client_for):
    token = api_token_for(org_b, role=Role.OWNER)
    body = api_client_for(token.raw_token).get(reverse("api_organization")).json()
    assert (body["name"], body["slug"]) == ("Organization B", "organization-b")
