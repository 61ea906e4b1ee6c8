"""The experiment builder: A is the control (the post as written), one more variant is enough, and
the "Fix these" list names every error and only appears when there is one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from simulations.models import Experiment
from tests.simulations.scenarios.test_builder import HTMX, _form
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

POST = "The gift that changes everything."


@pytest.fixture
def panel(tenancy):
    return make_panel(tenancy.org_a, size=4, name="Voters")


def _experiment(panel, rows: list[tuple[str, str]], **overrides) -> dict:
    data = _form(
        panel, **{"mode": "experiment", "experiment_name": "Tone test", "replicates": 2, **overrides}
    )
    data.update({"variants-TOTAL_FORMS": len(rows), "variants-INITIAL_FORMS": 0})
    for i, (label, text) in enumerate(rows):
        data.update({f"variants-{i}-label": label, f"variants-{i}-stimulus_text": text})
    return data


def _fix_these(html: str) -> list[str]:
    box = re.search(r'id="fix-these">Fix these to get an estimate:\s*<ul>(.*?)</ul>', html, re.DOTALL)
    return re.findall(r"<li>(.*?)</li>", box.group(1)) if box else []


def test_variant_a_is_the_control_and_is_prefilled_with_the_post(member_client, panel):
    first = member_client.get(reverse("experiment_create")).content.decode()
    assert "<strong>Control</strong>: the post as written" in first
    assert 'placeholder="The post above, as written"' in first
    data = {**_experiment(panel, [("A", ""), ("B", "Bold version")]), "estimate": "1"}
    html = member_client.post(reverse("experiment_create"), data).content.decode()
    control = re.search(
        r'<textarea name="variants-0-stimulus_text"[^>]*>\s*(.*?)</textarea>', html, re.DOTALL
    )
    assert control.group(1).strip() == POST


def test_one_filled_variant_besides_the_control_is_enough_for_the_estimate(member_client, panel):
    rows = [("A", ""), ("B", "Bold version"), ("C", "")]  # C added but left empty: skipped
    html = member_client.post(reverse("scenario_estimate"), _experiment(panel, rows), **HTMX).content.decode()
    assert "For 4 runs" in html and not _fix_these(html)  # 2 variants x 2 replicates


def test_starting_with_a_blank_control_runs_the_post_as_written(
    member_client, panel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        member_client.post(
            reverse("experiment_create"), _experiment(panel, [("A", ""), ("B", "Bold"), ("C", "")])
        )
    experiment = Experiment.objects.for_org(panel.organization).get()
    assert [(v["label"], v["stimulus_text"]) for v in experiment.variants] == [("A", POST), ("B", "Bold")]
    assert experiment.runs.count() == 4


def test_without_a_variant_besides_the_control_the_list_says_so(member_client, panel):
    html = member_client.post(
        reverse("scenario_estimate"), _experiment(panel, [("A", ""), ("B", "")]), **HTMX
    ).content.decode()
    assert _fix_these(html) == [
        "Give at least one variant besides the control (A) its own text, ranking or content policy."
    ]


def test_the_list_names_every_error_where_it_is(member_client, panel):
    data = _experiment(panel, [("A", ""), ("", "Bold version")], steps=0, replicates=1)
    html = member_client.post(reverse("scenario_estimate"), data, **HTMX).content.decode()
    assert _fix_these(html) == [
        "Steps: Ensure this value is greater than or equal to 1.",
        "Replicates per variant: Ensure this value is greater than or equal to 2.",
        "Variant row 1, Label: This field is required.",
    ]


def test_the_list_never_shows_empty(member_client, panel):
    first = member_client.get(reverse("experiment_create")).content.decode()
    valid = member_client.post(
        reverse("scenario_estimate"), _experiment(panel, [("A", ""), ("B", "Bold")]), **HTMX
    ).content.decode()
    for html in (first, valid):
        assert "Fix these" not in html and "<ul></ul>" not in html


def test_an_empty_form_lists_concrete_items_to_fix(member_client):
    html = member_client.post(reverse("scenario_estimate"), {"mode": "experiment"}, **HTMX).content.decode()
    items = _fix_these(html)
    assert "Panel: This field is required." in items and "Steps: This field is required." in items
    assert "Variants: an experiment needs at least 2 rows, the control (A) and one more." in items
    assert all(item.strip() for item in items)
