"""The lease a worker holds on an import job: every write of a running job goes through ``leased_row``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from scraping.models import ImportJob


class LeaseLost(Exception):
    """Another worker (or a cancel) took the job; this one must stop without writing."""


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def org_jobs(job: ImportJob):
    return ImportJob.objects.for_org(job.organization)


def leased_row(job: ImportJob):
    """The job's row, only while this worker still holds its lease."""
    return org_jobs(job).filter(pk=job.pk, lease_token=job.lease_token)
