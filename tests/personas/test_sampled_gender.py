"""A panel a person samples without naming a source comes from the 2016 CCES (tv16): every persona
has a gender and a place in its bio, and a run's report splits reactions by gender. ANES 1996 stays
selectable (and has no gender)."""

from __future__ import annotations

from collections import Counter

import pytest

from personas.models import Panel
from personas.services.population_jobs import population_job_execute
from simulations.analysis.records import ActionKind, ActionRecord, PersonaRecord, PostKind, PostRecord
from simulations.analysis.report import build_report
from simulations.insight.reports import report_segments
from simulations.runs.persistence import panel_snapshot

pytestmark = pytest.mark.django_db
PANELS = "/api/v1/panels/"


def _sampled(member_api, org_a, **body) -> Panel:
    response = member_api.post(f"{PANELS}population/", {"n": 40, "seed": 5, **body}, format="json")
    assert response.status_code == 202, response.content  # sampled by a background job
    job = population_job_execute(job_id=response.json()["id"])
    return Panel.objects.for_org(org_a).get(pk=job.panel_id)


def test_a_sampled_panel_defaults_to_cces_2016_with_gender_and_a_place_in_the_bio(member_api, org_a):
    panel = _sampled(member_api, org_a)

    personas = [m.persona for m in panel.memberships.select_related("persona")]
    assert panel.settings["source"] == "tv16" and panel.name == "40 sampled from tv16 (seed 5)"
    assert {p.sampler["source"] for p in personas} == {"tv16"}
    assert set(Counter(p.traits["gender"] for p in personas)) == {"female", "male"}
    for persona in personas:
        assert persona.bio.startswith(f"{persona.traits['gender']} · {persona.traits['age']} · ")
        assert persona.bio.endswith(f" · {persona.traits['state']}"), persona.bio
        assert f"gender: {persona.traits['gender']}" in persona.card


def test_gender_of_a_sampled_panel_becomes_a_report_segment(member_api, org_a):
    panel = _sampled(member_api, org_a)
    people = tuple(PersonaRecord(p.id, p.handle, dict(p.traits)) for p in panel_snapshot(panel).personas)
    stimulus = PostRecord("s", "brand", PostKind.POST, "A Peloton for the holidays.", 0, is_stimulus=True)
    posts, actions = [stimulus], []
    for n, person in enumerate(people):
        text = "Sexist and tone-deaf. Awful ad." if person.traits["gender"] == "female" else "Great gift!"
        posts.append(
            PostRecord(f"r{n}", person.persona_id, PostKind.REPLY, text, 1, parent_id="s", root_id="s")
        )
        actions.append(ActionRecord(1, person.persona_id, ActionKind.REPLY, "s", f"r{n}", text))

    assert "gender" in report_segments(people)
    report = build_report(posts, actions, people, segments=report_segments(people))

    by_gender = next(s for s in report.segments if s.trait_key == "gender")
    rows = {row.segment: row for row in by_gender.negativity}
    women = sum(p.traits["gender"] == "female" for p in people)
    assert (rows["female"].responses, rows["female"].negative) == (women, women)
    assert (rows["male"].responses, rows["male"].negative) == (len(people) - women, 0)


def test_anes96_is_still_selectable_and_has_no_gender(member_api, org_a):
    panel = _sampled(member_api, org_a, source="anes96")

    personas = [m.persona for m in panel.memberships.select_related("persona")]
    assert panel.settings["source"] == "anes96" and all("gender" not in p.traits for p in personas)
    assert all(p.bio.endswith(f" · {p.traits['community']}") for p in personas)
