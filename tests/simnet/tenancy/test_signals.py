"""Sign-in, failed sign-in and sign-out reach the audit log, never with the password."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from simnet.tenancy.audit import Actions
from simnet.tenancy.models import AuditEvent
from simnet.tenancy.roles import Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def events(org, action):
    return list(AuditEvent.objects.for_org(org).filter(action=action))


def test_wrong_password_shows_a_clear_error_and_is_audited_in_each_organization(
    client, member, org_a, org_b, caplog
):
    MembershipFactory(user=member, organization=org_b, role=Role.VIEWER)
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-123"
    response = client.post(
        reverse("login"), {"username": "Member@A.example", "password": wrong}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 200
    assert "Wrong email or password" in response.content.decode()
    for org in (org_a, org_b):
        [event] = events(org, Actions.SIGN_IN_FAILED)
        assert (event.ip, event.target_label, event.detail) == (
            "203.0.113.7",
            str(member),
            {"email": "member@a.example"},
        )
        assert wrong not in str(event.detail)
    assert wrong not in caplog.text


def test_failed_sign_in_for_an_unknown_email_records_nothing(client, org_a):
    client.post(reverse("login"), {"username": "nobody@example.com", "password": "whatever-it-is"})
    assert events(org_a, Actions.SIGN_IN_FAILED) == []


def test_sign_in_and_out_are_audited(client, member, org_a, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post(reverse("login"), {"username": member.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    [signed_in] = events(org_a, Actions.SIGN_IN)
    assert (signed_in.actor, signed_in.ip) == (member, "127.0.0.1")
    client.post(reverse("logout"))
    assert [e.actor for e in events(org_a, Actions.SIGN_OUT)] == [member]
    assert DEFAULT_PASSWORD not in caplog.text
    assert all(DEFAULT_PASSWORD not in str(e.detail) for e in AuditEvent.objects.for_org(org_a))


def test_sign_in_works_with_any_email_case(client):
    UserFactory(email="case@example.com")
    response = client.post(reverse("login"), {"username": "CASE@Example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
