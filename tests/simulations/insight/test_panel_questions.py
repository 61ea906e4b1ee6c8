"""Asking a whole panel one question: the poll and open splits by segment, the background task
end to end with the fake provider, a failing persona, and organization isolation."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from statsmodels.stats.proportion import proportion_confint

from personas.models import Persona
from simnet.llm.base import LLMResponse
from simnet.llm.testing import FakeProvider
from simulations import tasks
from simulations.insight import panel_questions
from simulations.insight.panel_questions_split import (
    MIN_SEGMENT_ANSWERS,
    NOT_ENOUGH,
    PanelAnswerRecord,
    pick_choice,
    poll_split,
)
from simulations.models import PanelAnswer, PanelQuestion
from tests.support.fake_provider import ENABLED as FAKE_PROVIDER_KINDS

CHOICES = ["Offensive", "Fine", "Not sure"]


class GenderedPollProvider:
    """Women call the ad offensive, men find it fine; one persona's answer names no option."""

    name = "gendered"
    model = "gendered-1"
    off_script: set[str] = set()

    def generate(self, requests):
        answers = []
        for r in requests:
            if r.key in self.off_script:
                answers.append(LLMResponse(r.key, "Well, I would rather not say."))
            elif "gender: female" in r.system:
                answers.append(LLMResponse(r.key, "Offensive\nIt tells women to shrink for a gift."))
            else:
                answers.append(LLMResponse(r.key, "Fine.\nIt is a bike ad and nothing more."))
        return answers


def gendered_provider() -> GenderedPollProvider:
    return GenderedPollProvider()


@pytest.fixture
def panel(tenancy):
    from personas.services.synthetic import panel_create_population

    return panel_create_population(
        organization=tenancy.org_a, actor=tenancy.member, n=30, seed=7, source="tv16", name="Shoppers"
    )


@pytest.fixture
def providers(settings, monkeypatch, tenancy):
    """Provider configurations of organization A: the counting fake and the gendered poll answerer."""
    from simnet.providers.models import ProviderConfig

    settings.SIMNET_TEST_PROVIDER_KINDS = {
        **FAKE_PROVIDER_KINDS,
        "gendered": f"{__name__}.gendered_provider",
    }
    monkeypatch.setenv("SIMNET_FAKE_PROVIDER", "{}")
    return {
        kind: ProviderConfig.objects.create(
            organization=tenancy.org_a, name=kind, kind=kind, model=f"{kind}-1"
        )
        for kind in ("fake", "gendered")
    }


def _ask(tenancy, panel, django_capture_on_commit_callbacks, monkeypatch, **arguments) -> PanelQuestion:
    """Create the question as a person would, then run the queued task as the worker would."""
    queued = []
    monkeypatch.setattr(panel_questions, "async_task", lambda name, *args, **kw: queued.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        asked = panel_questions.panel_question_create(
            organization=tenancy.org_a, actor=tenancy.member, panel=panel, **arguments
        )
    assert queued == [("simulations.tasks.ask_panel_question", (asked.pk,))]
    assert tasks.ask_panel_question(asked.pk) == asked.Status.COMPLETED
    asked.refresh_from_db()
    return asked


def test_pick_choice_reads_only_the_start_of_the_answer():
    assert pick_choice("**Not sure** - it depends", CHOICES) == "Not sure"
    assert pick_choice("2) Fine, honestly", CHOICES) == "Fine"
    assert pick_choice("I find it Offensive", CHOICES) is None
    assert pick_choice("I have no idea", ["Yes", "No"]) is None


def test_poll_split_matches_a_hand_count_with_wilson_intervals_and_hides_small_groups():
    people = [("female", "Offensive")] * 7 + [("female", "Fine")] * 3 + [("male", "Fine")] * 4
    answers = [
        PanelAnswerRecord(str(i), f"p{i}", {"gender": g}, choice, choice)
        for i, (g, choice) in enumerate(people)
    ]
    split = poll_split(answers, CHOICES)

    overall = {r["choice"]: r for r in split["overall"]["rows"]}
    assert split["overall"]["n"] == 14 and overall["Fine"]["count"] == 7 and overall["Fine"]["share"] == 0.5
    (gender,) = split["segments"]
    women, men = gender["groups"]
    assert (women["segment"], women["n"], women["enough"]) == ("female", 10, True)
    offended = women["rows"][0]
    low, high = proportion_confint(7, 10, alpha=0.05, method="wilson")
    assert (offended["count"], offended["share"]) == (7, 0.7)
    assert offended["low"] == pytest.approx(low) and offended["high"] == pytest.approx(high)
    assert 0.39 < offended["low"] < 0.4 and 0.89 < offended["high"] < 0.9
    assert men["n"] == 4 < MIN_SEGMENT_ANSWERS and not men["enough"]
    assert [r["count"] for r in men["rows"]] == [0, 4, 0] and {r["share"] for r in men["rows"]} == {None}


@pytest.mark.django_db
def test_a_poll_is_asked_of_every_persona_and_split_by_gender(
    tenancy, panel, providers, django_capture_on_commit_callbacks, monkeypatch, member_client
):
    personas = list(Persona.objects.filter(organization=tenancy.org_a, panel_memberships__panel=panel))
    women = sum(p.traits["gender"] == "female" for p in personas)
    assert 5 <= women <= 25  # both groups large enough to show shares
    off_script = next(p for p in personas if p.traits["gender"] == "male")
    monkeypatch.setattr(GenderedPollProvider, "off_script", {f"question:{off_script.pk}"})

    asked = _ask(
        tenancy, panel, django_capture_on_commit_callbacks, monkeypatch,
        kind="poll", question="Is the Peloton holiday ad offensive?", choices=CHOICES,
        provider_config=providers["gendered"],
    )  # fmt: skip

    assert (asked.total, asked.done, asked.result["failed"]) == (30, 30, 1)
    failure = PanelAnswer.objects.get(question=asked, persona=off_script)
    assert failure.error == panel_questions.NO_CHOICE and failure.choice == ""
    gender = next(s for s in asked.result["segments"] if s["trait_key"] == "gender")
    groups = {g["segment"]: g for g in gender["groups"]}
    assert groups["female"]["n"] == women and groups["male"]["n"] == 30 - women - 1
    assert groups["female"]["rows"][0] == {
        "choice": "Offensive", "count": women, "share": 1.0,
        "low": pytest.approx(proportion_confint(women, women, method="wilson")[0]), "high": pytest.approx(1.0),
    }  # fmt: skip
    assert [r["count"] for r in groups["male"]["rows"]] == [0, 30 - women - 1, 0]

    page = member_client.get(reverse("panel_question_detail", args=[asked.pk])).content.decode()
    assert f"female (n = {women})" in page and "100% [" in page and f"@{off_script.handle}" in page


@pytest.mark.django_db
def test_an_open_question_records_one_personas_failure_while_the_others_answer(
    tenancy, panel, providers, django_capture_on_commit_callbacks, monkeypatch, member_client
):
    failing = Persona.objects.filter(organization=tenancy.org_a, panel_memberships__panel=panel).first()
    monkeypatch.setenv("SIMNET_FAKE_PROVIDER", json.dumps({"error_for": [f"question:{failing.pk}"]}))

    asked = _ask(
        tenancy, panel, django_capture_on_commit_callbacks, monkeypatch,
        kind="open", question="What do you make of the Peloton holiday ad?", provider_config=providers["fake"],
    )  # fmt: skip

    answers = PanelAnswer.objects.filter(question=asked)
    assert answers.count() == 30 and answers.exclude(error="").get().persona_id == failing.pk
    assert answers.filter(error="", text__startswith="Fake answer").count() == 29
    result = asked.result
    assert result["overall"]["n"] == 29 and len(result["answers"]) == 29 and result["failed"] == 1
    assert sum(result["overall"]["counts"].values()) == 29
    gender = next(s for s in result["segments"] if s["trait_key"] == "gender")
    assert sum(g["n"] for g in gender["groups"]) == 29
    by_id = {a["persona_id"]: a for a in result["answers"]}
    assert {by_id[i]["sentiment"] for g in gender["groups"] for i in g["persona_ids"]} <= {
        "positive", "neutral", "negative",
    }  # fmt: skip
    small = [s for s in result["segments"] for g in s["groups"] if not g["enough"]]
    assert small  # some trait leaves a group under the minimum
    page = member_client.get(
        reverse("panel_question_detail", args=[asked.pk]), {"trait": small[0]["trait_key"]}
    )
    assert NOT_ENOUGH in page.content.decode()


@pytest.mark.django_db
def test_a_whole_provider_failure_is_recorded_on_each_persona_and_the_question_fails(
    tenancy, panel, monkeypatch
):
    asked = panel_questions.panel_question_create(
        organization=tenancy.org_a,
        actor=tenancy.member,
        panel=panel,
        kind="open",
        question="Why?",
        enqueue=False,
    )
    monkeypatch.setattr(panel_questions, "provider_for", lambda *a, **k: FakeProvider(quota_after_calls=0))

    done = panel_questions.panel_question_execute(question_id=asked.pk)

    assert done.status == PanelQuestion.Status.FAILED and done.done == 30
    assert "quota" in done.status_reason and PanelAnswer.objects.filter(question=done, error="").count() == 0


@pytest.mark.django_db
def test_a_poll_needs_options_and_an_open_question_has_none(tenancy, panel):
    from simnet.tenancy.errors import ApplicationError

    def ask(**arguments):
        return panel_questions.panel_question_create(
            organization=tenancy.org_a,
            actor=tenancy.member,
            panel=panel,
            question="Q?",
            enqueue=False,
            **arguments,
        )

    with pytest.raises(ApplicationError, match="2 to 10"):
        ask(kind="poll", choices=["Only one", " only ONE "])
    with pytest.raises(ApplicationError, match="no options"):
        ask(kind="open", choices=["Yes"])
    assert PanelQuestion.objects.for_org(tenancy.org_a).count() == 0


@pytest.mark.django_db
def test_the_owner_reads_a_panel_question_and_another_organization_gets_404(
    tenancy, panel, owner_client, outsider_client, api_token_for, api_client_for
):
    asked = panel_questions.panel_question_create(
        organization=tenancy.org_a,
        actor=tenancy.member,
        panel=panel,
        kind="open",
        question="SECRET-Q",
        enqueue=False,
    )
    pages = [
        reverse("panel_question_detail", args=[asked.pk]),
        reverse("panel_question_list", args=[panel.pk]),
    ]
    for url in pages:
        assert (
            owner_client.get(url).status_code == 200 and "SECRET-Q" in owner_client.get(url).content.decode()
        )
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(reverse("panel_question_create", args=[panel.pk])).status_code == 404
    assert (
        reverse("panel_question_list", args=[panel.pk])
        in owner_client.get(reverse("panel_detail", args=[panel.pk])).content.decode()
    )

    owner = api_client_for(api_token_for(tenancy.org_a, role="owner", created_by=tenancy.owner).raw_token)
    outsider = api_client_for(
        api_token_for(tenancy.org_b, role="owner", created_by=tenancy.outsider).raw_token
    )
    detail = f"/api/v1/panel-questions/{asked.pk}/"
    assert owner.get(detail).status_code == 200 and owner.get(detail).json()["question"] == "SECRET-Q"
    assert outsider.get(detail).status_code == 404
    assert [q["id"] for q in owner.get("/api/v1/panel-questions/").json()["results"]] == [asked.pk]
    assert outsider.get("/api/v1/panel-questions/").json()["results"] == []
    refused = outsider.post(
        "/api/v1/panel-questions/", {"panel": panel.pk, "kind": "open", "question": "Hi?"}, format="json"
    )
    assert refused.status_code in (400, 404) and PanelQuestion.objects.for_org(tenancy.org_b).count() == 0


@pytest.mark.django_db
def test_the_api_queues_a_poll(tenancy, panel, api_token_for, api_client_for, monkeypatch):
    queued = []
    monkeypatch.setattr(panel_questions, "async_task", lambda name, *args, **kw: queued.append(args))
    member = api_client_for(api_token_for(tenancy.org_a, role="member", created_by=tenancy.member).raw_token)

    response = member.post(
        "/api/v1/panel-questions/",
        {"panel": panel.pk, "kind": "poll", "question": "Buy one?", "choices": ["Yes", "No"]},
        format="json",
    )

    assert response.status_code == 202, response.content
    assert response.json()["total"] == 30 and response.json()["status"] == "queued"
    assert PanelQuestion.objects.for_org(tenancy.org_a).get().choices == ["Yes", "No"]


@pytest.mark.django_db
def test_the_panel_page_form_queues_a_poll_and_a_viewer_cannot(
    tenancy, panel, member_client, viewer_client, monkeypatch
):
    queued = []
    monkeypatch.setattr(panel_questions, "async_task", lambda name, *args, **kw: queued.append(args))
    url = reverse("panel_question_create", args=[panel.pk])
    form = {
        "kind": "poll",
        "question": "Would you buy it?",
        "choices": "Yes\nNo\n\nyes",
        "provider": "offline",
    }

    assert viewer_client.post(url, form).status_code == 403
    response = member_client.post(url, form)

    asked = PanelQuestion.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "panel_question_detail", args=[asked.pk]
    )
    assert asked.choices == ["Yes", "No"] and asked.provider_config is None and asked.total == 30
    bad = member_client.post(url, {**form, "choices": "Only one"})
    assert bad.status_code == 400 and "A poll needs 2 to 10 different options." in bad.content.decode()
