"""Feed-only settings (recommender, feed size, a stimulus's promotion) are hidden for a roundtable,
by CSS alone, and the form neither needs them nor trips over what their hidden inputs hold."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from simulations.models import Run, Scenario
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db
FEED_ONLY = ("id_recommender", "id_feed_size", "id_stimuli-0-boost")


@pytest.fixture
def panel(tenancy):
    return make_panel(tenancy.org_a, size=4, name="Board")


def _form(panel, **fields) -> dict:
    data = {
        "mode": "run", "name": "Budget rehearsal", "panel": panel.pk, "format": "roundtable",
        "agenda": "Approve the budget\nOpen a Berlin office", "steps": 6, "minutes_per_step": 30,
        "memory_tokens": 120, "provider": "", "seed": 7, "budget_usd": "", "replicates": 1,
        "stimuli-TOTAL_FORMS": 1, "stimuli-INITIAL_FORMS": 0, "stimuli-MIN_NUM_FORMS": 0,
        "stimuli-MAX_NUM_FORMS": 20, "stimuli-0-text": "", "stimuli-0-author": "", "stimuli-0-step": 0,
    }  # fmt: skip
    return {**data, **fields}


def _container_of(page: str, input_id: str) -> str:
    """The class of the nearest element wrapping the input's field group."""
    before = page[: page.index(f'id="{input_id}"')]
    return re.findall(r'<div class="([^"]*)">', before)[-1]


def test_a_roundtable_starts_without_feed_settings(member_client, panel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = member_client.post(reverse("scenario_create"), _form(panel))
    scenario = Scenario.objects.for_org(panel.organization).get()
    assert response.status_code == 302
    assert (scenario.format, scenario.recommender, scenario.feed_size) == ("roundtable", "mix", 5)
    assert scenario.agenda == ["Approve the budget", "Open a Berlin office"]
    assert Run.objects.filter(scenario=scenario).exists()


def test_a_hidden_feed_setting_left_invalid_does_not_block_a_roundtable(
    member_client, panel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = member_client.post(
            reverse("scenario_create"), _form(panel, feed_size=99, recommender="no-such")
        )
    assert response.status_code == 302
    assert Scenario.objects.for_org(panel.organization).get().feed_size == 5


def test_a_feed_still_needs_its_feed_size(member_client, panel):
    data = _form(panel, format="feed", agenda="", recommender="mix", **{"stimuli-0-text": "A new bike."})
    response = member_client.post(reverse("scenario_create"), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Scenario.objects.for_org(panel.organization).exists()


def test_feed_only_inputs_sit_in_containers_the_roundtable_hides(member_client, panel):
    page = member_client.get(reverse("scenario_create")).content.decode()
    for input_id in FEED_ONLY:
        assert "feed-only" in _container_of(page, input_id).split(), input_id
    assert "not-roundtable" in page.split('id="stimuli-0-forecast"')[0].rsplit("<div", 1)[1]
    css = (settings.BASE_DIR / "static" / "css" / "simnet.css").read_text()
    assert re.search(r'option:is\(\[value="roundtable"\], \[value="forum"\]\):checked\) \.feed-only', css)
    assert re.search(r'option\[value="roundtable"\]:checked\) \.not-roundtable \{ display: none; \}', css)
