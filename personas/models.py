"""Personas, where they came from, and the panels that group them. All organization-scoped."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from simnet.tenancy.scoping import TenantManager, TenantModel, TenantQuerySet


class ImportBatch(TenantModel):
    """The rows one import is still writing: invisible to the product until ``published_at`` is set.

    A large import commits its accounts, history and follows in small transactions (so other
    writers never wait long for the database lock), each row pointing at its batch; publishing
    is one UPDATE of this row, and a failed import deletes its batch's rows. See
    ``personas.services.importer``.
    """

    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)


class PublishedManager(TenantManager):
    """Default manager of imported rows: hides the rows of imports that are not published yet."""

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(Q(import_batch__isnull=True) | Q(import_batch__published_at__isnull=False))
        )


def _import_batch_field():
    return models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )


class SourceAccount(TenantModel):
    """An outside account (X, Bluesky, Mastodon, a CSV) whose history built a persona."""

    objects = PublishedManager()
    import_batch = _import_batch_field()  # set while the import that created the account is unpublished
    platform = models.CharField(max_length=20)
    platform_id = models.CharField(max_length=128)
    handle = models.CharField(max_length=128)
    display_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    followers_count = models.PositiveIntegerField(null=True, blank=True)
    following_count = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "platform", "platform_id"], name="one_source_account"
            )
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.platform})"


class HistoryKind(models.TextChoices):
    POST = "post", "Post"
    REPLY = "reply", "Reply"
    QUOTE = "quote", "Quote"
    REPOST = "repost", "Repost"
    LIKE = "like", "Like"


class HistoryItem(TenantModel):
    """One real thing the account did. ``held_out`` items are kept back for backtests."""

    objects = PublishedManager()
    import_batch = _import_batch_field()
    account = models.ForeignKey(SourceAccount, on_delete=models.CASCADE, related_name="history")
    platform_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=10, choices=HistoryKind.choices)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    target_author = models.CharField(max_length=128, blank=True)
    target_text = models.TextField(blank=True)
    like_count = models.PositiveIntegerField(null=True, blank=True)
    repost_count = models.PositiveIntegerField(null=True, blank=True)
    reply_count = models.PositiveIntegerField(null=True, blank=True)
    quote_count = models.PositiveIntegerField(null=True, blank=True)
    media = models.JSONField(default=list, blank=True)
    # The alt texts the author wrote for those media (blanks left out): what the person posts images of.
    media_alt = models.JSONField(default=list, blank=True)
    community = models.CharField(max_length=128, blank=True)  # a subreddit on forum platforms
    score = models.IntegerField(null=True, blank=True)  # net votes on forum platforms; may be negative
    held_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "platform_id"], name="one_history_item")
        ]


class SourceFollow(TenantModel):
    """A follow relation of a source account, as the platform reported it."""

    class Direction(models.TextChoices):
        FOLLOWING = "following"
        FOLLOWER = "follower"

    objects = PublishedManager()
    import_batch = _import_batch_field()

    account = models.ForeignKey(SourceAccount, on_delete=models.CASCADE, related_name="follows")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    handle = models.CharField(max_length=128, blank=True)
    platform_id = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "direction", "platform_id", "handle"], name="one_source_follow"
            )
        ]


class PersonaQuerySet(TenantQuerySet):
    def visible_to(self, organization) -> PersonaQuerySet:
        """The organization's own personas and the members of panels shared with it (read-only)."""
        shared = Q(panel_memberships__panel__shares__shared_with=organization)
        return self.filter(Q(organization=organization) | shared).distinct()._scoped()


class Persona(TenantModel):
    class Origin(models.TextChoices):
        IMPORTED = "imported", "Imported account"
        SAMPLED = "sampled", "Sampled from a population"
        BOARD = "board", "Board member"
        MANUAL = "manual", "Written by hand"

    handle = models.CharField(max_length=128)
    display_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    source_account = models.ForeignKey(
        SourceAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="personas"
    )
    sampler = models.JSONField(default=dict, blank=True)  # how a sampled persona was made (source, seed, row)
    traits = models.JSONField(default=dict, blank=True)  # demographics, role, stance, tone ...
    profile = models.JSONField(default=dict, blank=True)  # derived from history, with explanations
    propensities = models.JSONField(default=dict, blank=True)  # per seen item: like, repost, quote, reply ...
    activity_rate = models.FloatField(default=0.3)  # chance to be online in a step
    active_hours = models.JSONField(default=list, blank=True)  # hours 0-23; empty = any hour
    interests = models.TextField(blank=True)
    card = models.TextField(blank=True)  # the text a prompt uses, within the token budget
    card_tokens = models.PositiveIntegerField(default=0)
    # Optional summary a hosted language model wrote from the card (personas.summaries.persona_summarize);
    # runs read it as an "In short:" line before the card, which itself stays deterministic.
    summary = models.TextField(blank=True)
    summary_by = models.CharField(max_length=300, blank=True)  # provider, model and config name
    summary_at = models.DateTimeField(null=True, blank=True)  # last written; kept after a removal (spend)
    # What this persona's summaries cost in the month of ``summary_at``: monthly_spend counts it.
    summary_cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager.from_queryset(PersonaQuerySet)()

    class Meta:
        ordering = ["handle", "id"]
        indexes = [models.Index(fields=["organization", "handle"])]

    def __str__(self) -> str:
        return f"@{self.handle}"

    def set_card(self, text: str, tokens: int) -> list[str]:
        """Replace the card; a summary written from the old card no longer describes it and is
        dropped (its cost stays counted). Returns the fields that changed, for ``update_fields``."""
        changed = ["card", "card_tokens"]
        if text != self.card and self.summary:
            self.summary, self.summary_by = "", ""
            changed += ["summary", "summary_by"]
        self.card, self.card_tokens = text, tokens
        return changed


class PanelQuerySet(TenantQuerySet):
    def visible_to(self, organization) -> PanelQuerySet:
        """The organization's own panels and those shared with it (read-only)."""
        return (
            self.filter(Q(organization=organization) | Q(shares__shared_with=organization))
            .distinct()
            ._scoped()
        )


class Panel(TenantModel):
    class Kind(models.TextChoices):
        IMPORTED = "imported", "Imported accounts"
        POPULATION = "population", "Sampled population"
        BOARD = "board", "Virtual board"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CUSTOM)
    is_demo = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    settings = models.JSONField(default=dict, blank=True)  # sampler quotas, seed, source ...
    members = models.ManyToManyField(Persona, through="PanelMember", related_name="panels")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager.from_queryset(PanelQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class PanelMember(TenantModel):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="panel_memberships")
    role = models.CharField(max_length=120, blank=True)  # on a board: "CFO", "Independent director" ...
    is_chair = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["panel", "persona"], name="one_panel_membership")]


class FollowEdge(TenantModel):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="edges")
    follower = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="+")
    followee = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["panel", "follower", "followee"], name="one_follow_edge"),
            models.CheckConstraint(condition=~Q(follower=models.F("followee")), name="no_self_follow"),
        ]


class PanelShare(TenantModel):
    """``organization`` (the owner) lets ``shared_with`` run and copy the panel, never edit it."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="shares")
    shared_with = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["panel", "shared_with"], name="one_share_per_org")]


class PopulationJob(TenantModel):
    """Sampling a population panel in the background: its arguments, where it stands, and the panel
    it made. The panel is written in one transaction at the end, so a failed job leaves none."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    params = models.JSONField(default=dict)  # the keyword arguments of synthetic.panel_create_population
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    phase = models.CharField(max_length=40, blank=True)  # what it is doing now, in words
    done = models.PositiveIntegerField(default=0)  # personas drawn so far (then built, then saved)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # why it failed
    panel = models.ForeignKey(Panel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Last sign of life of the worker sampling it: the watchdog fails a job whose worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
