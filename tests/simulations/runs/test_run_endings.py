"""Every way a run ends goes through ``lifecycle.finish()`` and does the same follow-ups.

A run that ends frees its concurrency slot (the runs waiting for one are queued) and gets its
report stored, whether its last step completed it or a user cancelled it. No code outside
``simulations/runs/lifecycle.py`` writes a final status.
"""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings

from simnet.tenancy.errors import ApplicationError
from simulations.models import Run, RunEvent, RunReportCache, RunStatus
from simulations.runs import lifecycle, queue, stepper
from simulations.runs.services import run_cancel, run_pause, run_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued_tasks(monkeypatch) -> list[tuple[str, tuple]]:
    """The tasks handed to django-q2 (steps and follow-ups), kept to be run as a worker would."""
    queued: list[tuple[str, tuple]] = []

    def enqueue(name, *args, **kwargs):
        queued.append((name, args))

    monkeypatch.setattr(queue, "async_task", enqueue)
    monkeypatch.setattr(lifecycle, "async_task", enqueue)
    return queued


def _run_as_a_worker(queued: list[tuple[str, tuple]]) -> None:
    tasks = list(queued)
    queued.clear()
    for name, args in tasks:
        module, function = name.rsplit(".", 1)
        getattr(import_module(module), function)(*args)


def _start(scenario, user) -> Run:
    return run_start(organization=scenario.organization, actor=user, scenario=scenario)[0]


def _complete(run: Run, user) -> None:
    for _ in range(run.total_steps + 1):
        stepper.advance(run_id=run.pk)


def _cancel(run: Run, user) -> None:
    run_cancel(run=Run.unscoped.get(pk=run.pk), actor=user)


@pytest.mark.parametrize("end", [_complete, _cancel], ids=["completed", "cancelled by a user"])
def test_an_ending_run_wakes_the_run_waiting_for_its_slot_and_stores_its_report(
    end, fake_scenario, tenancy, queued_tasks
):
    tenancy.org_a.max_concurrent_runs = 1
    tenancy.org_a.save()
    first = _start(fake_scenario, tenancy.member)
    assert stepper.advance(run_id=first.pk) == "step 0 done"
    waiting = _start(fake_scenario, tenancy.member)
    assert stepper.advance(run_id=waiting.pk) == "waiting for a free slot"
    queued_tasks.clear()

    end(first, tenancy.member)

    assert ("simulations.tasks.advance_run", (waiting.pk,)) in queued_tasks
    assert ("simulations.tasks.store_run_report", (first.pk,)) in queued_tasks
    _run_as_a_worker(queued_tasks)
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.RUNNING and waiting.next_step >= 1  # it started
    assert RunReportCache.objects.filter(run=first).exists()


def test_a_cancel_that_loses_the_race_to_a_completion_leaves_the_run_completed(fake_scenario, tenancy):
    run = _start(fake_scenario, tenancy.member)
    stale = Run.unscoped.get(pk=run.pk)  # the page the user clicked on still shows it queued
    _complete(run, tenancy.member)
    events = RunEvent.objects.filter(run=run).count()

    with pytest.raises(ApplicationError):
        run_cancel(run=stale, actor=tenancy.member)

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and RunEvent.objects.filter(run=run).count() == events


def test_pausing_a_queued_run_goes_through_the_lifecycle_and_its_follow_ups(fake_scenario, tenancy, monkeypatch):
    sent = []
    monkeypatch.setattr(lifecycle, "emit", lambda **kwargs: sent.append(kwargs["event"]))
    woken = []
    monkeypatch.setattr(lifecycle, "_start_waiting_runs", woken.append)
    run = _start(fake_scenario, tenancy.member)

    run = run_pause(run=run, actor=tenancy.member)

    assert run.status == RunStatus.PAUSED and run.status_reason == "Paused by a user."
    assert sent == ["run.paused"] and woken == [run.organization_id]


def test_a_paused_run_can_be_cancelled(fake_scenario, tenancy):
    run = run_pause(run=_start(fake_scenario, tenancy.member), actor=tenancy.member)
    assert run.status == RunStatus.PAUSED

    assert run_cancel(run=run, actor=tenancy.member).status == RunStatus.CANCELLED


# --- No code outside lifecycle writes a final status.

FINAL_NAMES = {status.name for status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)}
WRITERS = {"update", "create", "get_or_create", "update_or_create"}
APP_PACKAGES = ("simnet", "personas", "scraping", "simulations")
OWNER = Path(settings.BASE_DIR) / "simulations" / "runs" / "lifecycle.py"


def _is_final_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in FINAL_NAMES and _root(node) == "RunStatus"


def _is_safe_constant(node: ast.expr) -> bool:
    """``RunStatus.QUEUED`` and the other statuses a run may move to outside lifecycle."""
    return isinstance(node, ast.Attribute) and _root(node) == "RunStatus" and node.attr not in FINAL_NAMES


def _root(node: ast.expr) -> str | None:
    """The name a chain such as ``Run.unscoped.filter(pk=1).update`` starts from."""
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _items(node: ast.expr) -> list[ast.expr]:
    """The parts of ``a, b`` (either side of an assignment), or ``[node]``."""
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def _writes_a_final_status(node: ast.AST) -> bool:
    """A status write a run could end by: ``status=`` in a create/update on a ``Run`` chain (any
    value but a non-final constant), ``status=RunStatus.<final>`` in any create/update, or an
    assignment of ``RunStatus.<final>`` to an attribute ``status``."""
    if isinstance(node, ast.Call):
        func = node.func
        is_writer = isinstance(func, ast.Attribute) and func.attr in WRITERS
        on_run = _root(func) == "Run"
        for keyword in node.keywords:
            if keyword.arg != "status":
                continue
            if is_writer and _is_final_constant(keyword.value):
                return True
            if (is_writer or isinstance(func, ast.Name)) and on_run and not _is_safe_constant(keyword.value):
                return True
    if isinstance(node, ast.Assign):
        targets = [t for target in node.targets for t in _items(target)]
        values = _items(node.value)
        writes_status = any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets)
        return writes_status and any(_is_final_constant(value) for value in values)
    return False


def final_status_writes(source: str) -> list[int]:
    """Line numbers of ``source`` that write a run's final status."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if _writes_a_final_status(node)]


@pytest.mark.parametrize(
    "source",
    [
        'Run.unscoped.filter(pk=1).update(status=RunStatus.CANCELLED, status_reason="Cancelled by a user.")',
        'Run.objects.filter(pk=1).update(status="failed")',
        "Run.unscoped.filter(pk=1).update(status=status)",
        "Run(status=RunStatus.COMPLETED)",
        "runs.update(status=RunStatus.FAILED)",
        "run.status = RunStatus.COMPLETED",
        "run.status, run.status_reason = RunStatus.CANCELLED, reason",
    ],
)
def test_the_scan_finds_a_final_status_written_outside_lifecycle(source):
    assert final_status_writes(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "Run.objects.filter(status=RunStatus.COMPLETED).count()",
        "Run.unscoped.filter(pk=1).update(status=RunStatus.PAUSED)",
        'Experiment.unscoped.filter(pk=1).update(status="completed")',
        "job.status = ImportJob.Status.FAILED",
    ],
)
def test_the_scan_leaves_reads_and_other_models_alone(source):
    assert final_status_writes(source) == []


def test_no_code_outside_lifecycle_writes_a_final_run_status():
    base = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(base)}:{line}"
        for package in APP_PACKAGES
        for path in sorted((base / package).rglob("*.py"))
        if "migrations" not in path.parts and path != OWNER
        for line in final_status_writes(path.read_text())
    ]
    assert not offenders, f"end runs with lifecycle.finish(), not here: {offenders}"


def _experiment_of(scenario, user, runs: int):
    from simulations.models import Experiment

    experiment = Experiment.objects.create(
        organization=scenario.organization, scenario=scenario, name="Drafts"
    )
    started = [_start(scenario, user) for _ in range(runs)]
    Run.unscoped.filter(pk__in=[run.pk for run in started]).update(experiment=experiment)
    return experiment, started


def test_a_failing_follow_up_never_skips_the_experiments_completion(
    fake_scenario, tenancy, queued_tasks, monkeypatch
):
    experiment, [run] = _experiment_of(fake_scenario, tenancy.member, runs=1)

    def broken_webhooks(run, status):
        raise RuntimeError("the webhook table is locked")

    monkeypatch.setattr(lifecycle, "_emit_webhook", broken_webhooks)
    _complete(run, tenancy.member)

    experiment.refresh_from_db()
    assert experiment.status == "completed"
    assert ("simulations.tasks.store_experiment_comparison", (experiment.pk,)) in queued_tasks


def test_the_watchdog_completes_an_experiment_whose_last_follow_up_was_lost(
    fake_scenario, tenancy, queued_tasks
):
    lost, lost_runs = _experiment_of(fake_scenario, tenancy.member, runs=2)
    going, going_runs = _experiment_of(fake_scenario, tenancy.member, runs=2)
    Run.unscoped.filter(pk__in=[r.pk for r in lost_runs + going_runs[:1]]).update(status=RunStatus.COMPLETED)

    stepper.resume_stalled()

    lost.refresh_from_db()
    going.refresh_from_db()
    assert lost.status == "completed" and going.status == "running"  # one run of ``going`` is still queued
    assert ("simulations.tasks.store_experiment_comparison", (lost.pk,)) in queued_tasks
    assert ("simulations.tasks.store_experiment_comparison", (going.pk,)) not in queued_tasks
