"""Repeated failed sign-ins lock the email, and the client address, for LOGIN_LOCKOUT_SECONDS.

While locked even the right password is refused, with a message that says so; the lock
ends by itself. A few failures then the right password still signs in (positive control).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from simnet.tenancy import login_throttle
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_LOCKOUT_SECONDS = 900


@pytest.fixture
def person():
    return UserFactory(email="ada@example.com")


def sign_in(client, email, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, email, times, address="10.0.0.1"):
    for _ in range(times):
        assert sign_in(client, email, "wrong-password", address).status_code == 200


def test_a_few_failures_then_the_right_password_signs_in(client, person):
    fail(client, person.email, 4)
    response = sign_in(client, person.email, DEFAULT_PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_after_the_limit_even_the_right_password_fails_until_the_lock_expires(client, person, monkeypatch):
    fail(client, person.email, 5)
    refused = sign_in(client, person.email, DEFAULT_PASSWORD)
    assert refused.status_code == 200 and not signed_in(client)
    page = refused.content.decode()
    assert LOCKED in page and "try again in 15 minutes" in page

    later = login_throttle.clock() + 901
    monkeypatch.setattr(login_throttle, "clock", lambda: later)
    assert sign_in(client, person.email, DEFAULT_PASSWORD).status_code == 302 and signed_in(client)


def test_fifty_wrong_passwords_then_the_right_one_does_not_sign_in(client, person):
    fail(client, person.email, 50)
    assert sign_in(client, person.email, DEFAULT_PASSWORD).status_code == 200 and not signed_in(client)


def test_the_account_lock_holds_from_any_address(client, person):
    fail(client, person.email, 5, address="10.0.0.1")
    response = sign_in(client, person.email, DEFAULT_PASSWORD, address="192.0.2.44")
    assert LOCKED in response.content.decode() and not signed_in(client)


def test_an_address_guessing_many_accounts_is_locked_but_others_are_not(client, person):
    for number in range(20):
        sign_in(client, f"guess{number}@example.com", "wrong-password", address="10.0.0.66")
    assert LOCKED in sign_in(client, person.email, DEFAULT_PASSWORD, address="10.0.0.66").content.decode()
    assert not signed_in(client)
    assert sign_in(client, person.email, DEFAULT_PASSWORD, address="10.0.0.2").status_code == 302
    assert signed_in(client)


def test_a_lock_looks_the_same_whether_or_not_the_email_has_an_account(client, person):
    fail(client, person.email, 5)
    fail(client, "nobody@example.com", 5, address="10.0.0.9")
    known = sign_in(client, person.email, "wrong-password", address="10.0.0.3").content.decode()
    unknown = sign_in(client, "nobody@example.com", "wrong-password", address="10.0.0.3").content.decode()
    assert LOCKED in known and LOCKED in unknown


def test_a_success_forgets_the_accounts_earlier_failures(client, person):
    fail(client, person.email, 4)
    assert sign_in(client, person.email, DEFAULT_PASSWORD).status_code == 302
    client.logout()
    fail(client, person.email, 4)
    assert sign_in(client, person.email, DEFAULT_PASSWORD).status_code == 302
