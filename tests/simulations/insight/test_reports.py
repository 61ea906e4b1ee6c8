"""A run's rows become the analysis records and a report with the numbers a person counts by hand."""

from __future__ import annotations

import pytest

from personas.models import FollowEdge, HistoryItem, Persona, SourceAccount
from simulations.insight import reports
from simulations.models import RunAction, RunPost, RunReportCache
from simulations.runs.services import run_start
from tests.factories import RunActionFactory, RunFactory, RunPostFactory, ScenarioFactory
from tests.support import peloton
from tests.support.run_rows import make_panel, store_fixture
from tests.support.runs import drive


@pytest.fixture
def hand_made_run(org_a):
    """Six personas, one ad, three steps, every kind of row a run writes.

    step 0: p1 likes the ad; p2 replies "Love this ad"; p3 ignores; p4's decision failed.
    step 1: p5 reposts the ad; p3 quotes it ("sexist"); p6 likes p2's reply; p1 answers the quote.
    step 2: p2 follows p3; p4 likes a post that does not exist (refused: invalid).
    Follow graph: p2 follows p3, p6 follows p1.
    """
    panel, personas = make_panel(org_a, size=6)
    for follower, followee in (("p01", "p02"), ("p05", "p00")):
        FollowEdge.objects.create(
            organization=org_a, panel=panel, follower=personas[follower], followee=personas[followee]
        )
    scenario = ScenarioFactory(organization=org_a, panel=panel)
    run = RunFactory(scenario=scenario, total_steps=3, next_step=3, status="running")
    pk = {f"p{i}": str(personas[f"p{i - 1:02d}"].pk) for i in range(1, 7)}
    posts = [
        ("ad", "brand", "post", "Give the gift of fitness this holiday.", 0, "", True),
        ("r1", pk["p2"], "reply", "Love this ad, great gift!", 0, "ad", False),
        ("rp1", pk["p5"], "repost", "", 1, "ad", False),
        ("q1", pk["p3"], "quote", "This ad is sexist and tone-deaf.", 1, "ad", False),
        ("r2", pk["p1"], "reply", "Exactly, so sexist.", 1, "q1", False),
    ]
    for key, author, kind, text, step, parent, stimulus in posts:
        RunPostFactory(
            run=run, post_key=key, author_key=author, author_handle=author, kind=kind, text=text, step=step,
            parent_key=parent, root_key="ad" if parent else "", is_stimulus=stimulus,
            stimulus_key="s1" if stimulus else "", impressions=6 if stimulus else 0,
        )  # fmt: skip
    actions = [
        (0, "p1", "like", "ad", "", "ok"),
        (0, "p2", "reply", "ad", "r1", "ok"),
        (0, "p3", "ignore", "", "", "ok"),
        (0, "p4", "error", "", "", "error"),
        (1, "p5", "repost", "ad", "rp1", "ok"),
        (1, "p3", "quote", "ad", "q1", "ok"),
        (1, "p6", "like", "r1", "", "ok"),
        (1, "p1", "reply", "q1", "r2", "ok"),
        (2, "p2", "follow", "", "", "ok"),
        (2, "p4", "like", "zz", "", "invalid"),
    ]
    for step, who, action, target, created, outcome in actions:
        RunActionFactory(
            run=run, step=step, agent_key=pk[who], action=action, target_post_key=target,
            created_post_key=created, outcome=outcome, target_agent_key=pk["p3"] if action == "follow" else "",
        )  # fmt: skip
    return run


def test_hand_made_run_gives_hand_counted_totals(hand_made_run):
    report = reports.build_run_report(hand_made_run)
    totals = report.totals
    assert (totals.likes, totals.reposts, totals.quotes, totals.replies, totals.follows) == (2, 1, 1, 2, 1)
    assert totals.engagements == 6  # the refused like and the failed decision do not count
    assert totals.impressions == 6 and totals.engagement_rate == pytest.approx(1.0)
    assert [s.engagements for s in report.steps] == [2, 4, 0]
    [stimulus] = report.stimuli
    cascade = stimulus.cascade
    assert cascade.size == 5  # p1, p2, p3, p5, p6 engaged with the ad or something below it
    assert cascade.depth == 2  # ad -> quote -> reply
    assert cascade.descendant_posts == 4
    assert (cascade.peak_step, cascade.time_to_peak) == (1, 1)
    assert cascade.audience == 2  # followers of the people who engaged: p2 (of p3) and p6 (of p1)
    assert report.sentiment.responses == 3
    assert report.sentiment.negative == 2  # the quote and the reply that agrees with it


def test_records_keep_outcomes_and_targets(hand_made_run):
    records = reports.run_records(hand_made_run)
    assert len(records.actions) == 10 and len(records.posts) == 5
    failed = [a for a in records.actions if not a.succeeded]
    assert sorted(a.outcome for a in failed) == ["error", "invalid"]
    follow = next(a for a in records.actions if a.action == "follow")
    assert follow.target_persona_id is not None
    assert records.handles["brand"] == "brand" and len(records.personas) == 6


def test_impressions_per_step_come_from_the_events(org_a):
    panel, personas = make_panel(org_a)
    run = store_fixture(peloton.backlash_run(), ScenarioFactory(organization=org_a, panel=panel), personas)
    rebuilt = reports.impressions_from_events(run)
    assert [sum(i.count for i in rebuilt if i.step == s) for s in range(5)] == [40] * 5
    report = reports.build_run_report(run)
    assert [s.impressions for s in report.steps] == [40] * 5


def test_a_final_run_caches_its_report_and_a_running_one_does_not(
    hand_made_run, django_assert_max_num_queries
):
    data = reports.run_report_data(hand_made_run)
    assert data["meta"]["final"] is False and not RunReportCache.objects.filter(run=hand_made_run).exists()
    hand_made_run.status = "completed"
    hand_made_run.save()
    first = reports.run_report_data(hand_made_run)
    assert RunReportCache.objects.filter(run=hand_made_run).count() == 1
    with django_assert_max_num_queries(1):
        assert reports.run_report_data(hand_made_run) == first
    assert reports.run_outcome_metrics(hand_made_run)["engagement_rate"] == pytest.approx(1.0)


def test_stale_cache_versions_are_rebuilt(hand_made_run):
    hand_made_run.status = "completed"
    hand_made_run.save()
    RunReportCache.objects.create(
        organization=hand_made_run.organization,
        run=hand_made_run,
        version="0",
        data={"old": True},
        metrics={},
    )
    assert "totals" in reports.run_report_data(hand_made_run)
    assert RunReportCache.objects.get(run=hand_made_run).version == reports.REPORT_VERSION


def test_run_report_store_is_the_hook_for_finished_runs(hand_made_run):
    assert reports.run_report_store(run_id=hand_made_run.pk) is False  # still running
    hand_made_run.status = "completed"
    hand_made_run.save()
    assert reports.run_report_store(run_id=hand_made_run.pk) is True
    assert RunReportCache.objects.filter(run=hand_made_run).exists()


def test_real_history_feeds_the_honesty_diagnostics(hand_made_run):
    persona = hand_made_run.scenario.panel.memberships.order_by("persona__handle").first().persona  # p1
    account = SourceAccount.objects.create(
        organization=hand_made_run.organization, platform="x", platform_id="42", handle=persona.handle
    )
    persona.source_account = account
    persona.save()
    real = [
        ("reply", "This is awful and lazy."),
        ("post", "Terrible service again."),
        ("reply", "Worst take."),
    ]
    for i, (kind, text) in enumerate(real):
        HistoryItem.objects.create(
            organization=hand_made_run.organization, account=account, platform_id=str(i), kind=kind, text=text
        )
    data = reports.run_report_data(hand_made_run)
    assert data["meta"]["personas_with_history"] == 1
    assert data["diagnostics"]["personas_compared"] == 1
    assert {c["name"] for c in data["diagnostics"]["checks"]} >= {"action_entropy", "agreeableness"}


def test_a_run_keeps_who_saw_what_so_segments_get_rates_and_the_ad_its_reach(fake_scenario, tenancy):
    for index, persona in enumerate(Persona.objects.for_org(tenancy.org_a).order_by("handle")):
        persona.traits = {"age_group": "under 40" if index % 2 else "40 and over"}
        persona.save(update_fields=["traits"])
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario)[0])
    rows = list(RunAction.objects.filter(run=run))
    assert rows and all(isinstance(row.seen, list) for row in rows)

    records = reports.run_records(run)
    assert len(records.impressions) == sum(p.impressions for p in RunPost.objects.filter(run=run)) > 0
    assert all(i.persona_id and i.post_id and i.count == 1 for i in records.impressions)

    report = reports.build_run_report(run, records)
    [ad] = report.stimuli
    viewers = {row.agent_key for row in rows if ad.cascade.stimulus_post_id in row.seen}
    assert ad.cascade.seen_by == len(viewers) > 0
    [ages] = [s for s in report.segments if s.trait_key == "age_group"]
    assert {rate.segment for rate in ages.engagement} == {"under 40", "40 and over"}
    for rate in ages.engagement:
        members = {
            str(p.pk) for p in Persona.objects.for_org(tenancy.org_a) if p.traits["age_group"] == rate.segment
        }
        assert rate.impressions == sum(len(row.seen) for row in rows if row.agent_key in members)
        assert rate.engagement_rate == pytest.approx(rate.engagements / rate.impressions)
