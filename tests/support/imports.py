"""Starting and running imports in tests: the real services, run in-process instead of by a worker."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from personas.models import HistoryItem, Persona, SourceAccount, SourceFollow
from scraping.models import ImportJob
from scraping.runner import import_run
from scraping.services import import_start


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def start(organization, actor, connector: str, **kwargs) -> ImportJob:
    return import_start(organization=organization, actor=actor, connector=connector, enqueue=False, **kwargs)


def run(job: ImportJob, *, time_slice: float | None = None, **kwargs) -> ImportJob:
    """Run the job as a worker would, including what it does after its transactions commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        import_run(job_id=job.pk, time_slice=time_slice, **kwargs)
    job.refresh_from_db()
    return job


def row_counts(organization) -> dict[str, int]:
    """Customer-visible rows of an organization; an all-or-nothing import leaves them untouched on failure."""
    return {
        "accounts": SourceAccount.objects.for_org(organization).count(),
        "history": HistoryItem.objects.for_org(organization).count(),
        "follows": SourceFollow.objects.for_org(organization).count(),
        "personas": Persona.objects.for_org(organization).count(),
    }
