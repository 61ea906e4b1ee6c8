"""Webhook endpoints, their deliveries and every attempt at one. All organization-scoped."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from simnet.tenancy.scoping import TenantModel


class WebhookEvent(models.TextChoices):
    RUN_COMPLETED = "run.completed", "A run completed"
    RUN_FAILED = "run.failed", "A run failed"
    RUN_PAUSED = "run.paused", "A run paused (budget, quota or a person)"
    EXPERIMENT_COMPLETED = "experiment.completed", "An experiment completed"
    IMPORT_COMPLETED = "import.completed", "An import completed"
    IMPORT_FAILED = "import.failed", "An import failed"


class WebhookEndpoint(TenantModel):
    """A URL of the customer's that receives the events it subscribed to.

    The signing secret is encrypted for this organization and shown once, at creation.
    """

    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # WebhookEvent values
    secret_ciphertext = models.TextField()
    secret_hint = models.CharField(max_length=12, blank=True)  # "••••abcd"
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description or self.url


class Delivery(TenantModel):
    """One event for one endpoint, retried until it succeeds or runs out of attempts.

    ``body`` is the exact JSON sent on every attempt; ``event_id`` is the same on a
    redelivery, so receivers can drop duplicates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for next_attempt_at
        SENDING = "sending", "Sending"  # claimed by a worker until lease_expires_at
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=40, db_index=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last hand-over to the task queue
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="redeliveries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["organization", "-created_at"]),
        ]

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} → {self.endpoint_id}"


class DeliveryAttempt(TenantModel):
    """What happened when simnet tried to send a delivery once."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)  # at most 1 KB of the response body
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")]
