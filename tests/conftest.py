"""Fixtures shared by every test folder (the healthchecks ``BaseTestCase`` idea, as fixtures).

The cast, built by ``tenancy`` (each fixture below is one of its fields):

    org_a       organization A, where everything usually happens
    owner       owner of A
    org_admin   admin of A        (not ``admin_user``: pytest-django already uses that name)
    member      member of A
    viewer      viewer of A
    org_b       organization B
    outsider    owner of B, no membership in A: the "another organization gets 404" user

Clients:
    client_for(user, organization=None) -> django.test.Client signed in as ``user`` with
        ``organization`` (default: the user's first one) as the current organization.
    owner_client, org_admin_client, member_client, viewer_client, outsider_client: the same,
        ready-made.
API:
    api_token_for(organization, role="member", created_by=None, name=None) -> ApiToken whose raw
        secret is ``token.raw_token`` (only its hash is stored).
    api_client_for(raw_token) -> rest_framework.test.APIClient sending ``Authorization: Bearer``.

Every ``UserFactory`` user signs in with ``tests.factories.DEFAULT_PASSWORD``.

Django imports happen inside the fixtures so pure tests still run with ``-p no:django``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

# Fixtures every test area shares: runs on the counting fake provider, API token clients.
pytest_plugins = ["tests.support.runs", "tests.support.api"]


@dataclass(frozen=True)
class Tenancy:
    org_a: Any
    org_b: Any
    owner: Any
    org_admin: Any
    member: Any
    viewer: Any
    outsider: Any


@pytest.fixture
def tenancy(db) -> Tenancy:
    from simnet.tenancy.roles import Role
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    org_a = OrganizationFactory(name="Organization A", slug="organization-a")
    org_b = OrganizationFactory(name="Organization B", slug="organization-b")

    def person(email: str, organization, role: str):
        user = UserFactory(email=email)
        MembershipFactory(user=user, organization=organization, role=role)
        return user

    return Tenancy(
        org_a=org_a,
        org_b=org_b,
        owner=person("owner@a.example", org_a, Role.OWNER),
        org_admin=person("admin@a.example", org_a, Role.ADMIN),
        member=person("member@a.example", org_a, Role.MEMBER),
        viewer=person("viewer@a.example", org_a, Role.VIEWER),
        outsider=person("outsider@b.example", org_b, Role.OWNER),
    )


@pytest.fixture
def org_a(tenancy):
    return tenancy.org_a


@pytest.fixture
def org_b(tenancy):
    return tenancy.org_b


@pytest.fixture
def owner(tenancy):
    return tenancy.owner


@pytest.fixture
def org_admin(tenancy):
    return tenancy.org_admin


@pytest.fixture
def member(tenancy):
    return tenancy.member


@pytest.fixture
def viewer(tenancy):
    return tenancy.viewer


@pytest.fixture
def outsider(tenancy):
    return tenancy.outsider


@pytest.fixture
def client_for(db):
    from django.test import Client

    from simnet.tenancy.middleware import SESSION_KEY

    def make(user, organization=None) -> Client:
        client = Client()
        client.force_login(user)
        if organization is not None:
            session = client.session
            session[SESSION_KEY] = organization.pk
            session.save()
        return client

    return make


@pytest.fixture
def owner_client(client_for, owner, org_a):
    return client_for(owner, org_a)


@pytest.fixture
def org_admin_client(client_for, org_admin, org_a):
    return client_for(org_admin, org_a)


@pytest.fixture
def member_client(client_for, member, org_a):
    return client_for(member, org_a)


@pytest.fixture
def viewer_client(client_for, viewer, org_a):
    return client_for(viewer, org_a)


@pytest.fixture
def outsider_client(client_for, outsider, org_b):
    return client_for(outsider, org_b)


@pytest.fixture
def api_token_for(db):
    from tests.factories import ApiTokenFactory

    def make(organization, role: str = "member", created_by=None, name: str | None = None):
        extra = {"name": name} if name else {}
        return ApiTokenFactory(organization=organization, role=role, created_by=created_by, **extra)

    return make


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def make(raw_token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the shared (database) cache: start every database test clean."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("db" if "transactional_db" not in request.fixturenames else "transactional_db")
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _one_step_a_task(settings):
    """Tests drive runs a step at a time (``stepper.advance`` per step); the tests of the task
    slice itself set ``SIMNET_TASK_SLICE_S``."""
    settings.SIMNET_TASK_SLICE_S = 0


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Tests create and sign in users by the hundred; a slow hash proves nothing there."""
    settings.PASSWORD_HASHERS = ["tests.support.hashers.FewIterationsPBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items):
    """Browser and real-model tests start servers or load a model: ``-m "not slow"`` skips them too."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("offline_model"):
            item.add_marker(pytest.mark.slow)
