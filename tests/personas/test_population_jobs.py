"""Sampling a population as a background job: exactly N personas, progress on the row, all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from personas.models import FollowEdge, Panel, PanelMember, Persona, PopulationJob
from personas.services import population_jobs, synthetic
from simnet.tenancy.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The tasks the service queues (run by hand here, as a worker would)."""
    tasks: list[tuple] = []
    monkeypatch.setattr(
        population_jobs, "async_task", lambda *args, **kwargs: tasks.append((*args, kwargs.get("timeout")))
    )
    return tasks


def _start(tenancy, django_capture_on_commit_callbacks, n: int, **extra) -> PopulationJob:
    with django_capture_on_commit_callbacks(execute=True):
        return population_jobs.population_job_start(
            organization=tenancy.org_a, actor=tenancy.member, n=n, seed=3, source="anes96", **extra
        )


def test_the_job_creates_exactly_n_personas_and_reports_progress(
    tenancy, queued, monkeypatch, django_capture_on_commit_callbacks
):
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(population_jobs, "PROGRESS_EVERY_S", 0.0)
    real = population_jobs._reporter

    def recording(job_id):
        report = real(job_id)

        def both(phase, done):
            report(phase, done)
            row = PopulationJob.unscoped.get(pk=job_id)
            seen.append((row.phase, row.done))  # what a page polling the row would read

        return both

    monkeypatch.setattr(population_jobs, "_reporter", recording)
    job = _start(tenancy, django_capture_on_commit_callbacks, 1200, avg_following=5)
    assert queued == [(population_jobs.TASK, job.pk, population_jobs.TASK_TIMEOUT_S)]
    assert job.status == "queued" and job.total == 1200
    before = Persona.objects.for_org(tenancy.org_a).count()

    done = population_jobs.population_job_execute(job_id=job.pk)

    assert done.status == "completed" and done.done == 1200 and done.percent == 100
    assert Persona.objects.for_org(tenancy.org_a).count() - before == 1200
    assert done.panel.memberships.count() == 1200 and done.panel.edges.count() > 0
    drawn = [count for phase, count in seen if phase == "drawing respondents"]
    assert drawn[:3] == [0, 500, 1000]
    assert ("writing persona cards", 1000) in seen and seen[-1] == ("saving", 1200)
    assert (
        population_jobs.population_job_execute(job_id=job.pk).panel_id == done.panel_id
    )  # redelivered: no-op
    assert Panel.objects.for_org(tenancy.org_a).count() == 1


def test_a_failure_while_saving_leaves_nothing_behind(
    tenancy, queued, monkeypatch, django_capture_on_commit_callbacks
):
    job = _start(tenancy, django_capture_on_commit_callbacks, 300)
    counts = [m.objects.for_org(tenancy.org_a).count() for m in (Panel, Persona, PanelMember, FollowEdge)]
    inserted: list[int] = []
    real = synthetic.FollowEdge.objects.bulk_create

    def fail_after_the_personas(objs, **kwargs):
        inserted.append(Persona.objects.for_org(tenancy.org_a).count())
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic.FollowEdge.objects, "bulk_create", fail_after_the_personas)

    failed = population_jobs.population_job_execute(job_id=job.pk)

    assert inserted and inserted[0] == counts[1] + 300  # the fault landed mid-way, personas written
    assert failed.status == "failed" and "disk full" in failed.message and failed.panel is None
    after = [m.objects.for_org(tenancy.org_a).count() for m in (Panel, Persona, PanelMember, FollowEdge)]
    assert after == counts
    monkeypatch.setattr(synthetic.FollowEdge.objects, "bulk_create", real)


def test_bad_arguments_are_refused_before_anything_is_queued(tenancy, queued):
    with pytest.raises(ApplicationError) as refused:
        population_jobs.population_job_start(
            organization=tenancy.org_a, actor=tenancy.member, n=10, seed=1, source="anes96",
            quotas={"party": {"dem": 80, "rep": 80}},
        )  # fmt: skip
    assert "160%" in refused.value.message and not PopulationJob.objects.for_org(tenancy.org_a).exists()
    with pytest.raises(ApplicationError):
        population_jobs.population_job_start(
            organization=tenancy.org_a, actor=tenancy.member, n=synthetic.MAX_POPULATION + 1, seed=1
        )
    assert queued == []


def test_the_page_shows_progress_then_the_panel(tenancy, member_client, outsider_client, queued):
    form = {
        "name": "",
        "description": "",
        "source": "anes96",
        "n": 40,
        "seed": 2,
        "avg_following": 5,
        "homophily": 0.7,
    }
    response = member_client.post(reverse("panel_create_population"), form)
    job = PopulationJob.objects.for_org(tenancy.org_a).get()
    url = reverse("population_job", args=[job.pk])
    assert response.status_code == 302 and response["Location"] == url
    waiting = member_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert waiting.lstrip().startswith('<section id="population-job"') and 'hx-trigger="every 1s"' in waiting
    assert "0 of 40 (0%)" in waiting
    population_jobs.population_job_execute(job_id=job.pk)
    page = member_client.get(url).content.decode()
    job.refresh_from_db()
    assert reverse("panel_detail", args=[job.panel_id]) in page and "every 1s" not in page
    assert outsider_client.get(url).status_code == 404


def test_the_api_answers_202_and_the_job_404s_to_outsiders(tenancy, member_api, token_client, queued):
    outsider_api = token_client("member", tenancy.org_b)
    started = member_api.post(
        "/api/v1/panels/population/", {"n": 20, "seed": 4, "source": "anes96"}, format="json"
    )
    assert started.status_code == 202 and started.json()["status"] == "queued"
    assert outsider_api.get(started.json()["url"]).status_code == 404
    population_jobs.population_job_execute(job_id=started.json()["id"])
    assert member_api.get(started.json()["url"]).json()["status"] == "completed"


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: no ``except Exception`` runs, the row is left as it was."""


def test_the_watchdog_fails_a_job_whose_worker_died_and_spares_a_live_one(
    tenancy, queued, monkeypatch, django_capture_on_commit_callbacks
):
    dead = _start(tenancy, django_capture_on_commit_callbacks, 300)
    live = _start(tenancy, django_capture_on_commit_callbacks, 300)
    waiting = _start(tenancy, django_capture_on_commit_callbacks, 300)

    def dies_while_drawing(*, progress, **kwargs):
        progress("drawing respondents", 100)
        raise WorkerKilled

    monkeypatch.setattr(synthetic, "panel_create_population", dies_while_drawing)
    with pytest.raises(WorkerKilled):
        population_jobs.population_job_execute(job_id=dead.pk)
    PopulationJob.unscoped.filter(pk=live.pk).update(status=PopulationJob.Status.RUNNING)
    assert population_jobs.population_job_execute(job_id=dead.pk).status == "running"  # redelivered: taken

    assert population_jobs.fail_dead_population_jobs() == 0  # its heartbeat is fresh
    stale = timezone.now() - timedelta(seconds=population_jobs.STALE_AFTER_S + 1)
    PopulationJob.unscoped.filter(pk=dead.pk).update(heartbeat_at=stale)
    PopulationJob.unscoped.filter(pk=live.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=60))
    assert population_jobs.fail_dead_population_jobs() == 1

    dead.refresh_from_db()
    assert (dead.status, dead.phase, dead.done) == ("failed", "failed", 100)
    assert "worker stopped while sampling" in dead.message and dead.finished_at is not None
    statuses = dict(PopulationJob.unscoped.filter(pk__in=[live.pk, waiting.pk]).values_list("pk", "status"))
    assert statuses == {live.pk: "running", waiting.pk: "queued"}
    assert not Panel.objects.for_org(tenancy.org_a).exists()


def test_the_watchdog_runs_every_minute():
    from django_q.models import Schedule

    [schedule] = Schedule.objects.filter(func="personas.tasks.watchdog")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)
