"""Scenarios, runs and everything a run writes. All organization-scoped.

The durability contract (DESIGN.md): a Run row carries its status, the next step to run,
a lease (owner + expiry, claimed by compare-and-set) and the engine's saved state; a
step's actions, posts, usage and ``next_step + 1`` commit in one transaction, and
``unique(run, step, agent)`` on actions makes a redelivered step harmless.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from simnet.tenancy.scoping import TenantModel


class Policy(models.TextChoices):
    """Who decides what agents do. Hybrid: a reaction model learned from the panel's history
    decides who acts and how, a language model writes only the words; llm: the language model
    decides everything; rules: the rule baseline, no model at all."""

    HYBRID = "hybrid", "Hybrid: learned reactions, model-written words"
    LLM = "llm", "Language model decides everything"
    RULES = "rules", "Rule baseline (no language model)"


class Scenario(TenantModel):
    class Format(models.TextChoices):
        FEED = "feed", "Social feed"
        ROUNDTABLE = "roundtable", "Roundtable meeting"
        FORUM = "forum", "Threaded forum"
        DELIBERATION = "deliberation", "Deliberative poll (small moderated groups)"

    name = models.CharField(max_length=160)
    panel = models.ForeignKey("personas.Panel", on_delete=models.PROTECT, related_name="scenarios")
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.FEED)
    steps = models.PositiveIntegerField(default=10)
    minutes_per_step = models.PositiveIntegerField(default=60)
    recommender = models.CharField(max_length=20, default="mix")
    feed_size = models.PositiveIntegerField(default=5)
    memory_tokens = models.PositiveIntegerField(default=120)
    provider = models.ForeignKey(
        "providers.ProviderConfig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed = models.BigIntegerField(default=1)
    budget_usd = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    budget_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    agenda = models.JSONField(default=list, blank=True)  # roundtable: agenda items
    # Blank: rules for the rule-baseline provider, hybrid for a panel with imported reactions, else llm
    # (runs.policy.chosen_policy).
    policy = models.CharField(max_length=12, choices=Policy.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def communities(self) -> list[str]:
        """A forum's communities (``settings["forum"]``); empty for other formats."""
        return list((self.settings or {}).get("forum", {}).get("communities", []))

    @property
    def forum_sort(self) -> str:
        return (self.settings or {}).get("forum", {}).get("sort", "")


class Stimulus(TenantModel):
    """Content injected into a run: an ad, a statement, a pitch."""

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="stimuli", null=True, blank=True
    )
    run = models.ForeignKey(
        "Run", on_delete=models.CASCADE, related_name="live_stimuli", null=True, blank=True
    )
    text = models.TextField()
    image = models.ImageField(upload_to="stimuli/", null=True, blank=True)
    # What the picture (and keyframes) show, in words: what agents of a provider without vision read.
    alt_text = models.TextField(blank=True)
    author_persona = models.ForeignKey(
        "personas.Persona", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_handle = models.CharField(max_length=128, blank=True)  # an outside account, e.g. "PelotonBrand"
    step = models.PositiveIntegerField(default=0)
    boost = models.FloatField(default=0.0)  # share of feeds it is promoted into (0..1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step", "id"]


class FittedModel(TenantModel):
    """A learnt model runs use, stored once as JSON (never a pickle) and shared by every run that
    froze it: the replicates of one start share one; kept out of the run row, which every step reads."""

    kind = models.CharField(max_length=20)  # "reactions"
    digest = models.CharField(max_length=64)  # sha256 of the JSON: same data, same row
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "digest"], name="fitted_model_digest")]

    def __str__(self) -> str:
        return f"{self.kind} model {self.digest[:12]}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINAL_STATUSES = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


class Run(TenantModel):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    seed = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    status_reason = models.TextField(blank=True)  # why paused/failed, in words a person can act on
    pause_requested = models.BooleanField(default=False)
    total_steps = models.PositiveIntegerField()
    next_step = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    policy = models.CharField(max_length=12, choices=Policy.choices, blank=True)  # the one used, set at start
    policy_model = models.ForeignKey(  # the hybrid's reaction model, frozen at start
        "FittedModel", on_delete=models.RESTRICT, null=True, blank=True, related_name="runs"
    )
    last_event_seq = models.PositiveBigIntegerField(default=0)
    quality_gate = models.JSONField(default=dict, blank=True)  # the gate's counts over the committed steps
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cached_tokens = models.PositiveBigIntegerField(default=0)
    llm_calls = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    budget_usd = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    budget_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    estimate = models.JSONField(default=dict, blank=True)
    reproducibility = models.JSONField(
        default=dict, blank=True
    )  # versions, provider, model, seed, prompt hash
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="forks")
    fork_step = models.PositiveIntegerField(null=True, blank=True)
    experiment = models.ForeignKey(
        "Experiment", on_delete=models.CASCADE, null=True, blank=True, related_name="runs"
    )
    variant = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.scenario.name if self.scenario_id else '?'}"

    @property
    def progress(self) -> float:
        return min(1.0, self.next_step / self.total_steps) if self.total_steps else 1.0


class RunEvent(TenantModel):
    """Everything a live page shows, in order: ``seq`` is per run and gap-free."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_event_per_seq")]


class Experiment(TenantModel):
    """Variants × replicates of a scenario, compared with statistics."""

    name = models.CharField(max_length=160)
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="experiments")
    variants = models.JSONField(default=list)  # [{"label": "A", "stimulus_text": ..., "overrides": {...}}]
    replicates = models.PositiveIntegerField(default=10)
    status = models.CharField(max_length=10, default="running")
    budget_usd = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class RunPost(TenantModel):
    """A post as it stands in the run's world (counters updated as the run goes on)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="posts")
    post_key = models.CharField(max_length=40)  # the engine's post id
    step = models.PositiveIntegerField()
    author_key = models.CharField(max_length=40)
    author_handle = models.CharField(max_length=128)
    persona = models.ForeignKey(
        "personas.Persona", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10)  # post, reply, quote, repost
    text = models.TextField(blank=True)
    parent_key = models.CharField(max_length=40, blank=True)
    root_key = models.CharField(max_length=40, blank=True)
    is_stimulus = models.BooleanField(default=False)
    stimulus_key = models.CharField(max_length=40, blank=True)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)  # forum only; the likes are its upvotes
    community = models.CharField(max_length=64, blank=True)  # forum only: the thread's community

    class Meta:
        ordering = ["step", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "post_key"], name="one_post_per_key")]


class RunAction(TenantModel):
    """One agent's decision in one step; the unique constraint makes a redelivered step harmless."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="actions")
    step = models.PositiveIntegerField()
    agent_key = models.CharField(max_length=40)
    persona = models.ForeignKey(
        "personas.Persona", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=12)
    target_post_key = models.CharField(max_length=40, blank=True)
    target_agent_key = models.CharField(max_length=40, blank=True)
    created_post_key = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, default="ok")  # ok, invalid, error
    error = models.TextField(blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    cached = models.BooleanField(default=False)
    # Post keys of the feed the agent read before deciding: who saw what, for per-segment engagement
    # rates and a stimulus's reach. Null on rows stored before it was kept.
    seen = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["step", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "step", "agent_key"], name="one_action_per_agent_step")
        ]


class RunPanel(TenantModel):
    """The panel frozen on a run at start (personas and follows), so later edits of the panel never
    change a run; kept out of the ``Run`` row, which every heartbeat and event updates."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="frozen_panel")
    data = models.JSONField(default=dict, blank=True)


class RunStep(TenantModel):
    """The decisions a committed step applied (``AgentDecision.to_dict``), a step's delta: with the
    nearest full ``RunSnapshot`` before it, they rebuild the world before any later step (the next
    step on another worker, a fork's start, an interview)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveIntegerField()
    decisions = models.JSONField(default=list)
    gate = models.JSONField(default=dict, blank=True)  # what the quality gate checked in this step

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="one_delta_per_step")]


class RunShard(TenantModel):
    """One slice of a step's planned turns (``start``..``stop``), that any worker may decide.

    A worker takes it with a lease (compare-and-set, as for the run) and stores the decisions
    with ``done`` in one update; the step is applied once every shard of it is done."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="shards")
    step = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    done = models.BooleanField(default=False)
    decisions = models.JSONField(default=list, blank=True)
    gate = models.JSONField(default=dict, blank=True)  # the quality gate's counts for this shard

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "step", "index"], name="one_shard_per_index")]


class RunSnapshot(TenantModel):
    """The full world (without the panel) before ``step``, kept every few steps
    (``SIMNET_SNAPSHOT_EVERY``) and at the end; the ``RunStep`` decisions since rebuild any later
    step's world."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="snapshots")
    step = models.PositiveIntegerField()
    state = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="one_snapshot_per_step")]


class Interview(TenantModel):
    """A question put to a persona about the run; answering never changes the run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="interviews")
    agent_key = models.CharField(max_length=40)
    handle = models.CharField(max_length=128)
    step = models.PositiveIntegerField()
    question = models.TextField()
    answer = models.TextField(blank=True)
    error = models.TextField(blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


# --- Insight (issue 7): cached run reports and backtests -----------------------------------------


class RunReportCache(TenantModel):
    """The analysis of a final run, built once (``simulations.insight.reports``).

    A final run's rows never change, so its report is deterministic; sentiment, themes and
    cascades are costly enough not to recompute on every page view. ``version`` is the report
    format's version: a cache written by older analysis code is rebuilt on the next read.
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="report_cache")
    version = models.CharField(max_length=20)
    data = models.JSONField()  # RunReport.to_dict() plus the Django side's extras (trust notes, handles)
    metrics = models.JSONField(default=dict)  # RunReport.outcome_metrics(): what an experiment compares
    created_at = models.DateTimeField(default=timezone.now)


class TaskStatus(models.TextChoices):
    """Where a one-task job (a backtest, a panel question) stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Backtest(TenantModel):
    """Simulated reactions of a panel's imported personas scored against what they really did.

    ``source`` says where "what really happened" comes from: the held-out history items that
    react to one real post given as ``stimulus_text`` (``stimulus``), or every real post that
    several personas reacted to in their held-out history (``held_out``). The chosen provider
    and the rule baseline are always scored side by side (``result``).
    """

    class Source(models.TextChoices):
        STIMULUS = "stimulus", "A real post (given as text)"
        HELD_OUT = "held_out", "Posts the personas reacted to in their held-out history"

    Status = TaskStatus

    panel = models.ForeignKey("personas.Panel", on_delete=models.CASCADE, related_name="backtests")
    provider_kind = models.CharField(max_length=20)
    provider_model = models.CharField(max_length=120, blank=True)
    provider_config = models.ForeignKey(
        "providers.ProviderConfig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    class Mode(models.TextChoices):
        REACTIONS = "reactions", "Who reacts to posts after one cut-off, and how"
        ENGAGEMENT = "engagement", "One account's post engagement, each post predicted from the ones before"

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.HELD_OUT)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.REACTIONS)
    cutoff = models.DateTimeField(null=True, blank=True)  # reactions: one cut-off for the whole panel
    account = models.ForeignKey(
        "personas.SourceAccount", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )  # engagement: the account whose posts are forecast
    last_n = models.PositiveIntegerField(default=200)  # engagement: rolling origins (the last N posts)
    stimulus_text = models.TextField(blank=True)
    stimulus_author = models.CharField(max_length=128, blank=True)
    target_id = models.CharField(max_length=128, blank=True)  # the real post's platform id, if known
    replicates = models.PositiveIntegerField(default=3)
    seed = models.BigIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)  # cases, scores per provider, comparison table
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "provider_kind", "provider_model"])]

    def __str__(self) -> str:
        return f"Backtest #{self.pk} ({self.provider_label})"

    @property
    def provider_label(self) -> str:
        return f"{self.provider_kind}/{self.provider_model}" if self.provider_model else self.provider_kind


# --- Panel questions (issue 14): one poll or open question put to every persona of a panel ---------


class PanelQuestion(TenantModel):
    """A poll (``choices``) or an open question asked of a whole panel in one background task.
    ``result`` keeps the split by segment once every persona has answered or failed."""

    class Kind(models.TextChoices):
        POLL = "poll", "Poll (pick one choice)"
        OPEN = "open", "Open question"

    Status = TaskStatus

    panel = models.ForeignKey("personas.Panel", on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    question = models.TextField()
    choices = models.JSONField(default=list, blank=True)  # poll only: the options, in display order
    provider_config = models.ForeignKey(
        "providers.ProviderConfig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # None: the offline model
    provider_label = models.CharField(max_length=160, blank=True)
    seed = models.BigIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)  # personas to ask
    done = models.PositiveIntegerField(default=0)  # personas answered or failed so far
    result = models.JSONField(default=dict, blank=True)  # the split by segment
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)  # counted in the month's spend
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Question #{self.pk} to {self.panel_id}"


class PanelAnswer(TenantModel):
    """One persona's answer to a panel question, or why it has none (``error``)."""

    question = models.ForeignKey(PanelQuestion, on_delete=models.CASCADE, related_name="answers")
    persona = models.ForeignKey("personas.Persona", on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    choice = models.CharField(max_length=200, blank=True)  # poll: the option the answer names
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["question", "persona"], name="one_answer_per_persona")]


# --- Briefs (issue 16): a pasted or uploaded brief, the draft a hosted model extracted, the world it became


class BriefDraft(TenantModel):
    """A brief and its editable draft (stakeholders, opening posts, closing question; see
    ``simulations.briefs.draft``) until ``brief_apply`` makes it a panel and a scenario.

    ``origin`` says who wrote the draft: a hosted model that read the brief, a template, or a
    hand-written example; ``edited`` is set once a person changed it."""

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Extracted from the brief by a hosted model"
        TEMPLATE = "template", "Started from a template (no model read anything)"
        EXAMPLE = "example", "Written by hand as an example"

    Status = TaskStatus

    title = models.CharField(max_length=160)
    source_kind = models.CharField(max_length=10)  # paste, pdf, docx, markdown, text, template
    source_name = models.CharField(max_length=255, blank=True)  # the uploaded file's name
    text = models.TextField(blank=True)  # the brief's text, as read
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EXTRACTED)
    provider_config = models.ForeignKey(
        "providers.ProviderConfig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_label = models.CharField(max_length=200, blank=True)  # who extracted, kept if the config goes
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(blank=True)
    draft = models.JSONField(default=dict, blank=True)
    edited = models.BooleanField(default=False)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)  # counted in the month's spend
    panel = models.ForeignKey(
        "personas.Panel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


# --- multimodal ---
class StimulusKeyframe(TenantModel):
    """One frame of a video ad, uploaded by the user: the agents of a vision provider see the
    stimulus's image and its keyframes in order (``simulations.scenarios.media`` bounds them)."""

    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="keyframes")
    image = models.ImageField(upload_to="stimuli/keyframes/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


# --- Narratives (issue 16): a model-written report of a finished run, beside the statistical one -----


class NarrativeReport(TenantModel):
    """A hosted model's narrative of a final run, written from tools that read only the stored run
    (``simulations.insight.narratives``). Always shown as model-written, beside the statistical
    report, never instead of it. ``citations`` are the cited posts that exist (checked after
    writing); ``dropped_citations`` the cited keys that named no post, removed from ``text``."""

    Status = TaskStatus

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="narratives")
    provider_config = models.ForeignKey(
        "providers.ProviderConfig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_label = models.CharField(max_length=200, blank=True)  # kind/model, kept if the config goes
    question = models.TextField(blank=True)  # what the user asked the narrative to answer, if anything
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(blank=True)
    text = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)  # [{"post_key", "handle", "kind", "step", "text"}]
    dropped_citations = models.JSONField(default=list, blank=True)  # every unknown key cited, removed
    tool_calls = models.JSONField(default=list, blank=True)  # [{"round", "name", "arguments", ...}]
    rounds = models.PositiveIntegerField(default=0)
    stop = models.CharField(max_length=20, blank=True)  # answered, round_limit, budget
    usage = models.JSONField(default=dict, blank=True)  # tokens and calls, as the provider reported
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)  # also added to the run's
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Narrative #{self.pk} of run {self.run_id}"


# --- political research ---
class StanceReading(TenantModel):
    """One persona's stance on the run's question at one step (-3..+3 and the sentence it gave).

    Written from a deliberation's poll turns at commit, or by a stance poll of the world rebuilt
    at a checkpoint step (``simulations.runs.stance_readings``). ``source`` says who answered:
    a model, or the rule policy (a stance derived from traits and exposures, not words)."""

    class Source(models.TextChoices):
        MODEL = "model", "Answered by the model"
        RULE = "rule", "Derived by the rule policy"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="stance_readings")
    step = models.PositiveIntegerField()  # the reading is of the world before this step
    agent_key = models.CharField(max_length=40)
    persona = models.ForeignKey(
        "personas.Persona", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    value = models.SmallIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices)
    kind = models.CharField(max_length=12, default="checkpoint")  # poll, repoll (deliberation), checkpoint
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step", "agent_key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "step", "agent_key"], name="one_stance_per_agent_step"),
            models.CheckConstraint(condition=models.Q(value__gte=-3, value__lte=3), name="stance_on_scale"),
        ]
