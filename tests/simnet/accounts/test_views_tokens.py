"""API & tokens page: the secret is shown once, never stored or shown again."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from simnet.tenancy.models import ApiToken
from simnet.tenancy.secrets import hash_token

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    "client_name", ["owner_client", "org_admin_client", "member_client", "viewer_client"]
)
def test_token_page_renders_for_every_role_with_a_curl_example(request, client_name, org_a, api_token_for):
    api_token_for(org_a, name="deploy bot")
    page = request.getfixturevalue(client_name).get(reverse("token_list")).content.decode()
    assert "deploy bot" in page
    assert 'curl -H "Authorization: Bearer snt_…" http://127.0.0.1:8000/api/v1/organization/' in page


def test_only_managers_see_create_and_revoke(org_admin_client, member_client, org_a, api_token_for):
    api_token_for(org_a)
    assert "Create token" in org_admin_client.get(reverse("token_list")).content.decode()
    member_page = member_client.get(reverse("token_list")).content.decode()
    assert "Create token" not in member_page and "Revoke" not in member_page


def test_create_shows_the_secret_once_and_stores_only_its_hash(
    org_admin_client, org_a, api_client_for, caplog
):
    caplog.set_level(logging.DEBUG)
    response = org_admin_client.post(reverse("token_create"), {"name": "CI", "role": "member"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    token = ApiToken.objects.for_org(org_a).get(name="CI")
    page = response.content.decode()
    raw = page.split('id="new-token-secret">')[1].split("<")[0]
    assert raw.startswith(token.prefix) and hash_token(raw) == token.token_hash
    assert f'curl -H "Authorization: Bearer {raw}"' in page
    assert raw not in org_admin_client.get(reverse("token_list")).content.decode()
    assert api_client_for(raw).get(reverse("api_organization")).status_code == 200
    assert raw not in caplog.text


def test_create_over_htmx_returns_the_tokens_partial(org_admin_client):
    response = org_admin_client.post(reverse("token_create"), {"name": "CI", "role": "viewer"}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="tokens">') and 'id="new-token-secret"' in body


def test_admin_cannot_create_an_owner_token(org_admin_client, org_a):
    response = org_admin_client.post(reverse("token_create"), {"name": "root", "role": "owner"})
    assert response.status_code == 403
    assert "above yours" in response.content.decode()
    assert not ApiToken.objects.for_org(org_a).exists()


@pytest.mark.parametrize("client_name", ["member_client", "viewer_client"])
def test_members_and_viewers_cannot_create_tokens(request, client_name, org_a):
    response = request.getfixturevalue(client_name).post(
        reverse("token_create"), {"name": "x", "role": "viewer"}
    )
    assert response.status_code == 403
    assert not ApiToken.objects.for_org(org_a).exists()


def test_a_blank_name_is_a_form_error(org_admin_client, org_a):
    response = org_admin_client.post(reverse("token_create"), {"name": "", "role": "viewer"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert 'id="new-token-secret"' not in response.content.decode()


def test_revoke_then_the_token_gets_401(org_admin_client, org_a, api_token_for, api_client_for):
    token = api_token_for(org_a)
    response = org_admin_client.post(reverse("token_revoke", args=[token.pk]), headers=HTMX)
    assert response.status_code == 200 and token.name not in response.content.decode().split("<tbody>")[1]
    assert api_client_for(token.raw_token).get(reverse("api_organization")).status_code == 401


def test_member_cannot_revoke(member_client, org_a, api_token_for):
    token = api_token_for(org_a)
    assert member_client.post(reverse("token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_another_organizations_token_is_404(outsider_client, org_a, api_token_for):
    token = api_token_for(org_a)
    assert outsider_client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
