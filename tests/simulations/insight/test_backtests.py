"""Backtests on the real-shaped fixture panel: cases from held-out history, both scores, pages, API."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from personas.models import HistoryItem
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simulations import tasks
from simulations.analysis.backtest import BASELINE
from simulations.insight import backtests
from simulations.models import Backtest
from tests.support.backtest_panel import AD_ID, NEWS_ID, backtest_panel
from tests.support.peloton import AD_TEXT


@pytest.fixture
def panel(org_a):
    return backtest_panel(org_a)


def test_cases_come_from_posts_several_personas_reacted_to(panel):
    backtest = Backtest(organization=panel.organization, panel=panel, source=Backtest.Source.HELD_OUT)
    cases, population, skipped = backtests.backtest_cases(backtest)
    assert len(population) == 12
    assert [c.key for c in cases] == [AD_ID, NEWS_ID]  # most reacted-to first
    assert [len({r.persona_id for r in c.real}) for c in cases] == [9, 5]
    assert skipped == 1  # the friend's marathon post: one reactor says nothing about the rest
    assert cases[0].author_handle and cases[0].stimulus_text == AD_TEXT


def test_a_given_real_post_matches_by_id_or_by_text(panel):
    by_text = Backtest(
        panel=panel, organization=panel.organization, source="stimulus", stimulus_text=AD_TEXT.upper()
    )
    by_id = Backtest(
        panel=panel, organization=panel.organization, source="stimulus", stimulus_text="x", target_id=AD_ID
    )
    [case_text], _, _ = backtests.backtest_cases(by_text)
    [case_id], _, _ = backtests.backtest_cases(by_id)
    assert len(case_id.real) == 10  # ids also match the likes stored without the post's text
    assert 7 <= len(case_text.real) < len(case_id.real)
    assert backtests.same_post(AD_TEXT, AD_TEXT[:60]) and not backtests.same_post(AD_TEXT, "Give it a try")


def test_baseline_and_fake_provider_are_scored_side_by_side(panel, fake_provider):
    backtest = backtests.backtest_create(
        organization=panel.organization, actor=SYSTEM, enqueue=False, panel=panel,
        provider_config=fake_provider(panel.organization), replicates=2,
    )  # fmt: skip
    backtest = backtests.backtest_execute(backtest_id=backtest.pk)
    assert backtest.status == "completed", backtest.status_reason
    result = backtest.result
    assert result["chosen"] == "fake/fake-1" and set(result["scores"]) == {BASELINE, "fake/fake-1"}
    assert [row["provider"] for row in result["table"]["rows"]] == [BASELINE, "fake/fake-1"]
    for score in result["scores"].values():
        assert score["personas"] == 24  # 12 personas × 2 posts
        assert score["real_engagers"] == 14  # 9 reacted to the ad, 5 to the news
        assert score["volume_real"] == 15  # one of them liked and reposted
        assert 0.0 <= score["roc_auc"] <= 1.0
    assert result["decisions"] == {BASELINE: 48, "fake/fake-1": 48}  # 24 persona-posts × 2 replicates
    assert "| baseline |" in result["markdown"]


def test_the_baseline_alone_is_a_backtest_too(panel):
    backtest = backtests.backtest_create(
        organization=panel.organization, actor=SYSTEM, enqueue=False, panel=panel,
        provider_kind="baseline", replicates=1,
    )  # fmt: skip
    backtest = backtests.backtest_execute(backtest_id=backtest.pk)
    assert backtest.status == "completed" and list(backtest.result["scores"]) == [BASELINE]
    assert backtest.result["chosen"] == BASELINE


def test_a_panel_without_held_out_history_is_refused_with_the_reason(panel):
    HistoryItem.objects.filter(organization=panel.organization).update(held_out=False)
    with pytest.raises(ApplicationError, match="held-out history"):
        backtests.backtest_create(organization=panel.organization, actor=SYSTEM, panel=panel)


def test_hosted_providers_need_a_configuration(panel):
    with pytest.raises(ApplicationError, match="provider configuration"):
        backtests.backtest_create(
            organization=panel.organization, actor=SYSTEM, panel=panel, provider_kind="anthropic"
        )


def test_viewers_cannot_start_backtests(panel, viewer, viewer_client, api_token_for, api_client_for):
    with pytest.raises(PermissionDeniedError):
        backtests.backtest_create(organization=panel.organization, actor=viewer, panel=panel)
    response = viewer_client.post(reverse("backtest_create"), {"panel": panel.pk, "provider": "baseline"})
    assert response.status_code == 403
    client = api_client_for(api_token_for(panel.organization, role="viewer").raw_token)
    response = client.post(
        reverse("api_backtest-list"), {"panel": panel.pk, "provider": "baseline"}, format="json"
    )
    assert response.status_code == 403
    assert not Backtest.objects.filter(organization=panel.organization).exists()


def test_members_start_backtests_from_the_page(panel, member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = member_client.post(
            reverse("backtest_create"),
            {"panel": panel.pk, "provider": "baseline", "source": "held_out", "replicates": 1},
        )
    backtest = Backtest.objects.get(organization=panel.organization)
    assert response.status_code == 302 and response["Location"] == reverse(
        "backtest_detail", args=[backtest.pk]
    )
    assert backtest.status == "queued" and len(callbacks) == 1  # the worker task, queued after commit
    tasks.run_backtest(backtest.pk)
    page = member_client.get(response["Location"]).content.decode()
    assert 'id="comparison-table"' in page and "(the yardstick)" in page


def test_the_form_shows_why_a_backtest_cannot_start(panel, member_client):
    response = member_client.post(
        reverse("backtest_create"),
        {"panel": panel.pk, "provider": "baseline", "source": "stimulus", "replicates": 1},
    )
    assert response.status_code == 400 and b"Give the text of the real post." in response.content


def test_members_start_backtests_through_the_api(panel, api_token_for, api_client_for):
    client = api_client_for(api_token_for(panel.organization, role="member").raw_token)
    response = client.post(
        reverse("api_backtest-list"),
        {
            "panel": panel.pk,
            "provider": "baseline",
            "source": "stimulus",
            "stimulus_text": AD_TEXT,
            "replicates": 1,
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    backtest = backtests.backtest_execute(backtest_id=response.json()["id"])
    detail = client.get(reverse("api_backtest-detail", kwargs={"pk": backtest.pk})).json()
    assert detail["status"] == "completed" and detail["result"]["cases"][0]["key"]
    listed = client.get(reverse("api_backtest-list"), {"provider": "baseline"}).json()
    assert [b["id"] for b in listed["results"]] == [backtest.pk]


def test_the_list_shows_past_backtests_per_provider(panel, fake_provider, viewer_client):
    for kind, config in (("baseline", None), ("fake", fake_provider(panel.organization))):
        backtest = backtests.backtest_create(
            organization=panel.organization, actor=SYSTEM, enqueue=False, panel=panel,
            provider_kind=kind, provider_config=config, replicates=1,
        )  # fmt: skip
        backtests.backtest_execute(backtest_id=backtest.pk)
    page = viewer_client.get(reverse("backtest_list")).content.decode()
    assert "fake/fake-1" in page and "New backtest" not in page  # viewers see, but do not get the form
    only_fake = viewer_client.get(reverse("backtest_list"), {"provider": "fake/fake-1"}).content.decode()
    assert only_fake.count("badge-completed") == 1


def test_manage_py_backtest_prints_both_scores(panel, fake_provider, capsys):
    config = fake_provider(panel.organization)
    call_command(
        "backtest", "--org", panel.organization.slug, "--panel", str(panel.pk), "--provider-config", str(config.pk),
        "--replicates", "1",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "| baseline |" in out and "| fake/fake-1 |" in out and "roc_auc" in out
    call_command("backtest", "--org", panel.organization.slug, "--list")
    assert "fake/fake-1:" in capsys.readouterr().out


def test_manage_py_backtest_explains_failures(panel):
    with pytest.raises(CommandError, match="no panel"):
        call_command(
            "backtest", "--org", panel.organization.slug, "--panel", "999999", "--provider", "baseline"
        )
    with pytest.raises(CommandError, match="react to that post"):
        call_command(
            "backtest", "--org", panel.organization.slug, "--panel", str(panel.pk), "--provider", "baseline",
            "--stimulus-text", "A post nobody here ever saw, about something else entirely.",
        )  # fmt: skip


@pytest.mark.offline_model
def test_offline_model_and_baseline_on_the_fixture_panel(panel, capsys):
    call_command(
        "backtest", "--org", panel.organization.slug, "--panel", str(panel.pk), "--provider", "offline",
        "--stimulus-text", AD_TEXT, "--target-id", AD_ID, "--replicates", "1",
    )  # fmt: skip
    out = capsys.readouterr().out
    with capsys.disabled():  # shown with -s: the two scores side by side
        print(out)
    assert "| baseline |" in out and "| offline/" in out
    backtest = Backtest.objects.get(organization=panel.organization)
    assert backtest.status == "completed" and len(backtest.result["scores"]) == 2


def test_the_api_explains_a_refused_backtest(panel, api_token_for, api_client_for):
    client = api_client_for(api_token_for(panel.organization, role="member").raw_token)
    response = client.post(
        reverse("api_backtest-list"), {"panel": panel.pk, "provider": "anthropic"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "provider configuration" in error["message"] and "provider" in error["fields"]
