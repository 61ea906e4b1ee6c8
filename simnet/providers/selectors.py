"""Reads of an organization's provider configurations."""

from __future__ import annotations

from simnet.providers.models import HOSTED_KINDS, ProviderConfig


def provider_list(*, organization):
    return ProviderConfig.objects.for_org(organization).order_by("name", "id")


def hosted_provider_list(*, organization):
    """The organization's hosted language models (the ones that judge reports and write persona
    summaries), its default first."""
    hosted = provider_list(organization=organization).filter(kind__in=HOSTED_KINDS)
    return hosted.order_by("-is_default", "name", "id")
