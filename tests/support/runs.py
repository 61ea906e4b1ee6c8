"""Run fixtures every simulation test area shares (a pytest plugin the root conftest loads):
a small panel, a scenario on the counting fake provider, runs started (queued, no worker) and
runs driven to the end in this process."""

from __future__ import annotations

import json

import pytest

from tests.support.fake_provider import ENABLED as FAKE_PROVIDER_KINDS


def make_panel(organization, size: int = 6, name: str = "Runs panel"):
    from personas.models import FollowEdge, Panel, PanelMember, Persona

    panel = Panel.objects.create(organization=organization, name=name)
    personas = []
    for i in range(size):
        persona = Persona.objects.create(
            organization=organization,
            handle=f"p{i}",
            display_name=f"Person {i}",
            card=f"You are Person {i}, who likes cycling and cooking.",
            propensities={"like": 0.2, "reply": 0.1, "repost": 0.05, "quote": 0.05, "post": 0.2, "follow": 0.02},
            activity_rate=1.0,
            interests="cycling cooking fitness",
        )
        PanelMember.objects.create(organization=organization, panel=panel, persona=persona)
        personas.append(persona)
    for a, b in zip(personas, personas[1:] + personas[:1]):
        FollowEdge.objects.create(organization=organization, panel=panel, follower=a, followee=b)
    return panel


@pytest.fixture
def fake_provider_env(tmp_path, monkeypatch, settings):
    """Turn on the counting fake provider; returns a function to (re)configure it."""
    settings.SIMNET_TEST_PROVIDER_KINDS = FAKE_PROVIDER_KINDS
    log = tmp_path / "fake-calls.log"

    def configure(**options):
        options.setdefault("log", str(log))
        monkeypatch.setenv("SIMNET_FAKE_PROVIDER", json.dumps(options))
        return log

    configure()
    return configure


@pytest.fixture
def fake_scenario(tenancy, fake_provider_env):
    from simnet.providers.models import ProviderConfig
    from simulations.scenarios.services import scenario_create

    org = tenancy.org_a
    provider = ProviderConfig.objects.create(organization=org, name="fake", kind="fake", model="fake-1")
    return scenario_create(
        organization=org,
        actor=tenancy.member,
        panel=make_panel(org),
        name="Holiday ad",
        steps=4,
        provider=provider,
        stimuli=[{"text": "The gift that will change her life.", "author_handle": "PelotonBrand", "boost": 0.5}],
    )


def drive(run, steps: int | None = None):
    """Take steps of ``run`` in this process (no worker); returns the fresh run."""
    from simulations.models import Run, RunStatus
    from simulations.runs import stepper

    for _ in range(steps if steps is not None else 100):
        stepper.advance(run_id=run.pk)
        fresh = Run.unscoped.get(pk=run.pk)
        if fresh.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            break
    return Run.unscoped.get(pk=run.pk)


@pytest.fixture
def started_run(fake_scenario, tenancy):
    from simulations.runs.services import run_start

    return run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario)[0]


@pytest.fixture
def finished_run(started_run):
    return drive(started_run)


@pytest.fixture
def roundtable_scenario(tenancy, fake_provider_env):
    from personas.models import PanelMember
    from simnet.providers.models import ProviderConfig
    from simulations.models import Scenario
    from simulations.scenarios.services import scenario_create

    org = tenancy.org_a
    panel = make_panel(org, size=4, name="Board")
    chair = PanelMember.objects.filter(panel=panel).order_by("persona__handle").first()
    PanelMember.objects.filter(panel=panel).update(role="Director")
    PanelMember.objects.filter(panel=panel, pk=chair.pk).update(role="Chair", is_chair=True)
    provider = ProviderConfig.objects.create(organization=org, name="fake", kind="fake", model="fake-1")
    return scenario_create(
        organization=org, actor=tenancy.member, panel=panel, name="Board review", steps=12,
        format=Scenario.Format.ROUNDTABLE, agenda=["Approve the holiday ad"], provider=provider,
    )  # fmt: skip
