"""Sampling a population and building a board from the pages."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from personas.models import Panel, PopulationJob
from personas.services.population_jobs import population_job_execute

pytestmark = pytest.mark.django_db

POPULATION = {
    "name": "",
    "description": "",
    "source": "anes96",
    "n": 1000,
    "seed": 21,
    "avg_following": 10,
    "homophily": 0.7,
}
# anes96 categories in order: party Democrat, Independent, Republican; age_group 18-29, 30-44, 45-64, 65+
QUOTAS = {
    "quota__party__0": 45,
    "quota__party__1": 10,
    "quota__party__2": 45,
    "quota__age_group__0": 30,
    "quota__age_group__1": 30,
    "quota__age_group__2": 25,
    "quota__age_group__3": 15,
}
TARGETS = {
    "party": {"Democrat": 0.45, "Independent": 0.10, "Republican": 0.45},
    "age_group": {"18-29": 0.30, "30-44": 0.30, "45-64": 0.25, "65+": 0.15},
}


def board_form(mode: str, **data) -> dict:
    management = {
        "members-TOTAL_FORMS": 7,
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 25,
    }
    return {"name": "Board", "description": "", "mode": mode, "bios": "", **management, **data}


def test_the_population_form_offers_cces_2016_with_gender_first_and_anes96_on_request(member_client):
    page = member_client.get(reverse("panel_create_population")).content.decode()
    assert '<option value="tv16" selected>Cooperative Congressional Election Study 2016' in page
    assert '<option value="anes96">American National Election Study 1996' in page
    assert 'name="quota__party__0"' in page and 'Democrat <small class="muted">source 38%</small>' in page
    assert "<summary>gender</summary>" in page and "<summary>region</summary>" in page
    assert "mirrors the source on age_group, gender, education, income, party, ideology, region." in page

    other = member_client.get(
        reverse("panel_create_population"), {"source": "anes96"}, HTTP_HX_REQUEST="true"
    )
    body = other.content.decode()
    assert body.lstrip().startswith('<section id="quotas">')
    assert (
        'Democrat <small class="muted">source 40%</small>' in body and "<summary>gender</summary>" not in body
    )


def test_a_sampled_population_of_1000_meets_its_quotas_within_two_points(tenancy, member_client):
    response = member_client.post(reverse("panel_create_population"), {**POPULATION, **QUOTAS})

    job = PopulationJob.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and response["Location"] == reverse("population_job", args=[job.pk])
    assert not Panel.objects.for_org(tenancy.org_a).exists()  # sampled by the worker, not the request
    population_job_execute(job_id=job.pk)
    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert panel.name == "1,000 sampled from anes96 (seed 21)" and panel.memberships.count() == 1000
    for trait, targets in TARGETS.items():
        counts = Counter(panel.memberships.values_list(f"persona__traits__{trait}", flat=True))
        for category, target in targets.items():
            assert abs(counts[category] / 1000 - target) <= 0.02, (trait, category, counts[category])
    assert panel.edges.count() > 0

    page = member_client.get(reverse("panel_detail", args=[panel.pk])).content.decode()
    assert "Traits: this panel next to the source (anes96)" in page and '<th scope="col">Quota</th>' in page


def test_quotas_that_cannot_be_met_come_back_on_the_form(tenancy, member_client):
    response = member_client.post(
        reverse("panel_create_population"), {**POPULATION, "quota__party__0": 80, "quota__party__1": 80}
    )

    assert response.status_code == 400
    assert "party: shares add up to 160%, not 100%" in response.content.decode()
    assert not Panel.objects.for_org(tenancy.org_a).exists()


def test_the_ready_board_has_seven_members(tenancy, member_client):
    response = member_client.post(reverse("panel_create_board"), board_form("default"))

    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and panel.kind == "board"
    assert panel.memberships.count() == 7 and panel.memberships.filter(is_chair=True).count() == 1


def test_a_board_of_seven_from_the_form(tenancy, member_client):
    rows = {}
    for i, (name, role) in enumerate(
        [
            ("Ana", "Chair"),
            ("Bo", "CFO"),
            ("Cy", "CTO"),
            ("Di", "Counsel"),
            ("Ed", "Sales"),
            ("Flo", "Investor"),
            ("Gus", "Employee rep"),
        ]
    ):
        rows.update(
            {
                f"members-{i}-name": name,
                f"members-{i}-role": role,
                f"members-{i}-priorities": "growth; focus",
                f"members-{i}-speaking_style": "short",
            }
        )
    rows["members-0-is_chair"] = "on"
    rows["members-1-objections"] = "cost overruns, vague plans"

    response = member_client.post(reverse("panel_create_board"), board_form("form", **rows))

    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302
    members = {m.persona.display_name: m for m in panel.memberships.select_related("persona")}
    assert len(members) == 7 and members["Ana"].is_chair and members["Gus"].role == "Employee rep"
    assert members["Bo"].persona.traits["objections"] == ["cost overruns", "vague plans"]
    assert all(0 < m.persona.card_tokens <= 500 for m in members.values())


def test_a_board_of_seven_from_pasted_bios(tenancy, member_client):
    from tests.personas.test_commands import SEVEN_BIOS

    response = member_client.post(reverse("panel_create_board"), board_form("bios", bios=SEVEN_BIOS))

    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and panel.memberships.count() == 7
    assert panel.memberships.get(is_chair=True).persona.display_name == "Ada Obi"


@pytest.mark.parametrize(
    ("mode", "data", "message"),
    [
        ("form", {"members-0-name": "Ana"}, "Give this member a role."),
        ("form", {}, "A board has between 2 and 25 members; this one has 0."),
        ("bios", {"bios": "Ana — CEO\n\nAna — CFO"}, "block 2: Ana already appears in block 1"),
        ("bios", {"bios": "Just a sentence"}, "the first line must be"),
    ],
)
def test_board_mistakes_come_back_on_the_form(mode, data, message, tenancy, member_client):
    response = member_client.post(reverse("panel_create_board"), board_form(mode, **data))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Panel.objects.for_org(tenancy.org_a).exists()
