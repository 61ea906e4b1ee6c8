"""Sign-up never reveals whether an email has an account.

Every valid sign-up gets the same redirect to the same "check your email" page and nobody
is signed in; the mailbox then gets either a confirmation link (new email: the account
stays inactive until it is followed) or a notice (taken email: nothing is created).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from simnet.tenancy.models import Membership, Organization, User
from simnet.tenancy.roles import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.signup import PASSWORD, signup_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def sign_up(client, django_capture_on_commit_callbacks):
    """POST the sign-up form; mails go out on commit, as in production."""

    def post(data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("signup"), data)

    return post


def confirm_path(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/signup/confirm/\S+)", body).group(1)


def test_a_new_and_a_taken_email_get_the_same_answer(client, sign_up, mailoutbox):
    UserFactory(email="taken@example.com")
    fresh = sign_up(signup_data(email="new@example.com"))
    taken = sign_up(signup_data(email="TAKEN@example.com", organization_name="Other"))
    assert (fresh.status_code, fresh.url) == (taken.status_code, taken.url) == (302, reverse("signup_sent"))
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("signup_sent")).content.decode()
    assert "Check your email" in page and "already exists" not in page

    to_new, to_taken = mailoutbox
    assert to_new.to == ["new@example.com"] and "/signup/confirm/" in to_new.body
    assert to_taken.to == ["taken@example.com"] and "/signup/confirm/" not in to_taken.body
    assert "already has one" in to_taken.body and reverse("password_reset") in to_taken.body
    assert not Organization.objects.filter(name="Other").exists()
    assert User.objects.filter(email="taken@example.com").get().check_password(DEFAULT_PASSWORD)


def test_a_weak_password_gets_the_same_error_whatever_the_email(client, sign_up):
    UserFactory(email="taken@example.com")
    pages = [
        sign_up(signup_data(email=email, password1="12345", password2="12345"))
        for email in ("taken@example.com", "new@example.com")
    ]
    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        text = page.content.decode()
        assert "This password is too short" in text and "already exists" not in text
    assert not User.objects.filter(email="new@example.com").exists()


def test_the_new_account_is_inactive_until_the_mailed_link_is_followed(client, sign_up, mailoutbox):
    sign_up(signup_data())
    user = User.objects.get(email="ada@example.com")
    assert not user.is_active
    assert Membership.objects.get(user=user, organization__name="Engines").role == Role.OWNER
    assert not client.login(username="ada@example.com", password=PASSWORD)  # not before confirming

    response = client.get(confirm_path(mailoutbox[0].body))
    assert response.status_code == 302 and response.url == reverse("home")
    assert int(client.session["_auth_user_id"]) == user.pk
    user.refresh_from_db()
    assert user.is_active


def test_a_confirmation_link_works_once(client, sign_up, mailoutbox):
    sign_up(signup_data())
    link = confirm_path(mailoutbox[0].body)
    client.get(link)
    client.logout()
    again = client.get(link, follow=True)
    assert "_auth_user_id" not in client.session
    assert "This confirmation link is not valid any more" in again.content.decode()


def test_a_tampered_link_is_refused(client, sign_up, mailoutbox):
    sign_up(signup_data())
    response = client.get(confirm_path(mailoutbox[0].body)[:-3] + "xx/", follow=True)
    assert "not valid any more" in response.content.decode() and "_auth_user_id" not in client.session
    assert not User.objects.get(email="ada@example.com").is_active


def test_the_link_continues_to_the_invitation_the_person_signed_up_for(client, sign_up, mailoutbox):
    next_url = reverse("invitation_accept", args=["inv_anything"])
    data = signup_data()
    del data["organization_name"]
    assert sign_up({**data, "next": next_url}).url == reverse("signup_sent")
    assert client.get(confirm_path(mailoutbox[0].body)).url == next_url


def test_an_offsite_next_is_not_followed_after_confirming(client, sign_up, mailoutbox):
    sign_up({**signup_data(), "next": "https://evil.example/"})
    assert client.get(confirm_path(mailoutbox[0].body)).url == reverse("home")


def test_signing_up_again_before_confirming_mails_the_link_again(client, sign_up, mailoutbox):
    sign_up(signup_data())
    again = sign_up(signup_data(password1="another-long-passphrase", password2="another-long-passphrase"))

    assert again.url == reverse("signup_sent")
    first, second = mailoutbox
    assert "/signup/confirm/" in first.body and "/signup/confirm/" in second.body
    client.get(confirm_path(second.body))
    user = User.objects.get(email="ada@example.com")
    assert user.is_active and user.check_password(PASSWORD)  # a second sign-up never changes the password
