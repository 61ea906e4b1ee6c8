"""Members page: listing, inviting, accepting, changing roles and removing, per role."""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import reverse

from simnet.tenancy.middleware import SESSION_KEY
from simnet.tenancy.models import Invitation, Membership
from simnet.tenancy.roles import Role
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def membership(org, user) -> Membership:
    return Membership.objects.get(organization=org, user=user)


@pytest.mark.parametrize(
    "client_name", ["owner_client", "org_admin_client", "member_client", "viewer_client"]
)
def test_members_page_lists_everyone_for_every_role(request, client_name, tenancy):
    page = request.getfixturevalue(client_name).get(reverse("member_list")).content.decode()
    for user in (tenancy.owner, tenancy.org_admin, tenancy.member, tenancy.viewer):
        assert user.email in page
    assert tenancy.outsider.email not in page


def test_only_managers_see_the_invite_form_and_pending_invitations(org_admin_client, member_client, org_a):
    InvitationFactory(organization=org_a, email="pending@example.com")
    admin_page = org_admin_client.get(reverse("member_list")).content.decode()
    assert "Send invitation" in admin_page and "pending@example.com" in admin_page
    member_page = member_client.get(reverse("member_list")).content.decode()
    assert "Send invitation" not in member_page and "pending@example.com" not in member_page


def test_admins_are_offered_roles_up_to_their_own(org_admin_client):
    page = org_admin_client.get(reverse("member_list")).content.decode()
    assert '<option value="admin"' in page and '<option value="owner"' not in page


def test_members_page_query_count_does_not_grow_with_members(
    owner_client, org_a, django_assert_max_num_queries
):
    for _ in range(15):
        Membership.objects.create(user=UserFactory(), organization=org_a, role=Role.MEMBER)
    with django_assert_max_num_queries(8):
        assert owner_client.get(reverse("member_list")).status_code == 200


def test_invite_accept_and_the_new_member_appears(
    org_admin_client, client_for, org_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin_client.post(
            reverse("member_invite"), {"email": "joiner@example.com", "role": "viewer"}
        )
    assert response.url == reverse("member_list")
    link = re.search(r"http\S+/invite/(\S+)/", mailoutbox[0].body)
    accept_path = reverse("invitation_accept", args=[link.group(1)])

    joiner_client = client_for(UserFactory(email="joiner@example.com"))
    page = joiner_client.get(accept_path).content.decode()
    assert "Organization A" in page and "Viewer" in page and "Accept and join" in page
    response = joiner_client.post(accept_path)
    assert response.url == reverse("home")
    assert joiner_client.session[SESSION_KEY] == org_a.pk
    assert "joiner@example.com" in org_admin_client.get(reverse("member_list")).content.decode()


def test_invite_over_htmx_returns_the_invitations_partial(org_admin_client, org_a):
    response = org_admin_client.post(
        reverse("member_invite"), {"email": "x@example.com", "role": "member"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="invitations">')
    assert "x@example.com" in body and "Invitation sent" in body and 'hx-swap-oob="innerHTML"' in body


def test_invite_of_an_existing_member_shows_a_form_error(org_admin_client, member):
    response = org_admin_client.post(reverse("member_invite"), {"email": member.email, "role": "member"})
    assert response.status_code == 200
    assert "is already a member" in response.content.decode()


def test_admin_inviting_an_owner_is_forbidden(org_admin_client, org_a):
    response = org_admin_client.post(reverse("member_invite"), {"email": "boss@example.com", "role": "owner"})
    assert response.status_code == 403
    assert "above yours" in response.content.decode()
    assert not Invitation.objects.for_org(org_a).exists()


@pytest.mark.parametrize("client_name", ["member_client", "viewer_client"])
def test_members_and_viewers_cannot_invite(request, client_name, org_a):
    response = request.getfixturevalue(client_name).post(
        reverse("member_invite"), {"email": "x@example.com", "role": "viewer"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.for_org(org_a).exists()


def test_revoke_an_invitation(org_admin_client, org_a):
    invitation = InvitationFactory(organization=org_a)
    response = org_admin_client.post(reverse("invitation_revoke", args=[invitation.pk]), headers=HTMX)
    assert response.status_code == 200 and "revoked" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_revoking_another_organizations_invitation_is_404(outsider_client, org_a):
    invitation = InvitationFactory(organization=org_a)
    assert outsider_client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404
    assert outsider_client.get(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404


@pytest.mark.parametrize(
    ("state", "message"),
    [("expired", "has expired"), ("revoked", "was revoked"), ("used", "already been used")],
)
def test_unusable_invitations_explain_themselves_and_change_nothing(client_for, org_a, state, message):
    from django.utils import timezone

    fields = {
        "expired": {"expires_at": timezone.now()},
        "revoked": {"revoked_at": timezone.now()},
        "used": {"accepted_at": timezone.now()},
    }[state]
    invitation = InvitationFactory(organization=org_a, email="late@example.com", **fields)
    client = client_for(UserFactory(email="late@example.com"))
    path = reverse("invitation_accept", args=[invitation.raw_token])
    page = client.get(path)
    assert page.status_code == 410 and message in page.content.decode()
    response = client.post(path)
    assert response.status_code == 410 and message in response.content.decode()
    assert not Membership.objects.filter(organization=org_a, user__email="late@example.com").exists()


def test_an_unknown_invitation_link_is_404(client):
    assert client.get(reverse("invitation_accept", args=["inv_nope"])).status_code == 404


def test_the_wrong_account_is_told_and_cannot_accept(member_client, org_b, member):
    invitation = InvitationFactory(organization=org_b, email="someone.else@example.com")
    path = reverse("invitation_accept", args=[invitation.raw_token])
    assert "this invitation is for another address" in member_client.get(path).content.decode()
    response = member_client.post(path)
    assert response.status_code == 403
    assert not Membership.objects.filter(organization=org_b, user=member).exists()


def test_anonymous_visitor_is_offered_sign_in_and_sign_up_with_next(client, org_a):
    invitation = InvitationFactory(organization=org_a, email="new@example.com")
    path = reverse("invitation_accept", args=[invitation.raw_token])
    page = client.get(path).content.decode()
    assert f"{reverse('login')}?next=" in page and f"{reverse('signup')}?next=" in page
    response = client.post(path)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_admin_changes_a_role_over_htmx(org_admin_client, org_a, member):
    target = membership(org_a, member)
    response = org_admin_client.post(
        reverse("member_role", args=[target.pk]), {"role": "admin"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="members">')
    assert membership(org_a, member).role == Role.ADMIN


def test_member_promoting_itself_is_forbidden(member_client, org_a, member):
    response = member_client.post(
        reverse("member_role", args=[membership(org_a, member).pk]), {"role": "owner"}
    )
    assert response.status_code == 403
    assert membership(org_a, member).role == Role.MEMBER


@pytest.mark.parametrize(
    ("target_name", "role", "message"),
    [
        ("org_admin", "owner", "raise your own role"),
        ("member", "owner", "Only an owner"),
        ("owner", "viewer", "Only an owner"),
    ],
)
def test_admin_escalations_are_forbidden_with_a_clear_message(
    org_admin_client, tenancy, target_name, role, message
):
    target = membership(tenancy.org_a, getattr(tenancy, target_name))
    before = target.role
    response = org_admin_client.post(reverse("member_role", args=[target.pk]), {"role": role})
    assert response.status_code == 403 and message in response.content.decode()
    target.refresh_from_db()
    assert target.role == before


def test_demoting_the_last_owner_is_refused_over_htmx(owner_client, org_a, owner):
    response = owner_client.post(
        reverse("member_role", args=[membership(org_a, owner).pk]), {"role": "admin"}, headers=HTMX
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"
    assert "last owner" in response.content.decode()
    assert membership(org_a, owner).role == Role.OWNER


def test_an_invalid_role_value_is_a_400(owner_client, org_a, member):
    response = owner_client.post(reverse("member_role", args=[membership(org_a, member).pk]), {"role": "god"})
    assert response.status_code == 400
    assert membership(org_a, member).role == Role.MEMBER


def test_admin_removes_a_member(org_admin_client, org_a, viewer):
    response = org_admin_client.post(reverse("member_remove", args=[membership(org_a, viewer).pk]))
    assert response.url == reverse("member_list")
    assert not Membership.objects.filter(organization=org_a, user=viewer).exists()


def test_member_cannot_remove(member_client, org_a, viewer):
    response = member_client.post(reverse("member_remove", args=[membership(org_a, viewer).pk]))
    assert response.status_code == 403
    assert Membership.objects.filter(organization=org_a, user=viewer).exists()


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
def test_another_organizations_membership_is_404(outsider_client, org_a, member, name):
    target = membership(org_a, member)
    assert outsider_client.post(reverse(name, args=[target.pk]), {"role": "viewer"}).status_code == 404
    assert membership(org_a, member).role == Role.MEMBER


def test_a_refused_accept_logs_its_path_only_with_the_secret_redacted(member_client, org_b, caplog):
    from simnet.logging_filters import RedactSecrets

    invitation = InvitationFactory(organization=org_b, email="someone.else@example.com")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        member_client.post(reverse("invitation_accept", args=[invitation.raw_token]))
    [record] = [r for r in caplog.records if r.name == "django.request"]
    RedactSecrets().filter(record)  # the filter settings.LOGGING puts on every handler
    assert invitation.raw_token not in record.getMessage()
    assert "/invite/inv_[redacted]/" in record.getMessage()
