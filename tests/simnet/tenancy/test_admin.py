"""Django admin pages for tenancy models open (tenant tables are read unscoped there)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ApiTokenFactory, AuditEventFactory, InvitationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.simnet.tenancy.admin_urls")]


@pytest.mark.parametrize("model", ["user", "organization", "invitation", "apitoken", "auditevent"])
def test_changelists_and_change_pages_render(admin_client, tenancy, model):
    objects = {
        "user": tenancy.member,
        "organization": tenancy.org_a,
        "invitation": InvitationFactory(organization=tenancy.org_a),
        "apitoken": ApiTokenFactory(organization=tenancy.org_a),
        "auditevent": AuditEventFactory(organization=tenancy.org_a),
    }
    assert admin_client.get(reverse(f"admin:tenancy_{model}_changelist")).status_code == 200
    assert (
        admin_client.get(reverse(f"admin:tenancy_{model}_change", args=[objects[model].pk])).status_code
        == 200
    )


def test_add_user_page_asks_for_an_email(admin_client):
    page = admin_client.get(reverse("admin:tenancy_user_add")).content.decode()
    assert 'name="email"' in page
