"""A native crash in the offline model fails calls, then pauses the run with a sentence; it never
kills the worker or the web server (the model runs in a child process)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from simnet.llm import offline_process
from simulations.models import Interview, Run, RunAction, RunStatus
from simulations.runs import stepper
from simulations.runs.services import run_start
from simulations.runs.worlds import run_personas

pytestmark = pytest.mark.django_db(transaction=True)

SEGFAULT_ON_FIRST_REQUEST = """
    import ctypes, sys
    from simnet.llm.offline_process import receive
    receive(sys.stdin.buffer)
    receive(sys.stdin.buffer)
    ctypes.string_at(0)
"""


@pytest.fixture
def crashing_model(tmp_path, monkeypatch):
    script = tmp_path / "crashing_model.py"
    script.write_text(textwrap.dedent(SEGFAULT_ON_FIRST_REQUEST))
    monkeypatch.setattr(offline_process, "CHILD_COMMAND", (sys.executable, str(script)))
    monkeypatch.setattr(offline_process, "_PROCESSES", {})


@pytest.fixture
def offline_scenario(fake_scenario):
    fake_scenario.provider = None  # the embedded default
    fake_scenario.save()
    return fake_scenario


def test_a_crashing_model_records_errors_then_pauses_the_run_with_a_reason(
    offline_scenario, tenancy, crashing_model
):
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=offline_scenario)[0]

    outcomes = [stepper.advance(run_id=run.pk) for _ in range(4)]

    run = Run.unscoped.get(pk=run.pk)
    assert "paused: model crashed" in outcomes, outcomes
    committed = outcomes.index("paused: model crashed")
    assert outcomes[:committed] == [f"step {n} done" for n in range(committed)]  # errors, not a dead run
    assert outcomes[committed + 1 :] == ["not active"] * (len(outcomes) - committed - 1)
    assert run.status == RunStatus.PAUSED and run.next_step == committed >= 1
    assert "SIGSEGV" in run.status_reason
    assert "3 times in a row" in run.status_reason and "Resume" in run.status_reason
    errors = RunAction.objects.filter(run=run)
    assert errors.count() == 6 * committed and set(errors.values_list("outcome", flat=True)) == {"error"}
    assert "SIGSEGV" in errors.first().error


def test_an_interview_on_a_crashing_model_answers_with_an_error_and_the_server_lives(
    offline_scenario, tenancy, crashing_model, client_for
):
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=offline_scenario)[0]
    persona = run_personas(run)[0]
    viewer = client_for(tenancy.viewer)

    answers = [
        viewer.post(
            f"/simulations/{run.pk}/interview/", {"agent_key": str(persona["id"]), "question": "Why?"}
        )
        for _ in range(4)  # past the crash limit too
    ]

    assert all(answer.status_code < 500 for answer in answers), [a.status_code for a in answers]
    interviews = Interview.objects.filter(run=run)
    assert interviews.count() == 4
    assert all("SIGSEGV" in interview.error for interview in interviews)
