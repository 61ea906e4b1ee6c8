"""The decision cache kept in the database, so a retried step or a re-run with the same
seed gets the same answer without paying for it again, in any worker process."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from simnet.llm.wrappers import CachedDecision, CacheKey
from simnet.providers.models import DecisionCacheEntry


class DatabaseDecisionStore:
    """``simnet.llm.wrappers.DecisionStore`` backed by ``DecisionCacheEntry`` rows of one organization."""

    def __init__(self, organization_id: int):
        self.organization_id = organization_id

    def get(self, key: CacheKey) -> CachedDecision | None:
        entry = (
            DecisionCacheEntry.objects.filter(organization_id=self.organization_id, key=key.digest)
            .only("text", "data")
            .first()
        )
        return CachedDecision(text=entry.text, data=entry.data) if entry else None

    def set(self, key: CacheKey, decision: CachedDecision) -> None:
        try:
            with transaction.atomic():
                DecisionCacheEntry.objects.create(
                    organization_id=self.organization_id,
                    key=key.digest,
                    text=decision.text,
                    data=dict(decision.data) if decision.data is not None else None,
                )
        except IntegrityError:
            pass  # another worker cached the same call first; both answers are equally valid
