"""Running one import job: claim it, fetch or parse, store, and finish the account all-or-nothing.

Durability (same contract as runs): a worker claims the job with a compare-and-set lease; every
network page is stored together with its checkpoint in one transaction (``ImportStagedItem``,
de-duplicated by unique keys), and only while the lease is still ours; so a killed worker, a
redelivered task or a retry continues from the last stored page without duplicates. When the
account is complete its rows are staged in small transactions into an ``ImportBatch`` (invisible
until published, see ``personas.services.importer``), each chunk committed with the job's lease and
checkpoint (``staged_rows``), then published in one short transaction. A failure deletes the
batch's rows and the upload. A task works for at most ``IMPORT_TASK_SLICE_SECONDS`` and then
queues its continuation, so no task runs into the worker timeout. A rate limit parks the job
(``waiting_rate_limit``) and schedules it for the reset time. The watchdog
(``resume_stalled_imports``, every minute) re-queues a job whose worker died (lease expired) or
whose task was lost, and it continues from its checkpoint.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import schedule

from personas.models import ImportBatch, Panel
from personas.services.importer import (
    STAGE_CHUNK_ROWS,
    ImportOptions,
    batch_discard,
    batch_open,
    batch_publish,
    bundles_stage,
)
from scraping import audience
from scraping.connectors import is_network, open_batches, parse_file
from scraping.leases import LeaseLost
from scraping.leases import lease_duration as _lease
from scraping.leases import leased_row as _mine
from scraping.leases import org_jobs as _jobs
from scraping.models import ImportJob, ImportStagedItem
from scraping.services import RUN_TASK, enqueue_import
from scraping.sources import Batch, RateLimited, RowErrors, SourceError, record_json
from scraping.sources.records import AccountBundle, ImportFailed, cap_item_texts
from scraping.storage import delete_upload, upload_file_path
from simnet.tenancy.secrets import SecretUnreadable, decrypt_for

log = logging.getLogger(__name__)

Echo = Callable[[int, "int | None", str], None]
MAX_STORED_ERRORS = 200
NAMED_ACCOUNTS = 3  # a new panel is named after the first few imported accounts
PROGRESS_SAVE_SECONDS = 1.0  # file imports: how often parse progress is written for the live page


def _default_slice() -> float:
    return settings.IMPORT_TASK_SLICE_SECONDS


def _claim(job_id: int) -> ImportJob | None:
    found = ImportJob.unscoped.select_related("organization").filter(pk=job_id).first()  # system code: a task
    if found is None:
        return None
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = (
        Q(status=ImportJob.Status.QUEUED)
        | Q(status=ImportJob.Status.WAITING_RATE_LIMIT, resume_at__lte=now)
        | Q(status=ImportJob.Status.RUNNING, lease_expires_at__lt=now)
    )
    claimed = (
        _jobs(found)
        .filter(pk=job_id)
        .filter(claimable)
        .update(
            status=ImportJob.Status.RUNNING,
            status_message="Importing.",
            lease_token=token,
            lease_expires_at=now + _lease(),
            attempts=F("attempts") + 1,
            resume_at=None,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    job = _jobs(found).select_related("organization", "panel", "batch").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        _mine(job).update(started_at=now)
    return job


class _Progress:
    """Receives connector progress; file imports save it every second, network imports with each page."""

    def __init__(self, job: ImportJob, echo: Echo | None, save_every: float | None) -> None:
        self.job, self.echo, self.save_every = job, echo, save_every
        self.done, self.total, self.message = job.progress_done, job.progress_total, job.progress_message
        self.saved_at = time.monotonic()

    def __call__(self, done: int, total: int | None, message: str) -> None:
        self.done, self.total, self.message = done, total, message
        if self.echo is not None:
            self.echo(done, total, message)
        if self.save_every is not None and time.monotonic() - self.saved_at >= self.save_every:
            if not _mine(self.job).update(**self.fields(), lease_expires_at=timezone.now() + _lease()):
                raise LeaseLost
            self.saved_at = time.monotonic()

    def fields(self) -> dict:
        return {
            "progress_done": max(0, self.done),
            "progress_total": self.total,
            "progress_message": self.message[:300],
            "updated_at": timezone.now(),
        }


def import_run(*, job_id: int, echo: Echo | None = None, time_slice: float | None = -1) -> str:
    """Work on the job; returns its status afterwards (or "skipped" when another worker has it).

    ``time_slice``: seconds before a network import hands over to a fresh task (-1: the
    ``IMPORT_TASK_SLICE_SECONDS`` setting; None: run to the end, as the management command does).
    """
    job = _claim(job_id)
    if job is None:
        return "skipped"
    slice_seconds = _default_slice() if time_slice == -1 else time_slice
    try:
        if job.is_audience:
            return _run_audience(job, echo, slice_seconds)
        if is_network(job.connector):
            return _run_network(job, echo, slice_seconds)
        return _run_file(job, echo)
    except LeaseLost:
        return "skipped"
    except RateLimited as exc:
        _wait_for_rate_limit(job, exc)
        return ImportJob.Status.WAITING_RATE_LIMIT
    except ImportFailed as exc:
        _fail(job, exc)
        return ImportJob.Status.FAILED
    except Exception:
        log.exception("import %s stopped by an internal error", job.pk)
        _fail(
            job,
            ImportFailed("An internal error stopped this import. It has been logged; retry it later."),
            keep_position=True,
        )
        raise


# --- network imports: pages staged with their checkpoint -------------------------------------


def _credential(job: ImportJob) -> str:
    if not job.credential_encrypted:
        return ""
    try:
        return decrypt_for(job.organization_id, job.credential_encrypted)
    except SecretUnreadable:
        raise ImportFailed("The stored credential can no longer be read; enter it again and retry.") from None


def _run_network(job: ImportJob, echo: Echo | None, slice_seconds: float | None) -> str:
    progress = _Progress(job, echo, save_every=None)
    batches = open_batches(
        connector=job.connector,
        account=job.params["account"],
        credential=_credential(job),
        checkpoint=job.checkpoint or None,
        base_url=job.params.get("base_url"),
        progress=progress,
    )
    started = time.monotonic()
    with closing(batches):
        for batch in batches:
            _store_batch(job, batch, progress)
            if slice_seconds is not None and time.monotonic() - started >= slice_seconds:
                _hand_over(job)
                return ImportJob.Status.QUEUED
    _publish(job, [_staged_bundle(job)], progress)
    _delete_in_chunks(job.staged.all())  # the fetched pages are published now
    return ImportJob.Status.COMPLETED


def _store_batch(job: ImportJob, batch: Batch, progress: _Progress, member: str = "") -> None:
    """Stage one page with its checkpoint; ``member``: the audience account it belongs to."""
    bundle = cap_item_texts(batch.bundle)
    rows = [
        ImportStagedItem(
            organization_id=job.organization_id,
            job=job,
            account=member,
            kind=ImportStagedItem.Kind.HISTORY,
            key=record_json.history_key(r),
            data=record_json.history_to_json(r),
        )
        for r in bundle.history
    ]
    for kind, follows in (
        (ImportStagedItem.Kind.FOLLOWING, bundle.following),
        (ImportStagedItem.Kind.FOLLOWER, bundle.followers),
    ):
        rows += [
            ImportStagedItem(
                organization_id=job.organization_id,
                job=job,
                account=member,
                kind=kind,
                key=record_json.follow_key(f),
                data=record_json.follow_to_json(f),
            )
            for f in follows
        ]
    job.notes = job.notes + [note for note in bundle.notes if note not in job.notes]
    with transaction.atomic():
        ImportStagedItem.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        stored = _mine(job).update(
            checkpoint=batch.checkpoint,
            staged_account=record_json.account_to_json(bundle.account),
            notes=job.notes,
            lease_expires_at=timezone.now() + _lease(),
            **progress.fields(),
        )
        if not stored:
            raise LeaseLost  # rolls this page back; the lease holder stores it
    job.checkpoint = batch.checkpoint
    job.staged_account = record_json.account_to_json(bundle.account)


def _run_audience(job: ImportJob, echo: Echo | None, slice_seconds: float | None) -> str:
    """List and sample once, then import the sampled accounts one by one; publish them together."""
    progress = _Progress(job, echo, save_every=PROGRESS_SAVE_SECONDS)
    credential = _credential(job)
    started = time.monotonic()
    audience.list_and_sample(job, credential=credential, progress=progress)
    while (member := audience.current_member(job)) is not None:
        try:
            batches = audience.member_batches(job, member, credential=credential, progress=progress)
            with closing(batches):
                for batch in batches:
                    _store_batch(job, batch, progress, member=member["address"])
                    if slice_seconds is not None and time.monotonic() - started >= slice_seconds:
                        _hand_over(job)
                        return ImportJob.Status.QUEUED
        except SourceError as exc:
            if not audience.is_member_failure(exc):
                raise
            audience.member_failed(job, member, exc)
        else:
            audience.member_done(job, member)
    _publish(job, audience.member_bundles(job), progress)
    _delete_in_chunks(job.staged.all())
    return ImportJob.Status.COMPLETED


def _staged_bundle(job: ImportJob) -> AccountBundle:
    if not job.staged_account:
        raise ImportFailed("The source returned no account, so there is nothing to import.")
    bundle = AccountBundle(account=record_json.account_from_json(job.staged_account), notes=list(job.notes))
    for kind, data in job.staged.order_by("id").values_list("kind", "data"):
        if kind == ImportStagedItem.Kind.HISTORY:
            bundle.history.append(record_json.history_from_json(data))
        elif kind == ImportStagedItem.Kind.FOLLOWING:
            bundle.following.append(record_json.follow_from_json(data))
        else:
            bundle.followers.append(record_json.follow_from_json(data))
    return bundle


def _hand_over(job: ImportJob) -> None:
    """Release the lease and queue the continuation (the checkpoint is already stored)."""
    with transaction.atomic():
        released = _mine(job).update(
            status=ImportJob.Status.QUEUED, lease_token="", lease_expires_at=None, updated_at=timezone.now()
        )
        if not released:
            raise LeaseLost
        enqueue_import(job.pk)


# --- file imports: parse everything, then write once -------------------------------------------


def _run_file(job: ImportJob, echo: Echo | None) -> str:
    if not job.upload_path:
        raise ImportFailed("The uploaded file is gone (the import was cancelled or already finished).")
    progress = _Progress(job, echo, save_every=PROGRESS_SAVE_SECONDS)
    bundles = parse_file(
        connector=job.connector,
        path=upload_file_path(job.upload_path),
        filename=job.upload_name,
        account=job.params.get("account", ""),
        progress=progress,
    )
    _publish(job, bundles, progress)
    delete_upload(job.upload_path)
    return ImportJob.Status.COMPLETED


# --- staging and publishing (both kinds) -----------------------------------------------------------


def _publish(job: ImportJob, bundles: list[AccountBundle], progress: _Progress) -> None:
    """Stage the bundles in chunks under the job's lease, then publish them in one short transaction."""
    bundles = [cap_item_texts(bundle) for bundle in bundles]
    options = ImportOptions(
        holdout_fraction=job.params.get("holdout_percent", 20) / 100,
        card_budget=job.params.get("card_budget", 500),
    )

    def staged_through(done: int, total: int) -> None:  # inside each chunk's transaction
        progress(done, total, f"Saved {done:,} of {total:,} rows")
        if not _mine(job).update(
            staged_rows=done, lease_expires_at=timezone.now() + _lease(), **progress.fields()
        ):
            raise LeaseLost  # rolls the chunk back

    batch = _job_batch(job)
    staged = bundles_stage(
        batch=batch, bundles=bundles, options=options, skip_rows=job.staged_rows, on_chunk=staged_through
    )
    with transaction.atomic():
        _finish(job, bundles, batch, staged)


def _job_batch(job: ImportJob) -> ImportBatch:
    """The job's staging batch: the one an earlier attempt started (resume), or a new one."""
    if job.batch is None:
        with transaction.atomic():
            batch = batch_open(organization=job.organization)
            if not _mine(job).update(batch=batch, staged_rows=0):
                raise LeaseLost
        job.batch, job.staged_rows = batch, 0
    return job.batch


def _discard_batch(job: ImportJob) -> None:
    """Delete what a failed or cancelled job staged (small transactions; the watchdog retries leftovers)."""
    batch = ImportBatch.unscoped.filter(pk=job.batch_id, published_at__isnull=True).first()
    if batch is not None:
        batch_discard(batch)


def _delete_in_chunks(rows) -> None:
    while ids := list(rows.values_list("pk", flat=True)[:STAGE_CHUNK_ROWS]):
        rows.model.unscoped.filter(pk__in=ids).delete()


# --- the end of a job ------------------------------------------------------------------------------


def _target_panel(job: ImportJob, bundles: list[AccountBundle]) -> Panel:
    """The panel the customer chose, or a new one named as they asked or after the imported accounts."""
    if job.panel_id is not None:
        panel = Panel.objects.for_org(job.organization).filter(pk=job.panel_id).first()
        if panel is not None:
            return panel
    handles = ", ".join(f"@{bundle.account.handle}" for bundle in bundles[:NAMED_ACCOUNTS])
    more = f" and {len(bundles) - NAMED_ACCOUNTS} more" if len(bundles) > NAMED_ACCOUNTS else ""
    return Panel.objects.create(
        organization=job.organization,
        name=(job.new_panel_name or f"Imported: {handles}{more}")[:120],
        kind=Panel.Kind.IMPORTED,
        created_by=job.created_by,
        description=f"Accounts imported with {job.connector_label}.",
    )


def _finish(job: ImportJob, bundles: list[AccountBundle], batch: ImportBatch, staged) -> None:
    """In the caller's transaction: publish the staged batch, personas and panel, and mark the job done."""
    if not _mine(job).select_for_update().exists():
        raise LeaseLost
    panel = _target_panel(job, bundles)
    personas = batch_publish(batch=batch, staged=staged, panel=panel)
    notes = list(job.notes)
    notes += [note for bundle in bundles for note in bundle.notes if note not in notes]
    items = sum(len(b.history) for b in bundles)
    accounts = "1 account" if len(personas) == 1 else f"{len(personas)} accounts"
    now = timezone.now()
    _mine(job).update(
        status=ImportJob.Status.COMPLETED,
        status_message=f"Imported {accounts} with {items:,} history items into {panel.name}.",
        errors=[],
        notes=notes,
        panel=panel,
        progress_done=items,
        progress_total=items,
        progress_message="Done",
        checkpoint={},
        staged_rows=0,
        credential_encrypted="",  # a finished job needs no credential: keep secrets no longer than needed
        upload_path="",
        persona_ids=[p.pk for p in personas],
        finished_at=now,
        updated_at=now,
        lease_token="",
        lease_expires_at=None,
    )
    _emit(job, "import.completed", {"panel": panel.pk, "personas": [p.pk for p in personas]})


def _wait_for_rate_limit(job: ImportJob, exc: RateLimited) -> None:
    resume_at = max(exc.reset_at, timezone.now()) + timedelta(seconds=1)
    with transaction.atomic():
        parked = _mine(job).update(
            status=ImportJob.Status.WAITING_RATE_LIMIT,
            status_message=str(exc),
            checkpoint=exc.checkpoint if exc.checkpoint is not None else job.checkpoint,
            resume_at=resume_at,
            lease_token="",
            lease_expires_at=None,
            updated_at=timezone.now(),
        )
        if parked:
            transaction.on_commit(
                lambda: schedule(
                    RUN_TASK, job.pk, schedule_type=Schedule.ONCE, next_run=resume_at, repeats=-1
                )
            )


def _fail(job: ImportJob, exc: ImportFailed, *, keep_position: bool = False) -> None:
    """Record a specific, readable failure and drop what the job staged and its upload.

    A network job keeps its fetched pages and checkpoint when a retry can resume from them.
    """
    message = str(exc)
    errors = [message.splitlines()[0], *exc.errors] if isinstance(exc, RowErrors) else [message]
    checkpoint = getattr(exc, "checkpoint", None)
    resumable = is_network(job.connector) and (keep_position or checkpoint is not None)
    with transaction.atomic():
        failed = _mine(job).update(
            **({} if resumable else audience.START_OVER),
            status=ImportJob.Status.FAILED,
            status_message=message.splitlines()[0][:500],
            errors=errors[:MAX_STORED_ERRORS],
            checkpoint=(checkpoint or job.checkpoint) if resumable else {},
            staged_account=job.staged_account if resumable else {},
            upload_path="",
            batch=None,
            staged_rows=0,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            lease_token="",
            lease_expires_at=None,
        )
        if not failed:
            return
        _emit(job, "import.failed", {"errors": errors[:10]})
    delete_upload(job.upload_path)
    _discard_batch(job)
    if not resumable:
        _delete_in_chunks(job.staged.all())


# --- the watchdog ------------------------------------------------------------------------------------


def stalled_imports() -> list[int]:
    """Jobs nobody works on: lease expired (worker died), or queued/parked with their task lost."""
    now = timezone.now()
    grace = now - _lease()
    return list(
        ImportJob.unscoped.filter(  # system code: every organization's jobs
            Q(status=ImportJob.Status.RUNNING, lease_expires_at__lt=now)
            | Q(status=ImportJob.Status.QUEUED, updated_at__lt=grace)
            | Q(status=ImportJob.Status.WAITING_RATE_LIMIT, resume_at__lt=grace)
        ).values_list("pk", flat=True)
    )


def abandoned_batches() -> list[ImportBatch]:
    """Unpublished batches no unfinished job owns (a failure's cleanup was interrupted)."""
    owned = ImportJob.unscoped.filter(batch__isnull=False).exclude(status__in=ImportJob.FINAL).values("batch")
    return list(
        ImportBatch.unscoped.filter(
            published_at__isnull=True, created_at__lt=timezone.now() - _lease()
        ).exclude(pk__in=owned)
    )


def resume_stalled_imports() -> int:
    """The watchdog: re-queue stalled jobs (each continues from its checkpoint), drop abandoned batches."""
    stalled = stalled_imports()
    for job_id in stalled:
        enqueue_import(job_id)
    for batch in abandoned_batches():
        batch_discard(batch)
    return len(stalled)


def _emit(job: ImportJob, event: str, extra: dict) -> None:
    try:
        from simnet.webhooks.services import emit
    except ImportError:
        return
    payload = {"import": job.pk, "connector": job.connector, "subject": job.subject, **extra}
    emit(organization=job.organization, event=event, payload=payload)
