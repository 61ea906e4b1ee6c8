"""Audit log page: admins only, newest first, filterable, paginated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from simnet.accounts.views import AUDIT_PAGE_SIZE
from simnet.tenancy.audit import Actions
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("client_name", ["owner_client", "org_admin_client"])
def test_admins_and_owners_see_the_audit_log(request, client_name, org_a):
    AuditEventFactory(
        organization=org_a, action=Actions.TOKEN_CREATED, target_label="CI token", ip="10.1.2.3"
    )
    page = request.getfixturevalue(client_name).get(reverse("audit_log"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "token.created" in body and "CI token" in body and "10.1.2.3" in body


@pytest.mark.parametrize("client_name", ["member_client", "viewer_client"])
def test_members_and_viewers_are_refused(request, client_name):
    response = request.getfixturevalue(client_name).get(reverse("audit_log"))
    assert response.status_code == 403
    assert "needs admin" in response.content.decode()


def test_no_other_organizations_events(owner_client, org_b):
    AuditEventFactory(organization=org_b, action=Actions.PANEL_SHARED, target_label="Secret panel of B")
    assert "Secret panel of B" not in owner_client.get(reverse("audit_log")).content.decode()


def test_filter_by_action_and_actor(owner_client, org_a, member, viewer):
    AuditEventFactory(
        organization=org_a, action=Actions.RUN_STARTED, actor=member, target_label="run-by-member"
    )
    AuditEventFactory(
        organization=org_a, action=Actions.RUN_STARTED, actor=viewer, target_label="run-by-viewer"
    )
    AuditEventFactory(
        organization=org_a, action=Actions.RUN_CANCELLED, actor=member, target_label="cancel-by-member"
    )
    body = owner_client.get(
        reverse("audit_log"), {"action": Actions.RUN_STARTED, "actor": member.pk}
    ).content.decode()
    assert "run-by-member" in body
    assert "run-by-viewer" not in body and "cancel-by-member" not in body


def test_an_actor_from_another_organization_is_not_a_valid_filter(owner_client, org_a, outsider):
    AuditEventFactory(organization=org_a, target_label="visible-row")
    body = owner_client.get(reverse("audit_log"), {"actor": outsider.pk}).content.decode()
    assert "not valid" in body and "visible-row" not in body


def test_newest_first_and_paginated(owner_client, org_a, django_assert_max_num_queries):
    now = timezone.now()
    for minute in range(AUDIT_PAGE_SIZE + 5):
        AuditEventFactory(
            organization=org_a, target_label=f"event-{minute:03d}", created_at=now - timedelta(minutes=minute)
        )
    with django_assert_max_num_queries(8):
        first = owner_client.get(reverse("audit_log")).content.decode()
    assert first.index("event-000") < first.index("event-001")
    assert f"event-{AUDIT_PAGE_SIZE:03d}" not in first and "Older" in first
    second = owner_client.get(
        reverse("audit_log"), {"page": 2}, headers={"HX-Request": "true"}
    ).content.decode()
    assert second.lstrip().startswith('<section id="audit-results">')
    assert f"event-{AUDIT_PAGE_SIZE:03d}" in second and "event-000" not in second
