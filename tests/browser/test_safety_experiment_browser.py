"""A trust & safety experiment walked in Chromium against a real daphne + qcluster.

A platform's T&S team tests three feeds on the demo voters (each with a party): chronological with
no policy (the baseline), engagement ranking with a removal policy, and bridging ranking with
friction before hostile replies, two replicates each, played by the rule policy. The builder takes
each variant's ranking and policy, the worker runs the six runs, and the comparison page shows,
per variant, n, prevalence, the E-I index across parties, reach of the worst posts, engagement
lost, and harm per 10,000 actions with exact intervals or the rule-of-three bound. The run report
names the labeller. No console error may appear.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEATED = (
    "The council closed the Elm Street library. Whoever pushed this is a pathetic clown. "
    "You people never cared about our kids."
)


def _heat_up(panel) -> None:
    """Every voter online and quick to reply, and most interested in the library: the rule policy
    replies to the most relevant post naming its two longest words, "council pathetic" for the
    heated post, one harassment cue, so the runs have harm to count (and a policy to act on it)."""
    from personas.models import Persona

    for persona in Persona.objects.filter(panel_memberships__panel=panel):
        persona.interests = "library council kids"
        persona.activity_rate = 1.0
        persona.propensities = {**persona.propensities, "reply": 0.5}
        persona.save(update_fields=["interests", "activity_rate", "propensities"])


def test_three_feeds_compared_with_tail_risk(live_server_url, browser_page):
    from personas.services.demo import ensure_demo_panels
    from simnet.tenancy.roles import Role
    from simulations.models import Experiment, Run
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    page = browser_page
    organization = OrganizationFactory(name="Safety Lab")
    MembershipFactory(user=UserFactory(email="tns@example.com"), organization=organization, role=Role.OWNER)
    panel = ensure_demo_panels(organization=organization)["voters"]
    _heat_up(panel)
    sign_in(page, live_server_url, "tns@example.com")

    page.goto(f"{live_server_url}/experiments/new/?panel={panel.pk}")
    page.fill("#id_name", "Library thread")
    page.fill("#id_stimuli-0-text", HEATED)
    page.fill("#id_steps", "3")
    page.select_option("#id_policy", "rules")
    page.fill("#id_replicates", "2")
    page.fill("#id_variants-0-label", "chronological")
    page.select_option("#id_variants-0-recommender", "chronological")
    page.select_option("#id_variants-0-moderation_preset", "none")
    page.fill("#id_variants-1-label", "engagement + removal")
    page.select_option("#id_variants-1-recommender", "popularity")
    page.select_option("#id_variants-1-moderation_preset", "remove")
    page.click("button[name=add_row][value=variants]")
    page.wait_for_selector("#id_variants-2-label")
    page.fill("#id_variants-2-label", "bridging + friction")
    page.select_option("#id_variants-2-recommender", "bridging")
    page.select_option("#id_variants-2-moderation_preset", "friction")
    page.screenshot(path=str(ARTIFACTS / "safety-builder.png"), full_page=True)
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/experiments/\d+/$"), timeout=60_000)
    experiment_id = int(re.search(r"/experiments/(\d+)/$", page.url).group(1))
    experiment = Experiment.unscoped.get(pk=experiment_id)
    assert [v["overrides"] for v in experiment.variants] == [
        {"recommender": "chronological", "moderation": {"rules": [], "rate_limit": None}},
        {"recommender": "popularity", "moderation": {"rules": [{"action": "remove", "threshold": 0.5}]}},
        {
            "recommender": "bridging",
            "moderation": {"rules": [{"action": "friction", "threshold": 0.5, "abandon_share": 0.3}]},
        },
    ]
    assert Run.unscoped.filter(experiment_id=experiment_id).count() == 6

    page.goto(f"{live_server_url}/experiments/{experiment_id}/compare/")
    for _ in range(180):  # the worker takes 6 runs x 3 steps; the page is rebuilt from what is stored
        experiment.refresh_from_db()
        if experiment.status == "completed":
            break
        page.wait_for_timeout(1000)
    page.reload()
    section = page.locator("#safety-comparison")
    assert "Harm labelled by: simnet harm lexicon" in section.inner_text()
    rows = {
        r.get_attribute("data-variant"): r.inner_text()
        for r in page.locator("#safety-variants tbody tr").all()
    }
    assert set(rows) == {"chronological", "engagement + removal", "bridging + friction"}, rows
    for label, text in rows.items():
        cells = text.split("\t")
        assert cells[2].startswith("2 ("), cells  # n replicates and their actions
        assert "n=2" in cells[3] and "n=2" in cells[6], cells  # prevalence and worst reach with n
        if label != "chronological":
            assert "n=2" in cells[7] or cells[7] == "not enough data", cells  # engagement lost vs baseline
    assert rows["engagement + removal"].split("\t")[-1].startswith("remove ")  # the policy acted
    assert rows["bridging + friction"].split("\t")[-1].startswith("friction ")
    tail = page.inner_text("#safety-tail-risk")
    assert tail.count("per 10,000") >= 15, tail  # 5 rows x 3 variants: a rate with its interval, or a bound
    harassment = page.locator("#safety-tail-risk tbody tr").nth(1).inner_text()
    assert harassment.count("95% CI") == 3, harassment  # harm seen in every variant, with its exact interval
    assert "rule of three" in page.locator("#safety-tail-risk tbody tr").nth(0).inner_text()  # no threats
    page.screenshot(path=str(ARTIFACTS / "safety-compare.png"), full_page=True)

    run = Run.unscoped.filter(experiment_id=experiment_id, variant="engagement + removal").first()
    page.goto(f"{live_server_url}/simulations/{run.pk}/report/")
    assert "simnet harm lexicon (lexicon)" in page.inner_text("#safety-labeller")
    assert page.locator("#safety-rates tbody tr").count() == 5
    assert "remove:" in page.inner_text("#safety-interventions")  # the run's moderation events
    assert page.errors == []
