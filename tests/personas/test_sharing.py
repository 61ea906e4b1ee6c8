"""Sharing a panel with another organization: it can see, simulate and copy the panel, never edit it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from personas.models import FollowEdge, HistoryItem, Panel, PanelShare, Persona
from simnet.tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(tenancy, imported_panel, org_admin_client):
    """The imported panel of organization A with a follow edge, shared with B from the panel page."""
    from tests.factories import PanelMemberFactory

    extra = PanelMemberFactory(panel=imported_panel).persona
    maria = imported_panel.memberships.exclude(persona=extra).get().persona
    FollowEdge.objects.create(
        organization=tenancy.org_a, panel=imported_panel, follower=extra, followee=maria
    )
    response = org_admin_client.post(
        reverse("panel_share", args=[imported_panel.pk]), {"organization": "organization-b"}, follow=True
    )
    assert "Shared with organization-b" in response.content.decode()
    return imported_panel


def test_sharing_is_recorded_and_listed_on_the_panel(shared, tenancy, org_admin_client):
    assert PanelShare.objects.for_org(tenancy.org_a).get().shared_with == tenancy.org_b
    event = AuditEvent.objects.get(organization=tenancy.org_a, action="panel.shared")
    assert event.detail == {"shared_with": "organization-b"}
    page = org_admin_client.get(reverse("panel_detail", args=[shared.pk])).content.decode()
    assert "Share (1)" in page and "<code>organization-b</code>" in page and "Stop sharing" in page


def test_the_other_organization_sees_the_panel_read_only(shared, outsider_client):
    listing = outsider_client.get(reverse("panel_list")).content.decode()
    assert "Transit riders" in listing and "shared by Organization A" in listing

    page = outsider_client.get(reverse("panel_detail", args=[shared.pk])).content.decode()
    assert "shared by Organization A · read-only" in page
    assert "Start a simulation" in page and "Copy this panel" in page
    for edit_url in ("panel_edit", "panel_delete", "panel_share", "import_create"):
        assert reverse(edit_url, args=[shared.pk] if edit_url != "import_create" else []) not in page

    maria = Persona.objects.visible_to(shared.organization).get(handle="maria")
    persona_page = outsider_client.get(reverse("persona_detail", args=[shared.pk, maria.pk])).content.decode()
    assert "Persona card" in persona_page and "Remove from panel" not in persona_page


def test_the_other_organization_can_never_edit_it(shared, tenancy, outsider_client):
    maria = shared.memberships.get(persona__handle="maria").persona
    before = (shared.name, shared.memberships.count(), shared.edges.count(), maria.card)
    attempts = [
        ("panel_edit", [shared.pk], {"name": "Hijacked"}),
        ("panel_delete", [shared.pk], {}),
        ("panel_share", [shared.pk], {"organization": "organization-b"}),
        ("panel_unshare", [shared.pk], {"organization": "organization-b"}),
        ("persona_create", [shared.pk], {"handle": "intruder", "activity_rate": 0.5}),
        ("persona_edit", [shared.pk, maria.pk], {"handle": "renamed", "activity_rate": 0.5}),
        ("persona_remove", [shared.pk, maria.pk], {}),
    ]
    for name, args, data in attempts:
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(reverse(name, args=args), data)
            assert response.status_code == 404, (name, method, response.status_code)

    shared.refresh_from_db()
    maria.refresh_from_db()
    assert (shared.name, shared.memberships.count(), shared.edges.count(), maria.card) == before
    assert PanelShare.objects.for_org(tenancy.org_a).count() == 1


def test_the_services_refuse_edits_from_the_other_organization_too(shared, tenancy):
    from personas.services import panels as services
    from simnet.tenancy.errors import ApplicationError

    maria = shared.memberships.get(persona__handle="maria").persona
    calls = [
        lambda: services.panel_update(
            panel=shared, organization=tenancy.org_b, actor=tenancy.outsider, name="Hijacked"
        ),
        lambda: services.panel_delete(panel=shared, organization=tenancy.org_b, actor=tenancy.outsider),
        lambda: services.persona_remove(
            panel=shared, persona=maria, organization=tenancy.org_b, actor=tenancy.outsider
        ),
        lambda: services.panel_share(
            panel=shared,
            organization=tenancy.org_b,
            actor=tenancy.outsider,
            organization_slug="organization-b",
        ),
    ]
    for call in calls:
        with pytest.raises(ApplicationError) as caught:
            call()
        assert caught.value.status == 404
    assert Panel.objects.for_org(tenancy.org_a).get(pk=shared.pk).name == "Transit riders"


def test_the_other_organization_can_copy_it_with_its_history_and_edit_the_copy(
    shared, tenancy, outsider_client
):
    response = outsider_client.post(reverse("panel_copy", args=[shared.pk]), {"name": "Our riders"})

    copy = Panel.objects.for_org(tenancy.org_b).get()
    assert response.status_code == 302 and response["Location"] == reverse("panel_detail", args=[copy.pk])
    assert (copy.name, copy.kind, copy.memberships.count(), copy.edges.count()) == (
        "Our riders",
        "imported",
        2,
        1,
    )
    maria = copy.memberships.get(persona__handle="maria").persona
    assert (
        maria.organization_id == tenancy.org_b.pk and maria.source_account.organization_id == tenancy.org_b.pk
    )
    assert HistoryItem.objects.filter(account=maria.source_account).count() == 10
    assert HistoryItem.objects.filter(account=maria.source_account, held_out=True).count() == 2
    assert outsider_client.get(reverse("panel_edit", args=[copy.pk])).status_code == 200
    assert Panel.objects.for_org(tenancy.org_a).get(pk=shared.pk).memberships.count() == 2, (
        "the original is untouched"
    )


def test_the_other_organization_can_run_a_simulation_on_it(shared, tenancy):
    from simnet.providers.models import ProviderConfig
    from simulations.models import Run, RunAction, RunStatus
    from simulations.runs import stepper
    from simulations.runs.services import run_start
    from simulations.runs.worlds import run_personas
    from simulations.scenarios.services import scenario_create

    baseline = ProviderConfig.objects.create(organization=tenancy.org_b, name="rules", kind="baseline")
    scenario = scenario_create(
        organization=tenancy.org_b,
        actor=tenancy.outsider,
        panel=shared,
        name="Bus ad",
        steps=2,
        provider=baseline,
        stimuli=[{"text": "Ride the new express bus!"}],
    )
    [run] = run_start(organization=tenancy.org_b, actor=tenancy.outsider, scenario=scenario)
    for _ in range(10):
        stepper.advance(run_id=run.pk)
        run = Run.unscoped.get(pk=run.pk)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            break

    assert run.status == RunStatus.COMPLETED, run.status_reason
    assert run.organization_id == tenancy.org_b.pk
    assert {p["handle"] for p in run_personas(run)} >= {"maria"}
    assert RunAction.objects.filter(run=run).exists()


def test_unsharing_takes_it_back_but_copies_stay(shared, tenancy, org_admin_client, outsider_client):
    outsider_client.post(reverse("panel_copy", args=[shared.pk]))

    response = org_admin_client.post(
        reverse("panel_unshare", args=[shared.pk]), {"organization": "organization-b"}, follow=True
    )

    assert "No longer shared with organization-b." in response.content.decode()
    assert outsider_client.get(reverse("panel_detail", args=[shared.pk])).status_code == 404
    assert Panel.objects.for_org(tenancy.org_b).count() == 1
    assert AuditEvent.objects.filter(organization=tenancy.org_a, action="panel.unshared").exists()


def test_only_admins_share_and_mistakes_are_explained(
    imported_panel, tenancy, member_client, org_admin_client
):
    url = reverse("panel_share", args=[imported_panel.pk])
    assert member_client.post(url, {"organization": "organization-b"}).status_code == 403

    cases = [
        ({"organization": "no-such-org"}, "No organization has that identifier"),
        ({"organization": "organization-a"}, "The panel already belongs to this organization."),
        ({"organization": ""}, "Type the slug of the other organization."),
    ]
    for data, message in cases:
        page = org_admin_client.post(url, data, follow=True).content.decode()
        assert message in page, message
    assert not PanelShare.objects.for_org(tenancy.org_a).exists()
