"""Starting, retrying and cancelling imports (writes). The work itself is ``runner.import_run``.

``import_start`` checks everything a customer can get wrong before any work is queued, so most
mistakes come back at once as a form error instead of a failed job a minute later.
"""

from __future__ import annotations

import math
import secrets
from pathlib import PurePath

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from personas.models import Panel
from personas.services.importer import (
    DEFAULT_CARD_BUDGET,
    DEFAULT_HOLDOUT_FRACTION,
    STAGE_CHUNK_ROWS,
    batch_discard,
)
from scraping.audience import START_OVER
from scraping.connectors import file_account, is_network, normalized_account, normalized_audience
from scraping.models import ImportJob, ImportStagedItem, audience_subject
from scraping.sources import CONNECTORS
from scraping.storage import delete_upload, store_upload
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user, audit_actor
from simnet.tenancy.audit import Actions, record
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import encrypt_for

RUN_TASK = "scraping.tasks.run_import"
MAX_HOLDOUT_PERCENT = 50
CARD_BUDGET_RANGE = (100, 2000)
AUDIENCE_SIZE_RANGE = (1, 200)
AUDIENCE_FAILURE_SHARE = 0.25  # sampled accounts that may turn out deleted or private before the job fails
SEED_RANGE = 2**31


def enqueue_import(job_id: int) -> None:
    """Queue the job's task once the current transaction commits (never for a rolled-back job)."""
    transaction.on_commit(lambda: async_task(RUN_TASK, job_id, task_name=f"import-{job_id}"))


def _import_options(params: dict) -> dict:
    errors: dict[str, list[str]] = {}
    holdout = params.get("holdout_percent", round(DEFAULT_HOLDOUT_FRACTION * 100))
    budget = params.get("card_budget", DEFAULT_CARD_BUDGET)
    try:
        holdout = int(holdout)
    except (TypeError, ValueError):
        holdout = -1
    if not 0 <= holdout <= MAX_HOLDOUT_PERCENT:
        errors["holdout_percent"] = [f"Hold out between 0 and {MAX_HOLDOUT_PERCENT} percent of the history."]
    try:
        budget = int(budget)
    except (TypeError, ValueError):
        budget = 0
    if not CARD_BUDGET_RANGE[0] <= budget <= CARD_BUDGET_RANGE[1]:
        errors["card_budget"] = [
            f"Choose a card budget between {CARD_BUDGET_RANGE[0]} and {CARD_BUDGET_RANGE[1]} tokens."
        ]
    if errors:
        raise ApplicationError("Some import settings are out of range.", fields=errors)
    return {"holdout_percent": holdout, "card_budget": budget}


def _check_upload(connector: str, upload) -> None:
    info = CONNECTORS[connector]
    if upload is None:
        message = f"Choose the file to import ({', '.join(info.file_types)})."
        raise ApplicationError(message, code="file_required", fields={"file": [message]})
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in info.file_types:
        message = f"{info.label} imports take {', '.join(info.file_types)} files; {PurePath(upload.name).name!r} is not one."
        raise ApplicationError(message, code="file_type", fields={"file": [message]})


def import_start_arguments(data) -> dict:
    """``import_start``'s keyword arguments from the validated fields of the import form or the API."""
    return {
        "connector": data["connector"],
        "params": {key: data[key] for key in ("account", "holdout_percent", "card_budget")},
        "upload": data["file"],
        "credential": data["credential"],
        "panel": data["panel"],
        "panel_name": data["panel_name"],
    }


def import_start(
    *,
    organization,
    actor: Actor | None,
    connector: str,
    params: dict | None = None,
    upload=None,
    credential: str | None = None,
    panel: Panel | None = None,
    panel_name: str = "",
    ip: str | None = None,
    base_url: str | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Validate, store the upload and the (encrypted) credential, create the job, queue it on commit.

    ``params`` may hold ``account`` (network connectors; optional for a Reddit upload, whose CSVs do not
    name their owner), ``holdout_percent`` and ``card_budget``.
    ``base_url`` is for operator tools only (``manage.py import_account``), never for customer input.
    """
    require_role(actor_role(organization, actor), roles.WRITE, "import accounts")
    if connector not in CONNECTORS:
        message = f"Choose one of: {', '.join(CONNECTORS)}."
        raise ApplicationError(
            f"Unknown importer {connector!r}.", code="connector", fields={"connector": [message]}
        )
    info = CONNECTORS[connector]
    params = dict(params or {})
    stored_params = _import_options(params)
    secret = (credential or "").strip()
    if is_network(connector):
        stored_params["account"] = normalized_account(connector, str(params.get("account") or ""))
        if info.credential == "required" and not secret:
            message = f"{info.label} needs a credential: {info.credential_help}"
            raise ApplicationError(message, code="credential_required", fields={"credential": [message]})
        if base_url:
            stored_params["base_url"] = base_url
    else:
        _check_upload(connector, upload)
        if account := file_account(connector, str(params.get("account") or "")):
            stored_params["account"] = account
    if panel is not None and panel.organization_id != organization.pk:
        raise ApplicationError("That panel does not exist.", code="not_found", status=404)
    panel_name = (panel_name or "").strip()[:120]
    stored = (
        store_upload(organization_id=organization.pk, uploaded_file=upload) if upload is not None else None
    )
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                organization=organization,
                connector=connector,
                params=stored_params,
                credential_encrypted=encrypt_for(organization.pk, secret)
                if secret and info.credential != "none"
                else "",
                upload_path=stored.relative_path if stored else "",
                upload_name=stored.name if stored else "",
                upload_size=stored.size if stored else None,
                panel=panel,
                new_panel_name="" if panel else panel_name,
                created_by=actor_user(actor),
                status_message="Waiting for a worker.",
            )
            record(
                organization=organization,
                action=Actions.IMPORT_STARTED,
                **audit_actor(actor),
                target=job,
                detail={"connector": connector, "subject": job.subject, "panel": panel.pk if panel else None},
                ip=ip,
            )
            if enqueue:
                enqueue_import(job.pk)
    except BaseException:
        if stored:
            delete_upload(stored.relative_path)
        raise
    return job


def audience_failure_allowance(size: int) -> int:
    """How many sampled accounts may fail (deleted, made private since listing) before the job stops."""
    return math.ceil(size * AUDIENCE_FAILURE_SHARE)


def _audience_spec(connector: str, fields: dict) -> dict:
    spec = normalized_audience(
        connector,
        str(fields.get("kind") or ""),
        str(fields.get("query") or ""),
        str(fields.get("server") or ""),
    )
    try:
        size = int(fields.get("size"))
    except (TypeError, ValueError):
        size = 0
    low, high = AUDIENCE_SIZE_RANGE
    if not low <= size <= high:
        message = f"Choose between {low} and {high} accounts."
        raise ApplicationError(message, code="audience_invalid", fields={"size": [message]})
    seed = fields.get("seed")
    seed = secrets.randbelow(SEED_RANGE) if seed in (None, "") else int(seed)
    if not 0 <= seed < SEED_RANGE:
        message = f"A seed is a whole number from 0 to {SEED_RANGE - 1}."
        raise ApplicationError(message, code="audience_invalid", fields={"seed": [message]})
    return {**spec, "size": size, "seed": seed, "max_failures": audience_failure_allowance(size)}


def audience_start_arguments(data) -> dict:
    """``audience_start``'s keyword arguments from the validated fields of the audience form or the API."""
    return {
        "connector": data["connector"],
        "audience": {key: data[key] for key in ("kind", "query", "server", "size", "seed")},
        "options": {key: data[key] for key in ("holdout_percent", "card_budget")},
        "credential": data["credential"],
        "panel_name": data["panel_name"],
    }


def audience_start(
    *,
    organization,
    actor: Actor | None,
    connector: str,
    audience: dict,
    options: dict | None = None,
    credential: str | None = None,
    panel_name: str = "",
    ip: str | None = None,
    base_url: str | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Validate and queue an audience import: list the accounts, sample ``size`` of them with ``seed``
    (random when not given), import each one's recent history, and publish them as ONE new panel.

    ``audience``: ``kind`` (followers, hashtag, search), ``query``, ``server`` (Mastodon hashtag and
    search), ``size``, ``seed``. ``base_url`` is for operator tools and tests, never customer input.
    """
    require_role(actor_role(organization, actor), roles.WRITE, "import accounts")
    if connector not in CONNECTORS:
        raise ApplicationError(
            f"Unknown importer {connector!r}.", code="connector", fields={"connector": ["Choose a network."]}
        )
    info = CONNECTORS[connector]
    params = _import_options(dict(options or {}))
    spec = _audience_spec(connector, audience)
    secret = (credential or "").strip()
    if info.credential == "required" and not secret:
        message = f"{info.label} needs a credential: {info.credential_help}"
        raise ApplicationError(message, code="credential_required", fields={"credential": [message]})
    if base_url:
        params["base_url"] = base_url
    with transaction.atomic():
        job = ImportJob.objects.create(
            organization=organization,
            connector=connector,
            params=params,
            audience=spec,
            credential_encrypted=encrypt_for(organization.pk, secret)
            if secret and info.credential != "none"
            else "",
            new_panel_name=((panel_name or "").strip() or audience_subject(spec))[:120],
            created_by=actor_user(actor),
            status_message="Waiting for a worker.",
        )
        record(
            organization=organization,
            action=Actions.IMPORT_STARTED,
            **audit_actor(actor),
            target=job,
            detail={"connector": connector, "subject": job.subject, "panel": None},
            ip=ip,
        )
        if enqueue:
            enqueue_import(job.pk)
    return job


def _owned(job: ImportJob, organization) -> None:
    if job.organization_id != organization.pk:
        raise ApplicationError("That import does not exist.", code="not_found", status=404)


@transaction.atomic
def import_retry(
    *, job: ImportJob, organization, actor: Actor | None, credential: str | None = None
) -> ImportJob:
    """Queue a failed (or rate-limited) job again; a network import continues from its checkpoint."""
    _owned(job, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "retry imports")
    job = ImportJob.objects.for_org(organization).select_for_update().get(pk=job.pk)
    if job.status not in (ImportJob.Status.FAILED, ImportJob.Status.WAITING_RATE_LIMIT):
        raise ApplicationError(
            f"Only a failed or waiting import can be retried; this one is {job.get_status_display().lower()}."
        )
    if not is_network(job.connector) and not job.upload_path:
        raise ApplicationError(
            "The uploaded file was removed after the failure; upload it again as a new import."
        )
    secret = (credential or "").strip()
    if secret and CONNECTORS[job.connector].credential != "none":
        job.credential_encrypted = encrypt_for(organization.pk, secret)
    job.status = ImportJob.Status.QUEUED
    job.status_message = "Waiting for a worker."
    job.errors = []
    job.finished_at = None
    job.resume_at = None
    job.updated_at = timezone.now()
    job.save()
    enqueue_import(job.pk)
    return job


@transaction.atomic
def import_cancel(*, job: ImportJob, organization, actor: Actor | None) -> ImportJob:
    """Stop a job that has not finished: it fails with a clear note; staged rows and the file are dropped."""
    _owned(job, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "cancel imports")
    job = ImportJob.objects.for_org(organization).select_for_update().get(pk=job.pk)
    if job.is_final:
        raise ApplicationError("This import has already finished.")
    user = actor_user(actor)
    who = f" by {user.email}" if user is not None and user.email else ""
    job.status = ImportJob.Status.FAILED
    job.status_message = f"Cancelled{who}. Nothing from this import was added."
    job.errors = [job.status_message]
    job.finished_at = job.updated_at = timezone.now()
    job.lease_token = ""
    job.checkpoint = {}
    job.credential_encrypted = ""
    path, job.upload_path = job.upload_path, ""
    batch, job.batch, job.staged_rows = job.batch, None, 0
    for name, value in START_OVER.items():  # the staged accounts go, so a retry samples again
        setattr(job, name, value)
    job.save()
    transaction.on_commit(lambda: _drop_staged(job, batch, path))
    return job


def _drop_staged(job: ImportJob, batch, upload_path: str) -> None:
    """After a cancel commits: delete the upload and the staged rows, in small transactions."""
    delete_upload(upload_path)
    if batch is not None and batch.published_at is None:
        batch_discard(batch)
    while ids := list(job.staged.values_list("pk", flat=True)[:STAGE_CHUNK_ROWS]):
        ImportStagedItem.objects.filter(job=job, pk__in=ids).delete()
