"""Large imports never hold the database's write lock for long, stay all-or-nothing, and survive a dead worker.

Rows are committed in chunks into a batch that stays invisible until a short publish; these tests
measure the publish structurally (rows and statements it writes), inject a failure mid-staging,
and kill a worker mid-staging so the watchdog has to re-queue the job and it resumes.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from personas.models import HistoryItem, SourceAccount
from scraping import runner
from scraping.models import ImportJob
from scraping.tasks import run_import, watchdog
from tests.support.imports import row_counts, run, start, upload

pytestmark = pytest.mark.django_db

CHUNK = 50


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing after it runs (not even the runner's failure handling)."""


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr("personas.services.importer.STAGE_CHUNK_ROWS", CHUNK)


def history_csv(rows: int, handles: int = 1) -> bytes:
    lines = ["handle,kind,item_id,text,created_at"]
    lines += [
        f"user{i % handles},post,{i},post number {i},2024-01-{1 + i % 28:02d}T08:{i % 60:02d}:00Z"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def written_tables(queries) -> list[str]:
    """The table each INSERT/UPDATE/DELETE statement wrote to."""
    tables = []
    for query in queries:
        sql = query["sql"].strip()
        verb = sql.split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            target = re.search(
                r'(?:INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', sql, re.IGNORECASE
            )
            tables.append(target.group(1))
    return tables


def measure_publish(monkeypatch) -> dict:
    """Wrap the runner's publish transaction and record what it wrote."""
    seen: dict = {}
    publish = runner._finish

    def measured(*args, **kwargs):
        changes_before = connection.connection.total_changes if connection.vendor == "sqlite" else None
        with CaptureQueriesContext(connection) as queries:
            result = publish(*args, **kwargs)
        seen["tables"] = written_tables(queries.captured_queries)
        if changes_before is not None:
            seen["rows"] = connection.connection.total_changes - changes_before
        return result

    monkeypatch.setattr(runner, "_finish", measured)
    return seen


def test_the_publish_writes_a_few_rows_per_account_and_none_per_item(tenancy, monkeypatch):
    small = measure_publish(monkeypatch)
    run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("s.csv", history_csv(60, handles=2))))
    large = measure_publish(monkeypatch)
    job = run(
        start(
            tenancy.org_b, tenancy.outsider, "tabular", upload=upload("l.csv", history_csv(3000, handles=2))
        )
    )

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert row_counts(tenancy.org_b)["history"] == 3000, "positive control: everything was published"
    assert not {"personas_historyitem", "personas_sourcefollow"} & set(large["tables"]), large["tables"]
    assert len(large["tables"]) == len(small["tables"]), "same statements for 60 and 3,000 items"
    if connection.vendor == "sqlite":
        assert large["rows"] == small["rows"] < 30, (small, large)


def test_a_failure_mid_staging_leaves_nothing_visible(tenancy, settings, monkeypatch):
    stage = runner.bundles_stage
    hidden_while_staging = []

    def failing_stage(**kwargs):
        on_chunk = kwargs["on_chunk"]

        def chunk_then_fail(done: int, total: int) -> None:
            on_chunk(done, total)
            if done == 2 * CHUNK:
                hidden_while_staging.append(
                    (
                        HistoryItem.unscoped.filter(organization=tenancy.org_a).count(),
                        HistoryItem.objects.for_org(tenancy.org_a).count(),
                    )
                )
            if done == 3 * CHUNK:
                raise RuntimeError("the disk filled up")

        return stage(**{**kwargs, "on_chunk": chunk_then_fail})

    monkeypatch.setattr(runner, "bundles_stage", failing_stage)
    job = start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", history_csv(300)))

    with pytest.raises(RuntimeError):
        run(job)

    job.refresh_from_db()
    assert hidden_while_staging == [(2 * CHUNK, 0)], "rows were staged, and hidden, before the failure"
    assert job.status == ImportJob.Status.FAILED
    assert row_counts(tenancy.org_a) == {"accounts": 0, "history": 0, "follows": 0, "personas": 0}
    assert not HistoryItem.unscoped.filter(organization=tenancy.org_a).exists(), "staged rows are deleted"
    assert not SourceAccount.unscoped.filter(organization=tenancy.org_a).exists()
    assert not [path for path in (settings.MEDIA_ROOT / "imports").rglob("*") if path.is_file()]


def test_a_job_whose_worker_died_is_requeued_by_the_watchdog_and_resumes_from_its_checkpoint(
    tenancy, monkeypatch
):
    stage = runner.bundles_stage
    chunks: list[list[int]] = []

    def staging(*, kill_after: int | None):
        def wrapped(**kwargs):
            on_chunk, attempt = kwargs["on_chunk"], []
            chunks.append(attempt)

            def chunk(done: int, total: int) -> None:
                on_chunk(done, total)
                attempt.append(done)
                if done == kill_after:
                    raise WorkerKilled

            return stage(**{**kwargs, "on_chunk": chunk})

        return wrapped

    enqueued: list[int] = []
    monkeypatch.setattr(runner, "enqueue_import", enqueued.append)
    monkeypatch.setattr(runner, "bundles_stage", staging(kill_after=3 * CHUNK))  # dies inside chunk 3
    job = start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", history_csv(300)))
    with pytest.raises(WorkerKilled):
        run(job)
    job.refresh_from_db()
    assert (job.status, job.staged_rows) == (ImportJob.Status.RUNNING, 2 * CHUNK)

    assert watchdog() == 0 and enqueued == [], "control: a live lease is left alone"
    ImportJob.unscoped.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert watchdog() == 1 and enqueued == [job.pk]

    monkeypatch.setattr(runner, "bundles_stage", staging(kill_after=None))
    run_import(enqueued[0])

    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert job.attempts == 2
    assert chunks[1][0] == 3 * CHUNK, "the second worker continued after the committed chunks"
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 300, "follows": 0, "personas": 1}
    assert HistoryItem.unscoped.filter(organization=tenancy.org_a).count() == 300, "no duplicates"
