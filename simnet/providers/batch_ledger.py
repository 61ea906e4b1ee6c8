"""Which Message Batch holds each request, shared by every worker: Django's cache.

Anthropic keeps a batch's results for 29 days, so an entry is kept as long: past that the
request would have to be asked again anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.cache import cache

from simnet.llm.message_batches import Place

RESULTS_KEPT_S = 29 * 24 * 3600


class CacheBatchLedger:
    """``simnet.llm.message_batches.BatchLedger`` for one organization."""

    def __init__(self, organization_id: int) -> None:
        self.prefix = f"simnet:msgbatch:org{organization_id}:"

    def get_many(self, digests: Sequence[str]) -> dict[str, Place]:
        found = cache.get_many([self.prefix + digest for digest in digests])
        return {key.removeprefix(self.prefix): (place[0], place[1]) for key, place in found.items()}

    def set_many(self, places: Mapping[str, Place]) -> None:
        cache.set_many({self.prefix + d: list(place) for d, place in places.items()}, timeout=RESULTS_KEPT_S)
