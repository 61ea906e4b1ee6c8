"""Through the worker's path (``stepper.advance``), the builder's default meeting on the demo
board reaches its decisions: every agenda item of the demo board scenario is voted on by every
member within the default six steps, and the report has the minutes of each vote."""

from __future__ import annotations

import pytest

from personas.models import PanelMember
from personas.services.demo import ensure_demo_panels
from simnet.providers.models import ProviderConfig
from simulations.engine.meeting import Phase
from simulations.insight import reports
from simulations.management.commands.seed_demo import BOARD_AGENDA
from simulations.models import RunStatus, Scenario
from simulations.runs.services import run_start
from simulations.runs.worlds import load_world
from simulations.scenarios.forms import ScenarioForm
from simulations.scenarios.services import scenario_create
from tests.support.runs import drive

pytestmark = pytest.mark.django_db
DEFAULT_STEPS = ScenarioForm.base_fields["steps"].initial


@pytest.fixture
def default_meeting(tenancy, fake_provider_env):
    board = ensure_demo_panels(organization=tenancy.org_a)["board"]
    provider = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="fake", kind="fake", model="fake-1"
    )
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=board, name="Board review",
        format=Scenario.Format.ROUNDTABLE, steps=DEFAULT_STEPS, agenda=BOARD_AGENDA, provider=provider,
    )  # fmt: skip
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]
    return board, drive(run)


def test_the_default_six_step_board_meeting_votes_on_every_item(default_meeting):
    board, run = default_meeting
    assert DEFAULT_STEPS == 6
    assert run.status == RunStatus.COMPLETED and run.next_step == 6
    world = load_world(run)
    assert world.meeting.phase is Phase.DONE
    members = {
        str(pid) for pid in PanelMember.objects.filter(panel=board).values_list("persona_id", flat=True)
    }
    assert len(members) == 7 and set(world.personas) == members
    for index in range(len(BOARD_AGENDA)):
        voters = {u.agent_id for u in world.meeting.utterances if u.item == index and u.phase == "vote"}
        assert voters == members, index


def test_its_report_has_a_decision_and_a_vote_with_rationale_per_member(default_meeting):
    _, run = default_meeting
    meeting = reports.run_report_data(run)["meeting"]
    assert meeting["closed"] and meeting["notes"] == []
    assert [item["agenda"] for item in meeting["items"]] == BOARD_AGENDA
    for item in meeting["items"]:
        assert item["outcome"] in ("carried", "rejected", "tied")
        assert len(item["votes"]) == 7 and item["not_voting"] == []
        assert all(vote["rationale"] for vote in item["votes"])
        assert item["action_items"]
