"""What the persona commands share: finding the organization by slug."""

from __future__ import annotations

from django.core.management.base import CommandError

from simnet.tenancy.models import Organization


def organization_by_slug(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"No organization with the slug {slug!r}.")
    return organization
