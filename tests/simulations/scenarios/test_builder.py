"""The scenario builder: start runs and experiments, the estimate, "add another", quota refusal."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse

from simnet.providers.models import ProviderConfig
from simulations.models import Experiment, Run, Scenario, Stimulus
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def tiny_png() -> bytes:
    return base64.b64decode(PNG_1X1)


@pytest.fixture
def panel(tenancy):
    return make_panel(tenancy.org_a, size=4, name="Voters")


def _form(panel, **overrides) -> dict:
    data = {
        "mode": "run",
        "name": "Holiday ad",
        "panel": panel.pk,
        "format": "feed",
        "agenda": "",
        "steps": 3,
        "minutes_per_step": 60,
        "recommender": "mix",
        "feed_size": 5,
        "memory_tokens": 120,
        "provider": "",
        "seed": 7,
        "budget_usd": "",
        "replicates": 1,
        "stimuli-TOTAL_FORMS": 1,
        "stimuli-INITIAL_FORMS": 0,
        "stimuli-MIN_NUM_FORMS": 0,
        "stimuli-MAX_NUM_FORMS": 20,
        "stimuli-0-text": "The gift that changes everything.",
        "stimuli-0-author": "FitBikeCo",
        "stimuli-0-step": 0,
        "stimuli-0-boost": 0.5,
    }
    data.update(overrides)
    return data


def test_viewer_cannot_open_the_builder(viewer_client):
    assert viewer_client.get(reverse("scenario_create")).status_code == 403
    assert viewer_client.get(reverse("experiment_create")).status_code == 403


def test_builder_preselects_the_panel_and_suggests_its_handles(member_client, panel, tenancy):
    make_panel(tenancy.org_a, size=2, name="Another")
    html = member_client.get(reverse("scenario_create") + f"?panel={panel.pk}").content.decode()
    assert f'<option value="{panel.pk}" selected>Voters</option>' in html
    assert '<datalist id="panel-handles"><option value="p0"></option>' in html
    assert "Offline model" in html


def test_builder_lists_shared_panels_but_not_other_organizations_panels(member_client, tenancy):
    from personas.models import PanelShare

    shared = make_panel(tenancy.org_b, size=2, name="Shared voters")
    PanelShare.objects.create(organization=tenancy.org_b, panel=shared, shared_with=tenancy.org_a)
    make_panel(tenancy.org_b, size=2, name="Private of B")
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert "Shared voters (shared with you)" in html and "Private of B" not in html


def test_panel_change_refreshes_the_handle_suggestions(member_client, panel):
    response = member_client.get(
        reverse("scenario_create") + f"?panel={panel.pk}", HTTP_HX_TARGET="panel-handles", **HTMX
    )
    assert response.content.decode().startswith('<datalist id="panel-handles"><option value="p0">')


def test_start_creates_the_scenario_and_run_and_enqueues_after_commit(
    member_client, panel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = member_client.post(reverse("scenario_create"), _form(panel, **{"stimuli-0-author": "@p1"}))
    scenario = Scenario.objects.for_org(panel.organization).get()
    run = Run.objects.filter(scenario=scenario).get()
    assert response.status_code == 302 and response["Location"] == reverse("run_detail", args=[run.pk])
    assert (scenario.steps, scenario.seed, run.seed, run.total_steps) == (3, 7, 7, 3)
    stimulus = Stimulus.objects.filter(scenario=scenario).get()
    assert stimulus.author_persona.handle == "p1" and stimulus.author_handle == "" and stimulus.boost == 0.5
    assert len(callbacks) >= 1  # the step task is queued only once everything committed


def test_start_with_replicates_goes_to_the_runs_list(
    member_client, panel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = member_client.post(reverse("scenario_create"), _form(panel, replicates=3))
    assert response["Location"] == reverse("run_list")
    assert sorted(Run.objects.for_org(panel.organization).values_list("seed", flat=True)) == [7, 8, 9]


def test_outside_author_and_image_upload(member_client, panel):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("ad.png", tiny_png(), content_type="image/png")
    form = {**_form(panel), "stimuli-0-image": image, "stimuli-0-alt_text": "A bike"}  # offline: alt text needed
    member_client.post(reverse("scenario_create"), form)
    stimulus = Stimulus.objects.for_org(panel.organization).get()
    assert stimulus.author_handle == "FitBikeCo" and stimulus.author_persona is None
    assert stimulus.image.name.startswith("stimuli/")


def test_several_stimuli_and_blank_extra_rows(member_client, panel):
    data = _form(panel, **{"stimuli-TOTAL_FORMS": 3, "stimuli-1-text": "Second post", "stimuli-1-step": 2})
    data.update({"stimuli-1-boost": 0, "stimuli-1-author": "", "stimuli-2-step": 0, "stimuli-2-boost": ""})
    member_client.post(reverse("scenario_create"), data)
    stimuli = Stimulus.objects.for_org(panel.organization).order_by("step")
    assert [(s.text, s.step) for s in stimuli] == [
        ("The gift that changes everything.", 0),
        ("Second post", 2),
    ]


def test_roundtable_needs_an_agenda_and_nothing_is_created(member_client, panel):
    response = member_client.post(reverse("scenario_create"), _form(panel, format="roundtable"))
    assert (
        response.status_code == 200
        and "A roundtable needs at least one agenda item" in response.content.decode()
    )
    assert not Scenario.objects.for_org(panel.organization).exists()


def test_quota_refusal_is_readable_and_leaves_no_scenario(member_client, panel, tenancy):
    tenancy.org_a.monthly_budget_usd = "0.01"
    tenancy.org_a.save()
    provider = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="Claude", kind="anthropic", model="claude-sonnet-4-5"
    )
    response = member_client.post(reverse("scenario_create"), _form(panel, provider=provider.pk, steps=40))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="builder-errors"' in html
    assert "more than the $0.01 left of this month" in html
    assert (
        not Scenario.objects.for_org(tenancy.org_a).exists()
        and not Run.objects.for_org(tenancy.org_a).exists()
    )


def test_estimate_shows_a_range_before_start(member_client, panel):
    response = member_client.post(reverse("scenario_estimate"), _form(panel, replicates=2), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="estimate"')
    assert "For 2 runs" in html and "Low" in html and "Expected" in html and "High" in html
    assert "LLM calls" in html and "Time per run" in html and "left of this month" in html
    low, expected, high = (
        int(n)
        for n in re.search(
            r"LLM calls</th><td>(\d+)</td><td><strong>(\d+)</strong></td><td>(\d+)", html
        ).groups()
    )
    assert 0 < low <= expected <= high
    assert not Scenario.objects.for_org(panel.organization).exists()


def test_estimate_warns_when_over_the_remaining_budget(member_client, panel, tenancy):
    tenancy.org_a.monthly_budget_usd = "0.01"
    tenancy.org_a.save()
    provider = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="Claude", kind="anthropic", model="claude-sonnet-4-5"
    )
    html = member_client.post(
        reverse("scenario_estimate"), _form(panel, provider=provider.pk, steps=40), **HTMX
    )
    assert "Start would be refused" in html.content.decode()


def _expected_calls(html: str) -> int:
    return int(re.search(r"LLM calls</th><td>\d+</td><td><strong>(\d+)</strong>", html).group(1))


def test_a_hosted_models_estimate_counts_the_calls_that_label_replies(member_client, panel, tenancy):
    claude = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="Claude", kind="anthropic", model="claude-haiku-4-5"
    )
    offline = member_client.post(reverse("scenario_estimate"), _form(panel, steps=6), **HTMX).content.decode()
    hosted = member_client.post(
        reverse("scenario_estimate"), _form(panel, provider=claude.pk, steps=6), **HTMX
    ).content.decode()
    assert "label the replies and quotes" in hosted and "label the replies" not in offline
    assert _expected_calls(hosted) > _expected_calls(offline)


def test_estimate_of_an_invalid_form_lists_what_to_fix(member_client, panel):
    html = member_client.post(reverse("scenario_estimate"), _form(panel, steps=0), **HTMX).content.decode()
    assert "Fix these to get an estimate" in html and "Steps: Ensure this value" in html


def test_add_another_stimulus_row_updates_the_formset_total(member_client):
    url = reverse("scenario_formset_row") + "?formset=stimuli&stimuli-TOTAL_FORMS=1"
    html = member_client.get(url, **HTMX).content.decode()
    assert 'name="stimuli-1-text"' in html and " required" not in html
    assert 'id="id_stimuli-TOTAL_FORMS"' in html and 'value="2"' in html and 'hx-swap-oob="true"' in html


def test_add_another_variant_gets_the_next_letter_and_stops_at_the_maximum(member_client):
    html = member_client.get(
        reverse("scenario_formset_row") + "?formset=variants&variants-TOTAL_FORMS=2", **HTMX
    )
    assert 'value="C"' in html.content.decode()
    html = member_client.get(
        reverse("scenario_formset_row") + "?formset=variants&variants-TOTAL_FORMS=6", **HTMX
    )
    assert "At most 6 variants" in html.content.decode() and "variants-6-label" not in html.content.decode()
    assert member_client.get(reverse("scenario_formset_row") + "?formset=nope").status_code == 404


def test_add_another_without_javascript_re_renders_with_one_more_row(member_client, panel):
    response = member_client.post(reverse("scenario_create"), {**_form(panel), "add_row": "stimuli"})
    html = response.content.decode()
    assert 'name="stimuli-1-text"' in html and not Scenario.objects.for_org(panel.organization).exists()


def test_start_an_experiment(member_client, panel, django_capture_on_commit_callbacks):
    data = _form(panel, mode="experiment", experiment_name="Tone test", replicates=2)
    data.update({
        "variants-TOTAL_FORMS": 2, "variants-INITIAL_FORMS": 0, "variants-MIN_NUM_FORMS": 2,
        "variants-MAX_NUM_FORMS": 6, "variants-0-label": "A", "variants-0-stimulus_text": "Warm version",
        "variants-1-label": "B", "variants-1-stimulus_text": "Bold version",
    })  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        response = member_client.post(reverse("experiment_create"), data)
    experiment = Experiment.objects.for_org(panel.organization).get()
    assert response["Location"] == reverse("experiment_detail", args=[experiment.pk])
    assert experiment.name == "Tone test" and [v["label"] for v in experiment.variants] == ["A", "B"]
    runs = Run.objects.filter(experiment=experiment)
    assert runs.count() == 4 and set(runs.values_list("variant", flat=True)) == {"A", "B"}


def test_an_experiment_needs_two_variants(member_client, panel):
    data = _form(panel, mode="experiment", experiment_name="Solo", replicates=2)
    data.update({"variants-TOTAL_FORMS": 1, "variants-INITIAL_FORMS": 0, "variants-0-label": "A",
                 "variants-0-stimulus_text": "Only one"})  # fmt: skip
    response = member_client.post(reverse("experiment_create"), data)
    assert "an experiment needs at least 2 rows, the control (A) and one more" in response.content.decode()
    assert not Experiment.objects.for_org(panel.organization).exists()


def test_a_shown_estimate_refreshes_itself_after_each_change(member_client, panel):
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert 'hx-trigger="change from:#builder-form' not in html  # nothing to keep fresh yet
    shown = member_client.post(reverse("scenario_estimate"), _form(panel), **HTMX).content.decode()
    section = shown[: shown.index(">")]
    assert f'hx-post="{reverse("scenario_estimate")}"' in section and 'hx-target="this"' in section
    assert 'hx-trigger="change from:#builder-form delay:400ms"' in section


def test_estimate_without_javascript_re_renders_the_form_with_the_range(member_client, panel):
    response = member_client.post(reverse("scenario_create"), {**_form(panel, replicates=2), "estimate": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="builder-form"' in html
    assert "For 2 runs" in html and 'id="estimate-cost"' in html and "left of this month" in html
    assert 'value="The gift that changes everything."' in html or "The gift that changes everything." in html
    assert not Scenario.objects.for_org(panel.organization).exists()


def test_the_first_paint_asks_for_nothing_to_be_fixed(member_client, panel):
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert "Fix these to get an estimate" not in html and "Press <strong>Estimate</strong>" in html


def _estimate_rows(html: str) -> dict[str, tuple[str, str, str]]:
    """Each row of the estimate table: its name -> (low, expected, high) as shown."""
    cells = r'<th scope="row">([^<]+)</th><td>([^<]*)</td><td><strong[^>]*>([^<]*)</strong></td><td>([^<]*)'
    return {name: (low, expected, high) for name, low, expected, high in re.findall(cells, html)}


def test_the_rule_baseline_estimates_no_calls_tokens_or_cost_and_names_itself_once(
    member_client, panel, tenancy
):
    baseline = ProviderConfig.objects.create(organization=tenancy.org_a, name="Rule baseline", kind="baseline")
    html = member_client.post(
        reverse("scenario_estimate"), _form(panel, provider=baseline.pk, steps=6), **HTMX
    ).content.decode()
    rows = _estimate_rows(html)
    assert rows["LLM calls"] == ("0", "0", "0")
    assert rows["Input tokens"] == rows["Output tokens"] == ("0", "0", "0")
    assert rows["Cost"] == ("$0.00", "$0.00", "$0.00")
    assert "With Rule baseline (no LLM)." in html and "(Rule baseline (no LLM))" not in html


def test_a_rules_policy_estimates_no_model_calls_on_any_provider(member_client, panel):
    offline = member_client.post(reverse("scenario_estimate"), _form(panel, steps=6), **HTMX).content.decode()
    rules = member_client.post(
        reverse("scenario_estimate"), _form(panel, steps=6, policy="rules"), **HTMX
    ).content.decode()
    assert _expected_calls(offline) > 0
    assert _estimate_rows(rules)["LLM calls"] == ("0", "0", "0")
    assert "calls no language model" in rules
