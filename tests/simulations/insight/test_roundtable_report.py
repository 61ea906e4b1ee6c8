"""A roundtable's report is the meeting's: minutes, votes with reasons, positions, action items,
and no words of a feed report. Runs are driven end to end on the fake provider."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest
from django.urls import reverse

from simnet.llm.base import LLMRequest, LLMResponse
from simulations.insight import reports
from simulations.models import Run, RunStatus, Scenario
from tests.support.runs import drive

FEED_PHRASES = ("Nobody replied", "No stimulus was published", "Replies and quotes", "Backlash risk")
# What each board member says (first and second time) and why they vote as they do: distinct
# sentences, so the quality gate sees people talking, not a template repeated.
SPEECHES = {
    "p0": ("Let us weigh the holiday advert on its merits; I lean towards approving it.",
           "Warm stories have served this brand well in past holiday seasons."),
    "p1": ("The holiday advert feels condescending, and angry reviews could follow within days.",
           "Reviewers online might mock the holiday spot before we can react."),
    "p2": ("Last winter emotional holiday campaigns lifted conversion by nearly a fifth for us.",
           "Customers told our surveys they remember heartfelt holiday messages."),
    "p3": ("Spending heavily on television for the holiday before testing online seems reckless.",
           "A smaller holiday pilot would tell us more for far less money."),
}  # fmt: skip
STARTS = {"p0": "for", "p1": "against", "p2": "for", "p3": "against"}
VOTES = {
    "p0": ("for", "Storytelling fits our brand, so I approve the holiday advert."),
    "p1": ("for", "Those conversion figures persuaded me to approve the holiday launch."),
    "p2": ("for", "Evidence favours launching the holiday campaign now."),
    "p3": ("against", "Untested holiday spending remains too risky for this quarter."),
}
HANDLE = re.compile(r"\(@(p\d)\)")


class ScriptedBoard:
    """p1 opposes while discussing and then votes for, after answering p2; p3 opposes throughout."""

    name, model = "fake", "fake-1"

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: LLMRequest) -> LLMResponse:
        handle = HANDLE.search(request.system).group(1)
        if "Vote now" in request.user:
            position, text = VOTES[handle]
            data = {"action": "vote", "target": None, "text": text, "position": position, "reason": "my view"}
        else:
            spoke = f"@{handle}:" in request.user
            target = "@p2" if handle == "p1" else None
            text = SPEECHES[handle][int(spoke)]
            data = {
                "action": "speak",
                "target": target,
                "text": text,
                "position": STARTS[handle],
                "reason": "my view",
            }
        return LLMResponse(request.key, json.dumps(data), data=data)


def scripted_board() -> ScriptedBoard:
    return ScriptedBoard()


@pytest.fixture
def board_scenario(roundtable_scenario, settings):
    """The four-member board scenario, its provider answering as ``ScriptedBoard``."""
    settings.SIMNET_TEST_PROVIDER_KINDS = {"fake": f"{__name__}.scripted_board"}
    return roundtable_scenario


def start(scenario, tenancy, steps: int) -> Run:
    from simulations.runs.services import run_start

    Scenario.unscoped.filter(pk=scenario.pk).update(steps=steps)
    scenario.refresh_from_db()
    return run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]


@pytest.fixture
def meeting_run(board_scenario, tenancy) -> Run:
    """A default six-step board meeting, run to the end."""
    run = drive(start(board_scenario, tenancy, 6))
    assert run.status == RunStatus.COMPLETED
    return run


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_a_six_step_meeting_reports_its_vote_minutes_positions_and_actions(meeting_run, owner_client):
    response = owner_client.get(reverse("run_report", kwargs={"run_id": meeting_run.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    meeting = reports.run_report_data(meeting_run)["meeting"]
    [item] = meeting["items"]
    assert item["voted"] and item["outcome"] in ("carried", "rejected", "tied")
    assert sum(item["tally"].values()) == len(item["votes"]) >= 1
    body = section(page, "item-1")
    assert "Minutes" in body and "The vote" in body and "Action items" in body
    for vote in item["votes"]:
        assert vote["rationale"] and vote["rationale"] in body
        assert f"@{vote['handle']}" in body
    assert "Positions at the start and at the end" in body
    assert body.count("<tr><td>@") >= 2 * len(item["positions"]) - 1  # a row per member, votes and positions
    assert item["action_items"] and item["action_items"][0]["text"] in body.replace("&#x27;", "'")
    assert "Who moved whom" in body and item["moves_note"].split(":")[0] in body
    assert not any(phrase in page for phrase in FEED_PHRASES)


def test_the_report_credits_a_change_of_mind_and_names_the_dissent(meeting_run, owner_client):
    page = owner_client.get(reverse("run_report", kwargs={"run_id": meeting_run.pk})).content.decode()
    [item] = reports.run_report_data(meeting_run)["meeting"]["items"]
    assert item["outcome"] == "carried" and item["tally"] == {"for": 3, "against": 1, "abstain": 0}
    positions = {row["handle"]: (row["start"], row["end"]) for row in item["positions"]}
    assert positions["p1"] == ("against", "for") and positions["p3"] == ("against", "against")
    [move] = item["moves"]  # p1, who heard (or answered) those arguing for
    assert (move["handle"], move["before"], move["after"]) == ("p1", "against", "for")
    assert move["movers"] and set(move["movers"]) <= {"p0", "p2"} and move["basis"] in ("answered", "heard")
    body = section(page, "item-1")
    assert "@p1 went from <strong>against</strong> to <strong>for</strong>" in body
    assert f"after {'answering' if move['basis'] == 'answered' else 'hearing'} @{move['movers'][0]}" in body
    minutes = body.split("<h3>Minutes</h3>")[1].split("<h3>The vote</h3>")[0]
    assert SPEECHES["p3"][0] in minutes and SPEECHES["p1"][1] in minutes  # each member's last argument
    assert "Untested holiday spending remains too risky for this quarter." in body  # p3's rationale
    assert "Answer @p3&#x27;s objection before acting" in body


def test_the_report_json_carries_the_meeting(meeting_run, viewer_api):
    response = viewer_api.get(reverse("api_run_report", kwargs={"run_id": meeting_run.pk}))
    assert response.status_code == 200
    meeting = response.json()["meeting"]
    [item] = meeting["items"]
    assert {"votes", "positions", "moves", "action_items", "key_points", "tally"} <= set(item)
    assert meeting["notes"] == []  # the meeting ended with its vote: nothing missing
    assert not reports.FEED_ONLY_KEYS & set(response.json())  # no backlash, sentiment or trust of a feed
    assert not any(phrase in response.content.decode() for phrase in ("Nobody replied", "No stimulus"))


def test_a_meeting_stopped_before_its_vote_says_so(board_scenario, tenancy, owner_client):
    run = drive(start(board_scenario, tenancy, 6), steps=2)
    Run.unscoped.filter(pk=run.pk).update(status=RunStatus.CANCELLED)
    page = owner_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    notes = section(page, "meeting-notes")
    assert "No vote on item 1: the run stopped before the vote." in notes
    assert "no vote" in section(page, "decisions")
    body = section(page, "item-1")
    assert "not enough data" in body.split("Who moved whom")[1]  # changes of mind need positions
    positions = body.split("Positions at the start and at the end")[1].split("Who moved whom")[0]
    unstated = [
        row for row in reports.run_report_data(run)["meeting"]["items"][0]["positions"] if not row["start"]
    ]
    assert unstated and positions.count("not enough data: stated no position") == len(unstated)


def test_a_feed_run_keeps_the_feed_report(finished_run, member_client):
    page = member_client.get(reverse("run_report", kwargs={"run_id": finished_run.pk})).content.decode()
    assert 'id="backlash"' in page and 'id="decisions"' not in page
    assert reports.run_report_data(finished_run)["meeting"] is None


def test_another_organization_gets_404(meeting_run, owner_client, outsider_client):
    url = reverse("run_report", kwargs={"run_id": meeting_run.pk})
    assert owner_client.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404


def test_a_stored_report_of_an_older_version_is_rebuilt_with_the_meeting(meeting_run):
    from simulations.models import RunReportCache

    reports.run_report_data(meeting_run)
    RunReportCache.objects.filter(run=meeting_run).update(version="3", data={"stale": True})
    data = reports.run_report_data(meeting_run)
    assert data["version"] == reports.REPORT_VERSION and data["meeting"]["items"]
