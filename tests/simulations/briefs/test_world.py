"""A draft becomes exactly the world it says (all or nothing), from the pages, the API and the
command; offline the page says extraction is not possible and offers the templates; every brief
endpoint is scoped (owner succeeds, another organization gets 404)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.module_loading import import_string

from personas.models import Panel, Persona
from simulations import tasks
from simulations.briefs import apply as apply_module
from simulations.briefs import services
from simulations.briefs.apply import brief_apply, brief_ask, brief_question
from simulations.briefs.demo import ensure_demo_brief
from simulations.models import BriefDraft, PanelQuestion, Run, Scenario, Stimulus
from tests.simulations.briefs.documents import docx_bytes
from tests.simulations.briefs.drafts import MODEL_DRAFT, openai_config
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def template_brief(org_a, member):
    return services.brief_from_starter(organization=org_a, actor=member, starter="local_policy")


def edited_form(brief: BriefDraft) -> dict:
    """The editor's fields after a person's edits: one stakeholder removed, one renamed, one added,
    the post rewritten, a post added and the question changed."""
    people = brief.draft["stakeholders"]
    data = {"summary": "edited", "question": "Keep Main Street car-free?"}
    for i, p in enumerate(people):
        for key in ("name", "handle", "stance", "interests", "bio"):
            data[f"s-{i}-{key}"] = p[key]
        data[f"s-{i}-groups"] = ", ".join(p["groups"])
    data["s-0-name"] = "Town Council"
    data["s-1-remove"] = "on"
    n = len(people)
    data.update(
        {
            f"s-{n}-name": "Bus company",
            f"s-{n}-stance": "Against: buses rerouted.",
            f"s-{n}-groups": "business, transport",
            f"s-{n + 1}-name": "",
        }
    )  # a blank row: ignored
    data.update(
        {
            "p-0-author": "CityCouncil",
            "p-0-text": "Car-free weekends start in June.",
            "p-0-step": "0",
            "p-1-author": "Bus_company",
            "p-1-text": "Line 4 will skip Main Street.",
            "p-1-step": "2",
        }
    )
    return data  # fmt: skip


def test_the_page_edits_the_draft_and_makes_exactly_that_world(org_a, member_client, template_brief):
    url = reverse("brief_save", args=[template_brief.pk])
    response = member_client.post(url, {**edited_form(template_brief), "apply": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]

    brief = BriefDraft.objects.for_org(org_a).get(pk=template_brief.pk)
    assert brief.edited and brief.panel and brief.scenario
    personas = {
        p.handle: p for p in Persona.objects.for_org(org_a).filter(panel_memberships__panel=brief.panel)
    }
    assert set(personas) == {"CityCouncil", "CycleClub", "SideStreets", "Bus_company"}
    assert personas["CityCouncil"].display_name == "Town Council"
    assert personas["Bus_company"].traits == {
        "stance": "Against: buses rerouted.",
        "groups": ["business", "transport"],
    }
    assert "Against: buses rerouted." in personas["Bus_company"].card
    stimuli = list(Stimulus.objects.for_org(org_a).filter(scenario=brief.scenario).order_by("step"))
    assert [(s.text, s.step, s.author_persona) for s in stimuli] == [
        ("Car-free weekends start in June.", 0, personas["CityCouncil"]),
        ("Line 4 will skip Main Street.", 2, personas["Bus_company"]),
    ]
    assert brief_question(brief.scenario) == "Keep Main Street car-free?"
    # the question is the run's stance poll, read at the start and at the end
    assert brief.scenario.settings["stance_polls"] == {"question": "Keep Main Street car-free?", "every": 8}
    assert "started from a template" in brief.panel.description.lower()
    page = member_client.get(reverse("brief_detail", args=[brief.pk])).content.decode()
    assert "Keep Main Street car-free?" in page and "Town Council" in page


def test_an_invalid_edit_is_shown_by_row_and_stores_nothing(org_a, member_client, template_brief):
    data = {**edited_form(template_brief), "s-0-stance": "", "apply": "1"}
    response = member_client.post(reverse("brief_save", args=[template_brief.pk]), data)

    assert response.status_code == 400
    assert "Stakeholder 1, stance: Say where this stakeholder stands." in response.content.decode()
    brief = BriefDraft.objects.for_org(org_a).get(pk=template_brief.pk)
    assert not brief.edited and brief.scenario_id is None
    assert not Panel.objects.for_org(org_a).exists()


def test_a_failure_while_building_leaves_no_panel_persona_or_scenario(
    org_a, member, template_brief, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply_module, "scenario_create", broken)
    with pytest.raises(RuntimeError):
        brief_apply(brief=template_brief, organization=org_a, actor=member)
    assert not Panel.objects.for_org(org_a).exists() and not Persona.objects.for_org(org_a).exists()
    assert BriefDraft.objects.for_org(org_a).get(pk=template_brief.pk).scenario_id is None


def test_a_world_is_made_once_and_its_question_is_put_to_the_panel(org_a, member, template_brief, settings):
    brief = brief_apply(brief=template_brief, organization=org_a, actor=member)
    with pytest.raises(services.ApplicationError, match="already a world"):
        brief_apply(brief=brief, organization=org_a, actor=member)
    assert Scenario.objects.for_org(org_a).count() == 1

    asked = brief_ask(brief=brief, organization=org_a, actor=member)
    assert asked.kind == PanelQuestion.Kind.OPEN and asked.panel == brief.panel
    assert asked.question == "Should Main Street stay car-free on weekends after the trial?"
    assert asked.total == 4


def test_offline_the_page_says_extraction_is_not_possible_and_offers_templates(member_client, org_a):
    page = member_client.get(reverse("brief_list")).content.decode()
    assert "Extraction is not possible offline." in page and "needs a hosted language model" in page
    assert 'action="/briefs/new/"' not in page  # no form that could only fail
    assert "A local policy change" in page and "A product launch" in page

    response = member_client.post(reverse("brief_from_starter"), {"starter": "product_launch"})
    brief = BriefDraft.objects.for_org(org_a).get()
    assert response.url == reverse("brief_detail", args=[brief.pk])
    assert brief.origin == BriefDraft.Origin.TEMPLATE and brief.status == BriefDraft.Status.COMPLETED
    detail = member_client.get(response.url).content.decode()
    assert "Started from a template (no model read anything)" in detail and 'name="s-0-stance"' in detail


def test_with_a_hosted_model_the_page_reads_an_upload(
    org_a, member_client, settings, loopback, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PRODUCTION = False
    config = openai_config(org_a, loopback.url)
    queued = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append(args))
    page = member_client.get(reverse("brief_list")).content.decode()
    assert "Extraction is not possible offline." not in page and 'action="/briefs/new/"' in page

    upload = SimpleUploadedFile("draft.docx", docx_bytes(["Main Street closes to cars."]))
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("brief_create"), {"provider": config.pk, "file": upload})
    brief = BriefDraft.objects.for_org(org_a).get()
    assert response.status_code == 302 and queued == [(services.TASK, brief.pk)]
    assert brief.text == "Main Street closes to cars." and brief.status == BriefDraft.Status.QUEUED
    poll = member_client.get(reverse("brief_detail", args=[brief.pk]), headers={"HX-Request": "true"})
    assert "The model is reading the brief" in poll.content.decode()

    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT))))
    services.brief_extract(brief_id=brief.pk)
    poll = member_client.get(reverse("brief_detail", args=[brief.pk]), headers={"HX-Request": "true"})
    assert poll.headers["HX-Refresh"] == "true"


def test_a_refused_upload_on_the_page_says_why(org_a, member_client, settings, loopback):
    settings.PRODUCTION = False
    config = openai_config(org_a, loopback.url)
    upload = SimpleUploadedFile("brief.pdf", b"not a pdf")
    response = member_client.post(reverse("brief_create"), {"provider": config.pk, "file": upload})
    assert response.status_code == 400 and "is not a PDF file" in response.content.decode()
    assert not BriefDraft.objects.for_org(org_a).exists()


def test_the_api_edits_and_applies_a_draft(org_a, member_api):
    created = member_api.post("/api/v1/briefs/", {"template": "local_policy"}, format="json")
    assert created.status_code == 201, created.json()
    brief_id = created.json()["id"]
    draft = {**MODEL_DRAFT, "question": "Close it?"}
    edited = member_api.put(f"/api/v1/briefs/{brief_id}/draft/", {"draft": draft}, format="json")
    assert edited.status_code == 200 and edited.json()["edited"] is True

    applied = member_api.post(f"/api/v1/briefs/{brief_id}/apply/", {"steps": 5}, format="json")
    assert applied.status_code == 201, applied.json()
    scenario = Scenario.objects.for_org(org_a).get(pk=applied.json()["scenario"])
    assert scenario.steps == 5 and brief_question(scenario) == "Close it?"
    assert scenario.stimuli.count() == 2 and scenario.panel.memberships.count() == 3

    bad = member_api.put(f"/api/v1/briefs/{brief_id}/draft/", {"draft": draft}, format="json")
    assert bad.status_code == 409


def test_the_api_refuses_extraction_offline_and_a_bad_draft_by_field(org_a, member_api):
    offline = member_api.post("/api/v1/briefs/", {"text": "A brief."}, format="json")
    assert offline.status_code == 400 and "hosted language model" in json.dumps(offline.json())
    brief_id = member_api.post("/api/v1/briefs/", {"template": "local_policy"}, format="json").json()["id"]
    bad = member_api.put(f"/api/v1/briefs/{brief_id}/draft/", {"draft": {"stakeholders": []}}, format="json")
    assert bad.status_code == 400 and "stakeholders" in json.dumps(bad.json())


def test_every_brief_endpoint_is_scoped_to_its_organization(
    org_a, member, member_client, outsider_client, token_client, org_b, template_brief
):
    pk = template_brief.pk
    assert member_client.get(reverse("brief_detail", args=[pk])).status_code == 200  # positive control
    for name, method in (("brief_detail", "get"), ("brief_save", "post"), ("brief_ask", "post")):
        assert getattr(outsider_client, method)(reverse(name, args=[pk])).status_code == 404, name
    assert f'href="/briefs/{pk}/"' in member_client.get(reverse("brief_list")).content.decode()
    assert f'href="/briefs/{pk}/"' not in outsider_client.get(reverse("brief_list")).content.decode()

    own, other = token_client("member"), token_client("member", organization=org_b)
    assert own.get(f"/api/v1/briefs/{pk}/").status_code == 200
    assert other.get(f"/api/v1/briefs/{pk}/").status_code == 404
    assert other.put(f"/api/v1/briefs/{pk}/draft/", {"draft": MODEL_DRAFT}, format="json").status_code == 404
    assert other.post(f"/api/v1/briefs/{pk}/apply/", {}, format="json").status_code == 404
    listed = other.get("/api/v1/briefs/").json()
    assert (listed["results"] if isinstance(listed, dict) else listed) == []
    assert BriefDraft.objects.for_org(org_a).get(pk=pk).scenario_id is None


def test_a_viewer_reads_but_cannot_edit(org_a, viewer_client, template_brief):
    assert viewer_client.get(reverse("brief_detail", args=[template_brief.pk])).status_code == 200
    response = viewer_client.post(
        reverse("brief_save", args=[template_brief.pk]), edited_form(template_brief)
    )
    assert response.status_code == 403


def test_the_command_reads_a_file_and_makes_the_world(org_a, tmp_path, settings, loopback, capsys):
    settings.PRODUCTION = False
    config = openai_config(org_a, loopback.url)
    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT))))
    path = tmp_path / "brief.md"
    path.write_text("# Main Street\nThe council proposes a car-free street.")

    call_command("brief_to_world", str(path), org=org_a.slug, provider=config.pk, apply=True)

    brief = BriefDraft.objects.for_org(org_a).get()
    assert (brief.source_kind, brief.source_name) == ("markdown", "brief.md") and brief.scenario_id
    assert json.loads(capsys.readouterr().out)["question"] == MODEL_DRAFT["question"]


def test_the_command_offline_says_so(org_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="needs a hosted language model"):
        call_command("brief_to_world", __file__, org=org_a.slug)


def test_the_demo_brief_is_an_honest_example_made_once(org_a, owner):
    first = ensure_demo_brief(organization=org_a, user=owner)
    again = ensure_demo_brief(organization=org_a, user=owner)
    assert first.pk == again.pk and BriefDraft.objects.for_org(org_a).count() == 1
    assert first.origin == BriefDraft.Origin.EXAMPLE and first.provider_label == "" and first.cost_usd == 0
    assert len(first.draft["stakeholders"]) == 5 and first.scenario_id is None


def test_the_world_page_starts_a_run_of_the_scenario(org_a, member, member_client, template_brief):
    brief = brief_apply(brief=template_brief, organization=org_a, actor=member)
    response = member_client.post(reverse("brief_run", args=[brief.pk]))

    run = Run.objects.for_org(org_a).get()
    assert run.scenario == brief.scenario and response.url == reverse("run_detail", args=[run.pk])


def test_the_task_extracts_once_and_never_overwrites_an_edit(org_a, member, settings, loopback):
    settings.PRODUCTION = False
    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT))))
    brief = services.brief_create(
        organization=org_a, actor=member, provider_config=openai_config(org_a, loopback.url), text="A brief.",
        enqueue=False,
    )  # fmt: skip
    assert tasks.extract_brief(brief.pk) == "completed"
    brief = services.brief_update(
        brief=BriefDraft.objects.for_org(org_a).get(pk=brief.pk), organization=org_a, actor=member,
        draft={**MODEL_DRAFT, "question": "Edited?"},
    )  # fmt: skip

    assert tasks.extract_brief(brief.pk) == "completed"  # redelivered
    assert BriefDraft.objects.for_org(org_a).get(pk=brief.pk).draft["question"] == "Edited?"
    assert len(loopback.requests) == 1


def test_the_api_reads_a_multipart_upload(
    org_a, member_api, settings, loopback, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PRODUCTION = False
    # the queued task runs at once, by its dotted name, as a worker would run it
    monkeypatch.setattr(services, "async_task", lambda task, *args, **options: import_string(task)(*args))
    config = openai_config(org_a, loopback.url)
    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT))))
    upload = SimpleUploadedFile("brief.docx", docx_bytes(["The council plans a car-free Main Street."]))
    with django_capture_on_commit_callbacks(execute=True):
        response = member_api.post("/api/v1/briefs/", {"provider_config": config.pk, "file": upload})
    assert response.status_code == 202, response.json()
    body = member_api.get(f"/api/v1/briefs/{response.json()['id']}/").json()
    assert body["status"] == "completed" and body["source_kind"] == "docx"
    assert body["draft"]["question"] == MODEL_DRAFT["question"] and body["origin"] == "extracted"

    locked = SimpleUploadedFile("locked.txt", b"\xff\xfe bad")
    refused = member_api.post("/api/v1/briefs/", {"provider_config": config.pk, "file": locked})
    assert refused.status_code == 400 and "not UTF-8" in json.dumps(refused.json())


def test_the_command_starts_from_a_template_offline(org_a, capsys):
    call_command("brief_to_world", template="product_launch", org=org_a.slug, apply=True, steps=3)

    brief = BriefDraft.objects.for_org(org_a).get()
    assert brief.origin == BriefDraft.Origin.TEMPLATE and brief.scenario.steps == 3
    assert brief.scenario.provider is None  # the offline model runs it
    assert json.loads(capsys.readouterr().out)["question"] == "Would you pay for this subscription, and why?"


def test_a_run_of_the_world_polls_stance_on_the_question_at_start_and_end(org_a, member, template_brief):
    from simulations.insight.stance import stance_poll
    from simulations.models import Policy, StanceReading
    from simulations.runs.services import run_start
    from tests.support.runs import drive

    brief = brief_apply(brief=template_brief, organization=org_a, actor=member, steps=2)
    scenario = Scenario.objects.for_org(org_a).get(pk=brief.scenario_id)
    scenario.policy = Policy.RULES  # the rule baseline answers the poll: no model needed
    scenario.save(update_fields=["policy"])
    run = drive(run_start(organization=org_a, actor=member, scenario=scenario)[0])

    assert run.status == "completed", run.status_reason
    assert stance_poll(organization=org_a, run=run) == {"stored": 8, "failed": 0}
    readings = StanceReading.objects.filter(run=run)
    assert sorted(set(readings.values_list("step", flat=True))) == [0, 2]
    assert readings.filter(step=2).count() == 4  # every stakeholder, at the end
