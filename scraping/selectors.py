"""Reads of import jobs; always given the organization."""

from __future__ import annotations

from django.db.models import QuerySet

from personas.models import Persona
from scraping.models import ImportJob
from simnet.tenancy.access import get_for_org


def import_list(*, organization) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_org(organization).select_related("panel", "created_by")


def import_get(*, organization, job_id: int) -> ImportJob:
    return get_for_org(ImportJob.objects.select_related("panel"), organization, pk=job_id)


def import_personas(*, job: ImportJob) -> QuerySet[Persona]:
    """The personas the job made or updated (those still there)."""
    return Persona.objects.for_org(job.organization_id).filter(pk__in=job.persona_ids).order_by("handle")


def has_active_imports(jobs) -> bool:
    return any(not job.is_final for job in jobs)
