"""Panel pages: the list with the labelled demo panels, creating and editing custom panels, and the detail
page (members with search and filters, trait charts drawn by a static script, the follow-graph summary)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from personas.models import Panel, Persona
from personas.services.demo import BOARD_NAME, VOTERS_NAME
from tests.factories import PanelFactory, PanelMemberFactory

pytestmark = pytest.mark.django_db


def scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>", page)


def test_a_new_organization_adds_the_labelled_demo_panels_in_one_click(tenancy, member_client):
    empty = member_client.get(reverse("panel_list")).content.decode()
    assert "No panels yet." in empty and "Add the demo panels" in empty

    response = member_client.post(reverse("panel_demo"), follow=True)
    member_client.post(reverse("panel_demo"))

    page = response.content.decode()
    assert "Demo panels added" in page and "Add the demo panels" not in page
    assert page.count("demo data</span>") == 2
    demo = {p.name: p for p in Panel.objects.for_org(tenancy.org_a)}
    assert set(demo) == {VOTERS_NAME, BOARD_NAME} and all(p.is_demo for p in demo.values())
    detail = member_client.get(reverse("panel_detail", args=[demo[VOTERS_NAME].pk])).content.decode()
    assert (
        '<span class="badge badge-demo">demo data</span>' in detail
        and "Demo data: 50 personas sampled" in detail
    )


def test_viewers_see_panels_but_cannot_change_them(tenancy, viewer_client, population_panel):
    page = viewer_client.get(reverse("panel_list")).content.decode()
    assert "Voters" in page and "Sample a population" not in page and "Add the demo panels" not in page
    detail = viewer_client.get(reverse("panel_detail", args=[population_panel.pk])).content.decode()
    assert reverse("panel_edit", args=[population_panel.pk]) not in detail and "Copy this panel" not in detail
    for name in ("panel_demo", "panel_create", "panel_create_population", "panel_create_board"):
        assert viewer_client.post(reverse(name)).status_code == 403
    assert viewer_client.post(reverse("panel_delete", args=[population_panel.pk])).status_code == 403


def test_the_panel_list_costs_the_same_queries_for_many_panels(
    tenancy, member_client, django_assert_max_num_queries
):
    for _ in range(3):
        PanelMemberFactory(panel=PanelFactory(organization=tenancy.org_a))
    with django_assert_max_num_queries(12) as few:
        member_client.get(reverse("panel_list"))
    for _ in range(20):
        PanelMemberFactory(panel=PanelFactory(organization=tenancy.org_a))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = member_client.get(reverse("panel_list")).content.decode()
    assert page.count(">yours<") == 23


def test_a_custom_panel_is_created_edited_and_deleted(tenancy, member_client):
    missing = member_client.post(reverse("panel_create"), {"name": "", "description": "x"})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()

    response = member_client.post(reverse("panel_create"), {"name": "Focus group", "description": "Tuesday"})
    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert response["Location"] == reverse("panel_detail", args=[panel.pk]) and panel.kind == "custom"

    member_client.post(reverse("panel_edit", args=[panel.pk]), {"name": "Focus group B", "description": ""})
    panel.refresh_from_db()
    assert (panel.name, panel.description) == ("Focus group B", "")

    only_here = PanelMemberFactory(panel=panel).persona
    also_elsewhere = PanelMemberFactory(panel=panel).persona
    PanelMemberFactory(panel=PanelFactory(organization=tenancy.org_a), persona=also_elsewhere)
    assert member_client.get(reverse("panel_delete", args=[panel.pk])).status_code == 405
    response = member_client.post(reverse("panel_delete", args=[panel.pk]), follow=True)
    assert "Panel “Focus group B” deleted." in response.content.decode()
    assert not Persona.objects.for_org(tenancy.org_a).filter(pk=only_here.pk).exists()
    assert Persona.objects.for_org(tenancy.org_a).filter(pk=also_elsewhere.pk).exists()


def test_a_panel_used_by_a_scenario_is_not_deleted(tenancy, member_client, board_panel):
    from simulations.models import Scenario

    Scenario.objects.create(organization=tenancy.org_a, name="Review", panel=board_panel)

    page = member_client.post(reverse("panel_delete", args=[board_panel.pk]), follow=True).content.decode()

    assert "This panel is used by 1 simulation scenario; delete those first" in page
    assert Panel.objects.for_org(tenancy.org_a).filter(pk=board_panel.pk).exists()


def test_members_can_be_searched_and_filtered(tenancy, member_client, population_panel):
    url = reverse("panel_detail", args=[population_panel.pk])
    someone = population_panel.memberships.select_related("persona").order_by("pk").first().persona

    found = member_client.get(url, {"q": f"@{someone.handle}"}).content.decode()
    assert "1 matching" in found and f"@{someone.handle}</a>" in found

    democrats = member_client.get(url, {"trait": "party", "value": "Democrat"}).content.decode()
    assert "30 matching" in democrats and "Party: Democrat" in democrats
    assert "0 matching" in member_client.get(url, {"origin": "imported"}).content.decode()
    assert "60 matching" in member_client.get(url, {"origin": "sampled"}).content.decode()

    partial = member_client.get(url, {"q": someone.handle}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="members")
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="members"') and "<html" not in body and "<form" not in body


def test_members_are_paged(tenancy, member_client, population_panel):
    url = reverse("panel_detail", args=[population_panel.pk])

    first = member_client.get(url).content.decode()
    third = member_client.get(url, {"page": 3}).content.decode()

    assert "Page 1 of 3" in first and "Page 3 of 3" in third
    assert first.count('<td><a href="/panels/') == 25 and third.count('<td><a href="/panels/') == 10


def test_trait_charts_are_data_for_a_static_script_with_the_source_and_quota_beside_the_panel(
    member_client, population_panel
):
    page = member_client.get(reverse("panel_detail", args=[population_panel.pk])).content.decode()

    assert "Traits: this panel next to the source (tv16)" in page
    canvases = re.findall(r'<canvas data-trait-chart="(\d+)"', page)
    assert canvases == [str(i) for i in range(len(canvases))] and len(canvases) >= 9
    assert scripts(page)[-3:] == [
        '<script id="trait-charts" type="application/json">',
        '<script src="/static/vendor/chart.umd.min.js" defer>',
        '<script src="/static/js/panels.js" defer>',
    ]
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts(page)), "no inline script"
    party = page[page.index("<strong>Party</strong>") :]
    party = party[: party.index("</figure>")]
    assert '<th scope="col">Source</th><th scope="col">Quota</th>' in party
    assert re.search(r">Democrat</a></th>\s*<td>30</td><td>50.0%</td><td>38.5%</td><td>50.0%</td>", party)


def test_the_follow_graph_is_summarised(member_client, population_panel):
    page = member_client.get(reverse("panel_detail", args=[population_panel.pk])).content.decode()

    edges = population_panel.edges.count()
    assert edges > 0 and f"<dt>Follows</dt><dd>{edges:,}</dd>" in page
    assert "Follows within the same party" in page and "(chance: " in page


def test_a_board_lists_its_chair_first_with_roles(member_client, board_panel):
    page = member_client.get(reverse("panel_detail", args=[board_panel.pk])).content.decode()

    assert "Virtual board" in page and "7 members" in page
    rows = re.findall(r"<tr>\s*<td><a [^>]*>@(\w+)</a>( <span class=\"badge\">chair</span>)?", page)
    assert rows[0] == ("margaret_chen", ' <span class="badge">chair</span>') and len(rows) == 7
    assert "Chief Financial Officer" in page
    assert reverse("persona_create", args=[board_panel.pk]) in page


def test_a_board_counts_each_role_once(member_client, board_panel):
    page = member_client.get(reverse("panel_detail", args=[board_panel.pk])).content.decode()

    table = re.search(r"<th scope=\"col\">Role</th>.*?</tbody>", page, re.DOTALL).group(0)
    counts = re.findall(r"value=[^\"]*\">([^<]+)</a></th>\s*<td>(\d+)</td><td>([\d.]+)%</td>", table)
    assert len(counts) == 7 and all((count, share) == ("1", "14.3") for _, count, share in counts)
