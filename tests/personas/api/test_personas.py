"""/api/v1/personas/: the list with its filters, a persona's detail and its real history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personas.models import PanelShare, Persona
from tests.factories import HistoryItemFactory, PanelMemberFactory, PersonaFactory, SourceAccountFactory
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

PERSONAS = "/api/v1/personas/"


def handles(client, query: str = "") -> list[str]:
    response = client.get(f"{PERSONAS}{query}")
    assert response.status_code == 200, response.content
    return [row["handle"] for row in response.json()["results"]]


@pytest.fixture
def imported(org_a):
    """A persona built from an imported account with three real items, one held out."""
    account = SourceAccountFactory(organization=org_a, platform="bluesky", handle="maria.bsky.social")
    persona = PersonaFactory(
        organization=org_a, handle="maria", bio="Nurse and cyclist", origin="imported", source_account=account
    )
    PanelMemberFactory(panel=make_panel(org_a, size=0, name="Imported"), persona=persona)
    for day, kind, held_out in ((1, "post", False), (2, "reply", False), (3, "post", True)):
        HistoryItemFactory(
            account=account, kind=kind, held_out=held_out, text=f"{kind} on day {day}",
            created_at=datetime(2025, 5, day, tzinfo=UTC),
        )  # fmt: skip
    return Persona.objects.for_org(org_a).get(pk=persona.pk)


def test_the_list_filters_by_panel_origin_and_search(member_api, panel, imported):
    assert handles(member_api) == ["maria", "p0", "p1", "p2", "p3"]
    assert handles(member_api, f"?panel={panel.pk}") == ["p0", "p1", "p2", "p3"]
    assert handles(member_api, "?origin=imported") == ["maria"]
    assert handles(member_api, "?search=cyclist") == ["maria"]  # the bio
    assert handles(member_api, "?search=@MAR") == ["maria"]
    assert handles(member_api, f"?panel={panel.pk}&search=maria") == []
    for bad in ("?origin=alien", "?panel=first", "?panel=0"):
        refused = member_api.get(f"{PERSONAS}{bad}")
        assert refused.status_code == 400 and refused.json()["error"]["fields"], bad


def test_a_persona_shows_its_card_profile_and_source_account(viewer_api, imported):
    body = viewer_api.get(f"{PERSONAS}{imported.pk}/").json()
    assert body["handle"] == "maria" and body["origin"] == "imported" and body["card"]
    assert body["source_account"]["platform"] == "bluesky"
    assert body["source_account"]["handle"] == "maria.bsky.social"
    assert {"profile", "propensities", "traits", "interests"} <= set(body)


def test_history_is_newest_first_flags_held_out_items_and_filters_by_kind(viewer_api, imported):
    rows = viewer_api.get(f"{PERSONAS}{imported.pk}/history/").json()["results"]
    assert [(row["text"], row["held_out"]) for row in rows] == [
        ("post on day 3", True),
        ("reply on day 2", False),
        ("post on day 1", False),
    ]
    replies = viewer_api.get(f"{PERSONAS}{imported.pk}/history/?kind=reply").json()["results"]
    assert [row["text"] for row in replies] == ["reply on day 2"]
    assert viewer_api.get(f"{PERSONAS}{imported.pk}/history/?kind=shout").status_code == 400


def test_personas_of_a_shared_panel_are_readable(member_api, org_a, org_b):
    theirs = make_panel(org_b, size=2, name="Shared")
    assert handles(member_api, f"?panel={theirs.pk}") == []
    PanelShare.objects.create(organization=org_b, panel=theirs, shared_with=org_a)
    assert handles(member_api, f"?panel={theirs.pk}") == ["p0", "p1"]
    persona = Persona.objects.for_org(org_b).order_by("handle").first()
    assert member_api.get(f"{PERSONAS}{persona.pk}/").status_code == 200


def test_another_organizations_persona_is_a_404_and_never_listed(token_client, imported, org_b):
    outsider = token_client("owner", org_b)
    for path in ("", "history/"):
        for method in ("get", "post", "delete"):
            response = getattr(outsider, method)(f"{PERSONAS}{imported.pk}/{path}")
            assert response.status_code == 404, (method, path, response.status_code)
    assert handles(outsider) == [] and handles(outsider, "?search=maria") == []
