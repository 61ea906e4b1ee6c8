"""The decision cache kept in the database, so a retried step or a re-run with the same
seed gets the same answer without paying for it again, in any worker process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from simnet.llm.wrappers import CachedDecision, CacheKey
from simnet.providers.models import DecisionCacheEntry

KEYS_PER_QUERY = 900  # under every database's limit on bound parameters


class DatabaseDecisionStore:
    """``simnet.llm.wrappers.DecisionStore`` backed by ``DecisionCacheEntry`` rows of one organization."""

    def __init__(self, organization_id: int):
        self.organization_id = organization_id

    def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, CachedDecision]:
        by_digest = {key.digest: key for key in keys}
        digests = list(by_digest)
        found: dict[CacheKey, CachedDecision] = {}
        for start in range(0, len(digests), KEYS_PER_QUERY):
            entries = DecisionCacheEntry.objects.filter(
                organization_id=self.organization_id, key__in=digests[start : start + KEYS_PER_QUERY]
            ).values_list("key", "text", "data")
            found.update((by_digest[digest], CachedDecision(text=text, data=data)) for digest, text, data in entries)
        return found

    def set_many(self, decisions: Mapping[CacheKey, CachedDecision]) -> None:
        """One insert for the batch; a key another worker cached first keeps its answer (both
        are equally valid)."""
        DecisionCacheEntry.objects.bulk_create(
            [
                DecisionCacheEntry(
                    organization_id=self.organization_id,
                    key=key.digest,
                    text=decision.text,
                    data=dict(decision.data) if decision.data is not None else None,
                )
                for key, decision in decisions.items()
            ],
            ignore_conflicts=True,
        )
