"""A hosted model's narrative report of a finished run: queued, written in one background task,
its citations checked against the run's posts, its cost charged to the run.

Why a hosted model only: the narrative needs a model that can call tools and reason over what
they return; the offline model cannot, and a narrative that reads as confident but was written
from nothing is worse than none (the page says so, and the statistical report stands alone).

Why bounded: the model converses with the run's data (``narrative_tools``) in a loop
(``simnet.llm.tool_use``) that stops after ``MAX_ROUNDS`` rounds of tool calls, or once it has
spent ``MAX_COST_USD`` (or what the month's budget leaves, if less) or ``MAX_TOKENS``. What it
paid is added to the run's own usage, which the monthly spend already sums (``runs_spend``), as
the report's judge does; the narrative keeps its own copy for display only.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from simnet.llm.base import ProviderError
from simnet.llm.tool_chats import tool_chat_for
from simnet.llm.tool_use import LoopLimits, LoopOutcome, run_tool_loop
from simnet.providers.build import choice_for, provider_for
from simnet.providers.models import HOSTED_KINDS, ProviderConfig
from simnet.providers.selectors import hosted_provider_list
from simnet.providers.spend import budget_left
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.narrative import SYSTEM, TOOLS, check_citations, prompt_for
from simulations.insight.narrative_tools import RunTools
from simulations.models import FINAL_STATUSES, NarrativeReport, Run, RunPost
from simulations.runs.charges import charge_run

MAX_ROUNDS = 6
MAX_COST_USD = Decimal("0.25")
MAX_TOKENS = 60_000
MAX_QUESTION_CHARS = 500
NEEDS_HOSTED = (
    "A narrative report needs a hosted language model (Anthropic or an OpenAI-compatible server) "
    "that can read the run through tools. Add one under Providers; the statistical report does not need one."
)
STOPS = {
    "round_limit": "it was still calling tools after {rounds} rounds",
    "budget": "it reached its spending limit",
    "provider_error": "the provider failed: {error}",
    "answered": "it wrote nothing",
}


def narrative_config(
    *, organization, run: Run, chosen: ProviderConfig | None = None
) -> ProviderConfig | None:
    """The hosted model to write with: the one chosen, else the run's own if hosted, else the
    organization's default hosted model; None when the organization has none."""
    if chosen is not None:
        if chosen.organization_id != organization.pk:
            raise ApplicationError("Unknown provider configuration.", code="not_found", status=404)
        if chosen.kind not in HOSTED_KINDS:
            raise ApplicationError(
                NEEDS_HOSTED, code="hosted_model_required", fields={"provider_config": [NEEDS_HOSTED]}
            )
        return chosen
    own = run.scenario.provider
    if own is not None and own.kind in HOSTED_KINDS:
        return own
    return hosted_provider_list(organization=organization).first()


def narrative_create(
    *,
    organization,
    actor: Actor | None,
    run: Run,
    provider_config: ProviderConfig | None = None,
    question: str = "",
    enqueue: bool = True,
) -> NarrativeReport:
    """Check and record the request, queued for a worker unless ``enqueue`` is False (then call
    ``narrative_execute``). It spends on a hosted model, so it needs member or above."""
    require_role(actor_role(organization, actor), roles.WRITE, "ask for narrative reports")
    if run.organization_id != organization.pk:
        raise ApplicationError("No such run.", code="not_found", status=404)
    if run.status not in FINAL_STATUSES:
        raise ApplicationError(
            "A narrative is written once the run has ended.", code="run_not_final", status=409
        )
    if len(question) > MAX_QUESTION_CHARS:
        raise ApplicationError(
            f"Keep the question under {MAX_QUESTION_CHARS} characters.",
            fields={"question": [f"At most {MAX_QUESTION_CHARS} characters."]},
        )
    config = narrative_config(organization=organization, run=run, chosen=provider_config)
    if config is None:
        raise ApplicationError(NEEDS_HOSTED, code="hosted_model_required")
    if budget_left(organization) <= 0:
        raise ApplicationError(
            "This month's budget is spent: a narrative costs up to "
            f"${MAX_COST_USD}. Ask an admin to raise the monthly budget in Settings.",
            code="quota_exceeded",
            status=402,
        )
    choice = choice_for(config)
    with transaction.atomic():
        narrative = NarrativeReport.objects.create(
            organization=organization, run=run, provider_config=config,
            provider_label=f"{choice.kind}/{choice.model}" if choice.model else choice.kind,
            question=question.strip(), created_by=actor_user(actor),
        )  # fmt: skip
        if enqueue:
            transaction.on_commit(
                lambda: async_task(
                    "simulations.tasks.write_narrative", narrative.pk, task_name=f"narrative-{narrative.pk}"
                )
            )
    return narrative


def _limits(narrative: NarrativeReport, max_rounds: int) -> LoopLimits:
    left = max(budget_left(narrative.organization), Decimal(0))
    return LoopLimits(
        max_rounds=max_rounds, max_cost_usd=float(min(MAX_COST_USD, left)), max_tokens=MAX_TOKENS
    )


def _write(narrative: NarrativeReport, max_rounds: int) -> LoopOutcome:
    run = narrative.run
    try:
        chat = tool_chat_for(provider_for(narrative.provider_config, organization_id=run.organization_id))
    except ProviderError as error:
        return LoopOutcome(text="", rounds=0, stop="provider_error", error=str(error))
    return run_tool_loop(
        chat,
        system=SYSTEM,
        prompt=prompt_for(run.scenario.name, narrative.question),
        tools=TOOLS,
        execute=RunTools(run),
        limits=_limits(narrative, max_rounds),
    )


def _cited_posts(run: Run, keys: tuple[str, ...]) -> list[dict]:
    posts = {
        p.post_key: p
        for p in RunPost.objects.filter(organization_id=run.organization_id, run=run, post_key__in=keys)
    }
    return [
        {"post_key": k, "handle": posts[k].author_handle, "kind": posts[k].kind, "step": posts[k].step,
         "text": posts[k].text}
        for k in keys
    ]  # fmt: skip


def narrative_execute(*, narrative_id: int, max_rounds: int = MAX_ROUNDS) -> NarrativeReport:
    """Write the narrative, check its citations, store it and charge the run, in one transaction."""
    narrative = NarrativeReport.unscoped.select_related(
        "run__scenario", "provider_config", "organization"
    ).get(pk=narrative_id)
    if narrative.status in (NarrativeReport.Status.COMPLETED, NarrativeReport.Status.FAILED):
        return narrative  # a redelivered task: written already (a crashed one, still running, writes again)
    NarrativeReport.unscoped.filter(pk=narrative.pk).update(status=NarrativeReport.Status.RUNNING)
    if narrative.provider_config is None:
        outcome = LoopOutcome(text="", rounds=0, stop="provider_error", error="its provider was deleted")
    else:
        outcome = _write(narrative, max_rounds)
    run = narrative.run
    known = set(
        RunPost.objects.filter(organization_id=run.organization_id, run=run).values_list(
            "post_key", flat=True
        )
    )
    checked = check_citations(outcome.text, known)
    usage = outcome.usage
    cost = Decimal(str(round(usage.cost_usd, 6)))
    failed = not checked.text or outcome.stop == "provider_error"
    reason = STOPS.get(outcome.stop, outcome.stop).format(rounds=outcome.rounds, error=outcome.error)
    with transaction.atomic():
        NarrativeReport.unscoped.filter(pk=narrative.pk).update(
            status=NarrativeReport.Status.FAILED if failed else NarrativeReport.Status.COMPLETED,
            status_reason=f"No narrative: {reason}." if failed else "",
            text=checked.text,
            citations=_cited_posts(run, checked.cited),
            dropped_citations=list(checked.dropped),
            tool_calls=outcome.calls,
            rounds=outcome.rounds,
            stop=outcome.stop,
            usage={"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                   "cached_input_tokens": usage.cached_input_tokens, "calls": usage.calls},
            cost_usd=cost,
            finished_at=timezone.now(),
        )  # fmt: skip
        charge_run(run, usage)
    narrative.refresh_from_db()
    return narrative


def narrative_list(*, organization, run: Run) -> QuerySet:
    """The run's narratives, newest first."""
    return NarrativeReport.objects.for_org(organization).filter(run=run).select_related("provider_config")
