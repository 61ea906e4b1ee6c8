"""The fail-closed tenant scoping: unscoped reads raise, scoped ones see only their rows."""

from __future__ import annotations

import pytest

from personas.models import Panel, PanelShare, Persona
from simnet.tenancy.models import Organization
from simnet.tenancy.scoping import UnscopedQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs():
    a = Organization.objects.create(name="A", slug="a")
    b = Organization.objects.create(name="B", slug="b")
    Panel.objects.create(organization=a, name="A's panel")
    Panel.objects.create(organization=b, name="B's panel")
    return a, b


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Panel.objects.all()),
        lambda: Panel.objects.filter(name="A's panel").first(),
        lambda: Panel.objects.count(),
        lambda: Panel.objects.exists(),
        lambda: Panel.objects.filter(name__startswith="A").update(name="x"),
        lambda: Panel.objects.all().delete(),
        lambda: Panel.objects.get(name="A's panel"),
    ],
)
def test_unscoped_queries_raise(two_orgs, query):
    with pytest.raises(UnscopedQuery):
        query()


def test_for_org_sees_only_its_rows(two_orgs):
    a, b = two_orgs
    assert [p.name for p in Panel.objects.for_org(a)] == ["A's panel"]
    assert Panel.objects.for_org(b).count() == 1


def test_parent_object_scopes_related_queries(two_orgs):
    a, _ = two_orgs
    panel = Panel.objects.for_org(a).get()
    persona = Persona.objects.create(organization=a, handle="ann")
    panel.memberships.create(organization=a, persona=persona)
    assert [m.persona.handle for m in panel.memberships.all()] == ["ann"]


def test_shared_panels_are_visible_to_the_receiving_org_only(two_orgs):
    a, b = two_orgs
    c = Organization.objects.create(name="C", slug="c")
    panel = Panel.objects.for_org(a).get()
    PanelShare.objects.create(organization=a, panel=panel, shared_with=b)
    assert {p.name for p in Panel.objects.visible_to(b)} == {"A's panel", "B's panel"}
    assert list(Panel.objects.visible_to(c)) == []


def test_for_org_none_is_refused(two_orgs):
    with pytest.raises(UnscopedQuery):
        Panel.objects.for_org(None)
