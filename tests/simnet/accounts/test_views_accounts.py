"""Sign-up, password reset, creating and switching organizations, settings and leaving."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from simnet.tenancy.audit import Actions
from simnet.tenancy.middleware import SESSION_KEY
from simnet.tenancy.models import AuditEvent, Membership, Organization, User
from simnet.tenancy.roles import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.signup import signup_data

pytestmark = pytest.mark.django_db


def test_signup_page_renders(client):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert 'name="organization_name"' in response.content.decode()


def test_signup_creates_everything_and_signs_in_from_the_mailed_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 302 and response.url == reverse("signup_sent")
    link = re.search(r"https?://[^/\s]+(/signup/confirm/\S+)", mailoutbox[0].body).group(1)
    assert client.get(link).url == reverse("home")
    user = User.objects.get(email="ada@example.com")
    org = Organization.objects.get(name="Engines")
    assert Membership.objects.get(user=user, organization=org).role == Role.OWNER
    assert int(client.session["_auth_user_id"]) == user.pk
    client.get(reverse("home"))
    assert client.session[SESSION_KEY] == org.pk
    assert AuditEvent.objects.for_org(org).filter(action=Actions.SIGN_IN, actor=user).exists()


def test_signup_with_a_taken_email_reveals_nothing_and_creates_nothing(client):
    UserFactory(email="ada@example.com")
    response = client.post(reverse("signup"), signup_data(email="ADA@example.com"))
    assert response.status_code == 302 and response.url == reverse("signup_sent")
    assert User.objects.count() == 1
    assert not Organization.objects.filter(name="Engines").exists()
    assert "_auth_user_id" not in client.session


def test_signup_with_different_passwords_is_refused(client):
    response = client.post(reverse("signup"), signup_data(password2="something-else-entirely"))
    assert "The two passwords differ" in response.content.decode()
    assert not User.objects.exists()


def test_signup_to_accept_an_invitation_asks_for_no_organization(client):
    next_url = reverse("invitation_accept", args=["inv_anything"])
    page = client.get(reverse("signup"), {"next": next_url, "email": "ada@example.com"}).content.decode()
    assert 'name="organization_name"' not in page
    assert 'value="ada@example.com"' in page
    data = signup_data()
    del data["organization_name"]
    response = client.post(reverse("signup"), {**data, "next": next_url})
    assert response.url == reverse("signup_sent")  # the mailed link continues to next_url
    assert not Membership.objects.filter(user__email="ada@example.com").exists()


def test_signup_ignores_an_offsite_next(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), {**signup_data(), "next": "https://evil.example/"})
    assert "evil.example" not in mailoutbox[0].body


def test_login_page_renders_with_reset_and_signup_links(client):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page and reverse("signup") in page


def test_password_reset_emails_a_working_link_built_from_site_url(client, mailoutbox, settings):
    settings.SITE_URL = "https://simnet.example"
    user = UserFactory(email="reset@example.com")
    response = client.post(reverse("password_reset"), {"email": "reset@example.com"})
    assert response.url == reverse("password_reset_done")
    [email] = mailoutbox
    link = re.search(r"https://simnet\.example(/password-reset/\S+/)", email.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "another-long-passphrase"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new)


def test_org_create_makes_the_user_owner_and_switches_to_it(member_client, member):
    response = member_client.post(reverse("org_create"), {"name": "Side Project"})
    assert response.url == reverse("home")
    org = Organization.objects.get(name="Side Project")
    assert Membership.objects.get(user=member, organization=org).role == Role.OWNER
    assert member_client.session[SESSION_KEY] == org.pk


def test_a_user_without_organization_is_sent_to_create_one(client_for):
    client = client_for(UserFactory())
    assert client.get(reverse("member_list")).url == reverse("org_create")
    assert client.get(reverse("org_create")).status_code == 200


def test_switch_to_an_own_organization(member_client, member, org_b):
    Membership.objects.create(user=member, organization=org_b, role=Role.VIEWER)
    response = member_client.post(reverse("org_switch"), {"organization": org_b.pk})
    assert response.url == reverse("home")
    assert member_client.session[SESSION_KEY] == org_b.pk


@pytest.mark.parametrize("value", ["foreign", "9999999", "abc", ""])
def test_switch_to_a_foreign_or_bogus_organization_is_404(member_client, org_a, org_b, value):
    organization = str(org_b.pk) if value == "foreign" else value
    response = member_client.post(reverse("org_switch"), {"organization": organization})
    assert response.status_code == 404
    assert member_client.session[SESSION_KEY] == org_a.pk


def test_switch_is_post_only(member_client, org_a):
    assert member_client.get(reverse("org_switch"), {"organization": org_a.pk}).status_code == 405


@pytest.mark.parametrize(
    "client_name", ["owner_client", "org_admin_client", "member_client", "viewer_client"]
)
def test_settings_page_renders_for_every_role(request, client_name):
    page = request.getfixturevalue(client_name).get(reverse("org_settings"))
    assert page.status_code == 200
    assert "Organization A" in page.content.decode()


def test_only_admins_see_the_save_button(org_admin_client, viewer_client):
    assert "Save settings" in org_admin_client.get(reverse("org_settings")).content.decode()
    viewer_page = viewer_client.get(reverse("org_settings")).content.decode()
    assert "Save settings" not in viewer_page and "disabled" in viewer_page


def test_admin_saves_settings(org_admin_client, org_a):
    data = {"name": "Renamed", "monthly_budget_usd": "75.50", "max_concurrent_runs": "3"}
    response = org_admin_client.post(reverse("org_settings"), data)
    assert response.url == reverse("org_settings")
    org_a.refresh_from_db()
    assert (org_a.name, str(org_a.monthly_budget_usd), org_a.max_concurrent_runs) == ("Renamed", "75.50", 3)


def test_invalid_settings_show_errors(org_admin_client, org_a):
    data = {"name": "Renamed", "monthly_budget_usd": "-1", "max_concurrent_runs": "0"}
    response = org_admin_client.post(reverse("org_settings"), data)
    assert response.status_code == 200
    org_a.refresh_from_db()
    assert org_a.name == "Organization A"


@pytest.mark.parametrize("client_name", ["viewer_client", "member_client"])
def test_viewer_and_member_cannot_save_settings(request, org_a, client_name):
    data = {"name": "Hijacked", "monthly_budget_usd": "1", "max_concurrent_runs": "1"}
    response = request.getfixturevalue(client_name).post(reverse("org_settings"), data)
    assert response.status_code == 403
    assert "needs admin" in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.name == "Organization A"


def test_htmx_permission_error_goes_to_the_message_area(viewer_client):
    data = {"name": "Hijacked", "monthly_budget_usd": "1", "max_concurrent_runs": "1"}
    response = viewer_client.post(reverse("org_settings"), data, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#messages"


def test_member_leaves(member_client, member, org_a):
    response = member_client.post(reverse("org_leave"))
    assert response.url == reverse("home")
    assert not Membership.objects.filter(user=member, organization=org_a).exists()
    assert SESSION_KEY not in member_client.session


def test_leaving_over_htmx_navigates_the_whole_page(member_client):
    response = member_client.post(reverse("org_leave"), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == reverse("home")


def test_last_owner_cannot_leave(owner_client, owner, org_a):
    response = owner_client.post(reverse("org_leave"))
    assert response.status_code == 400
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(user=owner, organization=org_a).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, tenancy):
    for name in ["org_settings", "member_list", "token_list", "audit_log", "org_create"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_sign_in_with_the_default_password_fixture(client, owner):
    assert client.login(username=owner.email, password=DEFAULT_PASSWORD)
