"""/api/v1/panels/: list (own and shared), create, edit, copy, share; shared panels stay read-only."""

from __future__ import annotations

import pytest

from personas.models import FollowEdge, Panel, PanelMember, PanelShare
from personas.services.population_jobs import population_job_execute
from simnet.tenancy.models import AuditEvent
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

PANELS = "/api/v1/panels/"


def shared_with_a(org_a, org_b, name: str = "Their voters") -> Panel:
    theirs = make_panel(org_b, size=3, name=name)
    PanelShare.objects.create(organization=org_b, panel=theirs, shared_with=org_a)
    return theirs


def test_the_list_shows_own_and_shared_panels_and_nothing_else(member_api, panel, org_a, org_b):
    shared = shared_with_a(org_a, org_b)
    make_panel(org_b, name="Private to B")
    rows = member_api.get(PANELS).json()["results"]
    assert {(row["name"], row["shared"], row["owner"]) for row in rows} == {
        ("API panel", False, org_a.slug),
        ("Their voters", True, org_b.slug),
    }
    mine = next(row for row in rows if row["id"] == panel.pk)
    assert mine["member_count"] == 4 and mine["kind"] == "custom"
    detail = member_api.get(f"{PANELS}{shared.pk}/").json()
    assert detail["shared"] is True and detail["shares"] == []  # who else it is shared with is B's business


def test_a_member_creates_renames_and_deletes_a_panel(member_api, org_a):
    created = member_api.post(
        PANELS, {"name": "  Launch audience ", "description": "Early adopters"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Launch audience" and body["member_count"] == 0 and body["shared"] is False
    renamed = member_api.patch(f"{PANELS}{body['id']}/", {"name": "Launch crowd"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Launch crowd"
    assert renamed.json()["description"] == "Early adopters"
    assert member_api.delete(f"{PANELS}{body['id']}/").status_code == 204
    assert not Panel.objects.for_org(org_a).exists()


def test_bad_input_is_a_field_error(member_api, org_a):
    blank = member_api.post(PANELS, {"name": "   "}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()["error"]["fields"]
    long = member_api.post(PANELS, {"name": "x" * 121}, format="json")
    assert long.status_code == 400 and "name" in long.json()["error"]["fields"]
    assert not Panel.objects.for_org(org_a).exists()


def test_a_viewer_reads_but_cannot_write(viewer_api, panel):
    assert viewer_api.get(f"{PANELS}{panel.pk}/").status_code == 200
    for response in (
        viewer_api.post(PANELS, {"name": "Mine"}, format="json"),
        viewer_api.patch(f"{PANELS}{panel.pk}/", {"name": "Renamed"}, format="json"),
        viewer_api.post(f"{PANELS}{panel.pk}/copy/", {}, format="json"),
        viewer_api.delete(f"{PANELS}{panel.pk}/"),
    ):
        assert response.status_code == 403, response.content
    assert Panel.objects.for_org(panel.organization).get().name == "API panel"


def test_a_panel_used_by_a_scenario_cannot_be_deleted(member_api, fake_scenario):
    refused = member_api.delete(f"{PANELS}{fake_scenario.panel_id}/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "panel_in_use"


def test_copy_makes_a_deep_copy_once_per_idempotency_key(member_api, panel, org_a):
    first = member_api.post(
        f"{PANELS}{panel.pk}/copy/", {"name": "Variant"}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    again = member_api.post(
        f"{PANELS}{panel.pk}/copy/", {"name": "Variant"}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    copy = Panel.objects.for_org(org_a).get(pk=first.json()["id"])
    assert Panel.objects.for_org(org_a).count() == 2 and copy.name == "Variant"
    assert PanelMember.objects.filter(panel=copy).count() == 4
    assert FollowEdge.objects.filter(panel=copy).count() == FollowEdge.objects.filter(panel=panel).count()
    default_name = member_api.post(f"{PANELS}{panel.pk}/copy/", {}, format="json").json()
    assert default_name["name"] == "Copy of API panel"


def test_a_shared_panel_is_copied_but_never_edited(member_api, admin_api, org_a, org_b):
    shared = shared_with_a(org_a, org_b)
    copied = member_api.post(f"{PANELS}{shared.pk}/copy/", {}, format="json")
    assert (
        copied.status_code == 201
        and copied.json()["owner"] == org_a.slug
        and copied.json()["member_count"] == 3
    )
    for response in (
        member_api.patch(f"{PANELS}{shared.pk}/", {"name": "Mine now"}, format="json"),
        member_api.put(f"{PANELS}{shared.pk}/", {"name": "Mine now"}, format="json"),
        member_api.delete(f"{PANELS}{shared.pk}/"),
        admin_api.post(f"{PANELS}{shared.pk}/share/", {"organization": org_a.slug}, format="json"),
    ):
        assert response.status_code == 404, response.content
    assert Panel.objects.for_org(org_b).get(pk=shared.pk).name == "Their voters"


def test_an_admin_shares_and_unshares_a_panel(admin_api, member_api, panel, org_a, org_b, token_client):
    refused = member_api.post(f"{PANELS}{panel.pk}/share/", {"organization": org_b.slug}, format="json")
    assert refused.status_code == 403
    shared = admin_api.post(f"{PANELS}{panel.pk}/share/", {"organization": org_b.slug}, format="json")
    assert shared.status_code == 200 and [s["organization"] for s in shared.json()["shares"]] == [org_b.slug]
    event = AuditEvent.objects.for_org(org_a).get(action="panel.shared")
    assert event.actor_token == admin_api.token
    their_view = token_client("viewer", org_b).get(f"{PANELS}{panel.pk}/")
    assert their_view.status_code == 200 and their_view.json()["shared"] is True

    unknown = admin_api.post(f"{PANELS}{panel.pk}/share/", {"organization": "no-such-org"}, format="json")
    assert unknown.status_code == 400 and "organization" in unknown.json()["error"]["fields"]
    unshared = admin_api.post(f"{PANELS}{panel.pk}/unshare/", {"organization": org_b.slug}, format="json")
    assert unshared.status_code == 200 and unshared.json()["shares"] == []
    assert token_client("viewer", org_b).get(f"{PANELS}{panel.pk}/").status_code == 404


def test_another_organizations_panel_is_a_404_for_every_action(token_client, panel, org_b):
    outsider = token_client("owner", org_b)
    for method, path in (("get", ""), ("patch", ""), ("put", ""), ("delete", ""), ("post", "copy/"),
                         ("post", "share/"), ("post", "unshare/")):  # fmt: skip
        response = getattr(outsider, method)(f"{PANELS}{panel.pk}/{path}", {"name": "x"}, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
    assert outsider.get(PANELS).json()["count"] == 0
    assert Panel.objects.for_org(panel.organization).get().name == "API panel"


def test_a_board_and_a_sampled_population_are_built(member_api, org_a):
    board = member_api.post(f"{PANELS}board/", {"name": "Board"}, format="json")
    assert board.status_code == 201, board.content
    assert board.json()["kind"] == "board" and board.json()["member_count"] == 7
    population = member_api.post(
        f"{PANELS}population/",
        {"n": 30, "seed": 7, "quotas": {"party": {"dem": 50, "rep": 50}}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="voters-30",
    )
    assert population.status_code == 202, population.content
    assert population.json()["status"] == "queued" and population.json()["total"] == 30
    population_job_execute(job_id=population.json()["id"])
    job = member_api.get(population.json()["url"]).json()
    assert job["status"] == "completed" and job["done"] == 30
    panel = member_api.get(f"{PANELS}{job['panel']}/").json()
    assert panel["kind"] == "population" and panel["member_count"] == 30
    negative_seed = member_api.post(f"{PANELS}population/", {"n": 5, "seed": -1}, format="json")
    assert negative_seed.status_code == 400 and "seed" in negative_seed.json()["error"]["fields"]
    bad_quota = member_api.post(f"{PANELS}population/", {"n": 5, "seed": 1, "quotas": {"shoe": {"x": 1}}},
                                format="json")  # fmt: skip
    assert bad_quota.status_code == 400 and "quotas" in bad_quota.json()["error"]["fields"]
    assert Panel.objects.for_org(org_a).count() == 2
