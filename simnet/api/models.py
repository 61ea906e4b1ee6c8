"""What the API keeps between requests: stored responses of idempotent POSTs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from simnet.tenancy.scoping import TenantModel


class IdempotencyRecord(TenantModel):
    """One ``Idempotency-Key`` of one organization: the request it answered and the response it gave.

    The row is inserted *before* the view runs (``response_status`` empty = in progress), so
    the unique constraint, not timing, decides which of two concurrent duplicates runs.
    """

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body digest
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    locked_at = models.DateTimeField()  # when the running request claimed the key
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="one_record_per_org_key")]

    @property
    def is_complete(self) -> bool:
        return self.response_status is not None

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
