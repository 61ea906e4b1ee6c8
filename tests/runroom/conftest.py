"""Fixtures for the simulation pages: the run fixtures of tests/runs plus runs driven in-process."""

from __future__ import annotations

import pytest

from tests.runs import conftest as run_fixtures
from tests.runs.conftest import make_panel

# The run fixtures of tests/runs, shared here (pytest finds fixtures by module attribute).
fake_provider_env = run_fixtures.fake_provider_env
fake_scenario = run_fixtures.fake_scenario


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
