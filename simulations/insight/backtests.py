"""Backtests: predict what a panel's imported members did after a cut-off, and prove it.

Two modes, both scored with intervals against reference predictors (``analysis.honest``):

- ``reactions``: one cut-off for the whole panel (default: the time that leaves the last quarter
  of known posts after it). The members' full history (held-out items included: the cut-off
  splits it now) feeds ``backtest_reactions``: the reaction model on every later post, a sample
  of later posts simulated by the rule baseline, the chosen provider and the hybrid;
- ``engagement``: one account's last N posts, each forecast from the posts before it
  (``backtest_engagement``); no shared reactors needed.

The result is stored on the ``Backtest`` row as plain JSON.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from personas.models import Panel, Persona, SourceAccount
from personas.services.importer import account_record
from simnet.llm.base import Provider, ProviderError, ProviderUnavailable, QuotaExceeded
from simnet.llm.registry import build_provider
from simnet.providers.build import OFFLINE_MODEL, choice_for, provider_for
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.jsonable import to_jsonable
from simulations.insight.backtest_engagement import MIN_POSTS, NotEnoughPosts, run_engagement_backtest
from simulations.insight.backtest_reactions import (
    RULES,
    default_cutoff,
    labelled_pairs,
    run_reaction_backtest,
)
from simulations.insight.backtest_simulation import BacktestStopped
from simulations.insight.forecast import post_rows
from simulations.learning.exposures import MemberItem
from simulations.models import Backtest
from simulations.runs import persistence
from simulations.runs.policy import panel_history

MAX_REPLICATES = 10
MAX_CASES = 20  # posts simulated through the engine per policy
MAX_LAST_N = 2000
SELF_SERVE_KINDS = ("offline", "baseline")  # kinds that need no provider configuration (no key)
HISTORY_PER_MEMBER = 20000  # the most recent items of each member a backtest reads


def _field_error(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field: [message]})


def _members_history(panel: Panel) -> list[MemberItem]:
    return panel_history(panel, held_out=True, limit=HISTORY_PER_MEMBER)


def _check_reactions(backtest: Backtest) -> None:
    """ApplicationError unless some imported member reacted to a known post after the cut-off."""
    history = _members_history(backtest.panel)
    if not history:
        raise _field_error("panel", "This panel has no imported members with history: import accounts first.")
    members = sorted({i.persona for i in history})
    try:
        cutoff = backtest.cutoff or default_cutoff(history)
        test = labelled_pairs(history, members, cutoff)
    except ValueError as error:
        raise _field_error("panel", str(error)) from error
    if not any(action != "ignore" for action in test.actions):
        raise _field_error("cutoff", "No member of this panel reacted to a known post after this cut-off.")


def _check_engagement(backtest: Backtest) -> None:
    account = backtest.account
    if account is None:
        raise _field_error("account", "The engagement backtest needs an imported account.")
    if account.organization_id != backtest.organization_id:
        raise ApplicationError(
            "Unknown account.", code="not_found", status=404, fields={"account": ["Unknown."]}
        )
    posts = len(post_rows(backtest.organization, account))
    if posts < MIN_POSTS:
        raise _field_error(
            "account",
            f"@{account.handle} has {posts} posts with engagement counts; a backtest needs {MIN_POSTS}.",
        )


def _chosen(organization, kind: str, config: ProviderConfig | None) -> tuple[str, str]:
    """(kind, model) of the provider a backtest will use; ApplicationError when it cannot run."""
    if config is not None:
        if config.organization_id != organization.pk:
            raise ApplicationError("Unknown provider configuration.", code="not_found", status=404)
        choice = choice_for(config)
        return choice.kind, choice.model
    if kind not in SELF_SERVE_KINDS:
        raise ApplicationError(
            f"The {kind} provider needs a provider configuration (its key and model): choose one.",
            fields={"provider": [f"The {kind} provider needs a provider configuration: choose one."]},
        )
    return kind, OFFLINE_MODEL if kind == "offline" else ""


def backtest_create(
    *,
    organization,
    actor: Actor | None,
    panel: Panel,
    mode: str = Backtest.Mode.REACTIONS,
    cutoff=None,
    account: SourceAccount | None = None,
    last_n: int = 200,
    provider_kind: str = "offline",
    provider_config: ProviderConfig | None = None,
    replicates: int = 1,
    seed: int = 1,
    enqueue: bool = True,
) -> Backtest:
    """Check and record a backtest, queued for a worker unless ``enqueue`` is False (then call
    ``backtest_execute``). The actor needs member or above (``manage.py backtest`` acts as ``SYSTEM``)."""
    require_role(actor_role(organization, actor), roles.WRITE, "start backtests")
    if panel.organization_id != organization.pk:
        raise ApplicationError(
            "Backtests need a panel of your own organization.", code="not_found", status=404
        )
    if mode not in Backtest.Mode.values:
        raise _field_error("mode", f"Unknown mode {mode!r}: use reactions or engagement.")
    if not 1 <= replicates <= MAX_REPLICATES:
        raise _field_error("replicates", f"Use 1 to {MAX_REPLICATES} replicates.")
    if not 1 <= last_n <= MAX_LAST_N:
        raise _field_error("last_n", f"Use 1 to {MAX_LAST_N} posts.")
    kind, model = _chosen(organization, provider_kind, provider_config)
    backtest = Backtest(
        organization=organization, panel=panel, mode=mode, cutoff=cutoff, account=account, last_n=last_n,
        provider_kind=kind, provider_model=model, provider_config=provider_config, replicates=replicates,
        seed=seed, created_by=actor_user(actor),
    )  # fmt: skip
    if mode == Backtest.Mode.ENGAGEMENT:  # fail now, with the reason, rather than in the worker
        _check_engagement(backtest)
    else:
        _check_reactions(backtest)
    with transaction.atomic():
        backtest.save()
        if enqueue:
            transaction.on_commit(
                lambda: async_task(
                    "simulations.tasks.run_backtest", backtest.pk, task_name=f"backtest-{backtest.pk}"
                )
            )
    return backtest


def _writer(backtest: Backtest) -> Provider | None:
    """The chosen provider, when it writes words a policy can use (the rule baseline does not)."""
    if backtest.provider_kind == "baseline":
        return None
    return provider_for(backtest.provider_config, organization_id=backtest.organization_id)


def chosen_label(backtest: Backtest) -> str:
    """The name the chosen provider's scores are stored under (the rule baseline's own when it is one)."""
    return RULES if backtest.provider_kind == "baseline" else backtest.provider_label


def _accounts(panel: Panel) -> dict:
    members = Persona.objects.filter(
        organization_id=panel.organization_id, panel_memberships__panel=panel, source_account__isnull=False
    ).select_related("source_account")
    return {str(p.pk): account_record(p.source_account) for p in members}


def _reactions_result(backtest: Backtest) -> dict:
    history = _members_history(backtest.panel)
    writer = _writer(backtest)
    policies: dict[str, Provider] = {RULES: build_provider("baseline")}
    if writer is not None:
        policies[backtest.provider_label] = writer
    outcome = run_reaction_backtest(
        history, persistence.panel_snapshot(backtest.panel), policies=policies, writer=writer,
        accounts=_accounts(backtest.panel), cutoff=backtest.cutoff, replicates=backtest.replicates,
        seed=backtest.seed, max_cases=MAX_CASES,
    )  # fmt: skip
    return {
        "cutoff": outcome.cutoff.isoformat(),
        "population": outcome.population,
        "test_posts": outcome.test_posts,
        "cases": list(outcome.cases),
        "tables": list(outcome.tables),
        "calibration": outcome.calibration.to_dict(),
        "coverage": [],
        "extra_warnings": list(outcome.warnings),
        "decisions": {label: run.decisions for label, run in outcome.runs.items()},
        "failed_decisions": {label: run.failed for label, run in outcome.runs.items()},
    }


def _engagement_result(backtest: Backtest) -> dict:
    outcome = run_engagement_backtest(
        post_rows(backtest.organization, backtest.account), last_n=backtest.last_n, seed=backtest.seed
    )
    return {
        "cutoff": outcome.first_origin,
        "population": 1,
        "test_posts": outcome.origins,
        "cases": [],
        "tables": [outcome.table],
        "calibration": None,
        "coverage": [to_jsonable(c) for c in outcome.coverage],
        "extra_warnings": [],
        "decisions": {},
        "failed_decisions": {},
    }


def backtest_execute(*, backtest_id: int) -> Backtest:
    """Score a queued backtest now (the worker, or ``manage.py backtest``)."""
    backtest = Backtest.unscoped.select_related("panel", "provider_config", "account", "organization").get(
        pk=backtest_id
    )
    Backtest.unscoped.filter(pk=backtest.pk).update(status=Backtest.Status.RUNNING, status_reason="")
    try:
        if backtest.mode == Backtest.Mode.ENGAGEMENT:
            outcome = _engagement_result(backtest)
        else:
            outcome = _reactions_result(backtest)
    except (
        BacktestStopped,
        ProviderError,
        ProviderUnavailable,
        QuotaExceeded,
        NotEnoughPosts,
        ValueError,
    ) as failure:
        return _finish(backtest, Backtest.Status.FAILED, str(failure), backtest.result)
    tables = outcome.pop("tables")
    warnings = [w for t in tables for w in t.warnings] + outcome.pop("extra_warnings")
    result = {
        "mode": backtest.mode,
        **outcome,
        "tables": [t.to_dict() for t in tables],
        "markdown": "\n\n".join(t.to_markdown() for t in tables),
        "warnings": [to_jsonable(w) for w in warnings],
        "chosen": chosen_label(backtest),
    }
    return _finish(backtest, Backtest.Status.COMPLETED, "", to_jsonable(result))


def _finish(backtest: Backtest, status: str, reason: str, result: dict) -> Backtest:
    Backtest.unscoped.filter(pk=backtest.pk).update(
        status=status, status_reason=reason, result=result, finished_at=timezone.now()
    )
    backtest.refresh_from_db()
    return backtest


def backtest_list(*, organization, provider: str = "") -> QuerySet:
    """Past backtests, newest first; ``provider`` filters by kind or by "kind/model" label."""
    backtests = Backtest.objects.for_org(organization).select_related("panel")
    if "/" in provider:
        kind, model = provider.split("/", 1)
        return backtests.filter(provider_kind=kind, provider_model=model)
    return backtests.filter(provider_kind=provider) if provider else backtests


def backtest_providers(*, organization) -> list[str]:
    """The provider labels (kind or kind/model) this organization has backtested, for a filter."""
    pairs = Backtest.objects.for_org(organization).values_list("provider_kind", "provider_model").distinct()
    return sorted({f"{kind}/{model}" if model else kind for kind, model in pairs})


def backtests_using(config: ProviderConfig) -> int:
    """Queued or running backtests that would call this provider."""
    return Backtest.objects.filter(
        organization_id=config.organization_id,
        provider_config=config,
        status__in=(Backtest.Status.QUEUED, Backtest.Status.RUNNING),
    ).count()


def latest_reactions_backtest(*, panel: Panel) -> Backtest | None:
    """The panel's newest completed reactions backtest (the report's evidence), if any."""
    return (
        Backtest.objects.for_org(panel.organization)
        .filter(panel=panel, mode=Backtest.Mode.REACTIONS, status=Backtest.Status.COMPLETED)
        .order_by("-finished_at", "-id")
        .first()
    )
