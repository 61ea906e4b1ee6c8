"""A run's actions and posts (cursor pagination, filters) and its events (sequence cursor)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from simulations.models import RunAction, RunEvent, RunPost
from tests.factories import RunActionFactory

pytestmark = pytest.mark.django_db


def url(run, what: str) -> str:
    return f"/api/v1/runs/{run.pk}/{what}/"


def follow(client, first: str) -> list[dict]:
    """Every row, page by page through ``next``."""
    rows, page, pages = [], first, 0
    while page:
        body = client.get(page).json()
        rows += body["results"]
        page, pages = body["next"], pages + 1
        assert pages < 100
    return rows


def test_actions_page_with_a_cursor_over_every_row_once(member_api, finished_run):
    expected = list(RunAction.objects.filter(run=finished_run).order_by("id").values_list("id", flat=True))
    assert len(expected) > 5
    first = member_api.get(f"{url(finished_run, 'actions')}?page_size=4").json()
    assert len(first["results"]) == 4 and first["previous"] is None and "cursor=" in first["next"]
    rows = follow(member_api, f"{url(finished_run, 'actions')}?page_size=4")
    assert [row["id"] for row in rows] == expected


def test_rows_written_while_paging_are_not_skipped(member_api, finished_run):
    first = member_api.get(f"{url(finished_run, 'actions')}?page_size=3").json()
    late = RunActionFactory(run=finished_run, step=99, agent_key="late", action="like")
    rest = follow(member_api, first["next"])
    seen = [row["id"] for row in first["results"] + rest]
    assert len(seen) == len(set(seen)) and seen[-1] == late.pk


def test_actions_filter_by_step_action_and_agent(member_api, finished_run):
    actions = RunAction.objects.filter(run=finished_run)
    step_one = member_api.get(f"{url(finished_run, 'actions')}?step=1").json()["results"]
    assert {row["step"] for row in step_one} == {1} and len(step_one) == actions.filter(step=1).count()
    kind = actions.order_by("id").first().action
    same = member_api.get(f"{url(finished_run, 'actions')}?action={kind}&page_size=500").json()["results"]
    assert {row["action"] for row in same} == {kind} and len(same) == actions.filter(action=kind).count()
    who = actions.order_by("id").first().agent_key
    agent = member_api.get(f"{url(finished_run, 'actions')}?agent_key={who}&page_size=500").json()["results"]
    assert {row["agent_key"] for row in agent} == {who} and len(agent) == actions.filter(agent_key=who).count()
    refused = member_api.get(f"{url(finished_run, 'actions')}?step=-1")
    assert refused.status_code == 400 and "step" in refused.json()["error"]["fields"]


def test_posts_page_and_filter_by_kind(member_api, finished_run):
    posts = RunPost.objects.filter(run=finished_run)
    rows = follow(member_api, f"{url(finished_run, 'posts')}?page_size=2")
    assert [row["id"] for row in rows] == list(posts.order_by("id").values_list("id", flat=True))
    stimuli = member_api.get(f"{url(finished_run, 'posts')}?is_stimulus=true").json()["results"]
    assert [row["text"] for row in stimuli] == ["The gift that will change her life."]
    only_posts = member_api.get(f"{url(finished_run, 'posts')}?kind=post").json()["results"]
    assert {row["kind"] for row in only_posts} == {"post"}


def test_a_page_of_actions_costs_a_fixed_number_of_queries(member_api, finished_run):
    member_api.get(url(finished_run, "actions"))  # the token's last_used_at is written on first use
    with CaptureQueriesContext(connection) as small:
        member_api.get(f"{url(finished_run, 'actions')}?page_size=2")
    with CaptureQueriesContext(connection) as large:
        member_api.get(f"{url(finished_run, 'actions')}?page_size=200")
    assert len(small) == len(large)


def test_events_after_a_sequence_number(member_api, finished_run):
    seqs = list(RunEvent.objects.filter(run=finished_run).order_by("seq").values_list("seq", flat=True))
    everything = member_api.get(url(finished_run, "events")).json()
    assert [event["seq"] for event in everything] == seqs == list(range(1, len(seqs) + 1))
    assert set(everything[0]) == {"seq", "kind", "payload", "at"}
    later = member_api.get(f"{url(finished_run, 'events')}?after=3&limit=2").json()
    assert [event["seq"] for event in later] == [4, 5]
    assert member_api.get(f"{url(finished_run, 'events')}?after={seqs[-1]}").json() == []
    assert member_api.get(f"{url(finished_run, 'events')}?after=-1").status_code == 400


@pytest.mark.parametrize("what", ["actions", "posts", "events"])
def test_another_organizations_run_rows_are_a_404_whatever_the_method(
    token_client, finished_run, org_b, what
):
    outsider = token_client("owner", org_b)
    for method in ("get", "post", "delete"):
        assert getattr(outsider, method)(url(finished_run, what)).status_code == 404
    assert outsider.get("/api/v1/runs/not-a-number/actions/").status_code == 404
