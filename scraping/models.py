"""Import jobs and the rows a network import stages until its account is complete.

Why staging: a network import fetches an account page by page over minutes (or hours, with rate
limits) and must survive a killed worker, so every page is stored with its checkpoint as it
arrives. The customer, however, sees an account all-or-nothing. Pages therefore land in
``ImportStagedItem`` (private to the job) and move into the real tables (``SourceAccount``,
``HistoryItem``, ``SourceFollow``, ``Persona``) in one transaction when the account is complete.
A failed job never touched the real tables, so there is nothing to roll back there; its staged
rows stay while a retry can continue from the checkpoint and are deleted when the job completes
or is cancelled. The real rows themselves are written in small transactions into an
``ImportBatch`` that stays invisible until published (``personas.services.importer``), so even that last
step never holds the database lock for long.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from scraping.sources import CONNECTORS
from simnet.tenancy.scoping import TenantModel


class ImportJob(TenantModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING_RATE_LIMIT = "waiting_rate_limit", "Waiting for the rate limit"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    FINAL = (Status.COMPLETED, Status.FAILED)

    connector = models.CharField(
        max_length=20, choices=[(name, info.label) for name, info in CONNECTORS.items()]
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    status_message = models.CharField(
        max_length=500, blank=True
    )  # one line: what is happening or why it failed
    errors = models.JSONField(default=list, blank=True)  # readable messages, one per problem
    notes = models.JSONField(default=list, blank=True)  # what the customer should know that is not a failure
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)  # account, holdout, card budget ...
    credential_encrypted = models.TextField(blank=True)  # encrypt_for(organization); never shown or logged
    upload_path = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT
    upload_name = models.CharField(max_length=255, blank=True)  # the customer's file name, for messages
    upload_size = models.PositiveBigIntegerField(null=True, blank=True)
    panel = models.ForeignKey(
        "personas.Panel", on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs"
    )
    new_panel_name = models.CharField(max_length=120, blank=True)  # the panel to create on completion
    checkpoint = models.JSONField(default=dict, blank=True)  # where a network import resumes
    staged_account = models.JSONField(default=dict, blank=True)  # the AccountRecord of a network import
    persona_ids = models.JSONField(default=list, blank=True)  # the personas the import made or updated
    # The rows being written into the real tables (invisible until published) and how many are
    # committed: a resumed job continues after them. See personas.services.importer.
    batch = models.ForeignKey(
        "personas.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staged_rows = models.PositiveIntegerField(default=0)
    # An audience import (scraping.audience): what it lists ({"kind", "query", "server", "size", "seed",
    # "max_failures"}; empty for a one-account import), how far it got, and the accounts it skipped.
    audience = models.JSONField(default=dict, blank=True)
    candidates_seen = models.PositiveIntegerField(null=True, blank=True)  # None until the listing is done
    sampled_accounts = models.JSONField(default=list, blank=True)  # [{"address", "handle"}] in import order
    audience_position = models.PositiveIntegerField(default=0)  # the sampled account being fetched
    accounts_imported = models.PositiveIntegerField(default=0)
    account_failures = models.JSONField(default=list, blank=True)  # [{"handle", "reason"}]
    attempts = models.PositiveIntegerField(default=0)
    resume_at = models.DateTimeField(null=True, blank=True)  # when a rate-limited job continues
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["organization", "status"]),)

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.connector_label}: {self.subject})"

    @property
    def connector_label(self) -> str:
        return CONNECTORS[self.connector].label if self.connector in CONNECTORS else self.connector

    @property
    def subject(self) -> str:
        """What is imported, in the customer's words: the audience, the account or the file name."""
        if self.audience:
            return audience_subject(self.audience)
        return self.params.get("account") or self.upload_name or "—"

    @property
    def is_audience(self) -> bool:
        return bool(self.audience)

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def retryable(self) -> bool:
        """A retry can continue: it failed or waits, and a file import still has its file."""
        waiting = self.status in (self.Status.FAILED, self.Status.WAITING_RATE_LIMIT)
        return waiting and (CONNECTORS[self.connector].input == "account" or bool(self.upload_path))

    @property
    def has_credential(self) -> bool:
        return bool(self.credential_encrypted)

    @property
    def progress_percent(self) -> int | None:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


def audience_subject(audience: dict) -> str:
    query = audience.get("query", "")
    described = {
        "followers": f"followers of {query if query.startswith('@') else '@' + query}",
        "hashtag": f"posters of #{query}",
        "search": f"accounts matching “{query}”",
    }.get(audience.get("kind"), query)
    where = (
        f" on {audience['server']}" if audience.get("server") and audience.get("kind") != "followers" else ""
    )
    return f"A sample of {audience.get('size', 0)} {described}{where}"


class ImportStagedItem(TenantModel):
    """One fetched history item or follow of a running network import (see the module docstring)."""

    class Kind(models.TextChoices):
        HISTORY = "history"
        FOLLOWING = "following"
        FOLLOWER = "follower"
        ACCOUNT = "account"  # an audience member's AccountRecord, once all its pages are staged

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="staged")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(
        max_length=64
    )  # sha256 of the record's identity within the account (de-duplication)
    data = models.JSONField()
    account = models.CharField(max_length=300, blank=True)  # the audience member it belongs to ("" otherwise)

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(
                fields=["job", "account", "kind", "key"], name="one_staged_item_per_account"
            ),
        )
