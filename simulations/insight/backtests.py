"""Backtests: simulate a panel's imported personas on real posts and score against what they did.

The population is every panel member whose source account has held-out history (items kept
out of its persona card and propensities at import, so the simulation never saw them). What
really happened comes from those held-out items:

- ``stimulus`` source: one real post given as text (and optionally its platform id); its real
  reactions are the held-out replies, quotes, reposts and likes whose target is that post
  (same id, or the same text once case and spaces are ignored, or one text containing the
  other when both are at least ``MATCH_MIN_CHARS`` long, since platforms truncate);
- ``held_out`` source: every post that at least ``MIN_SHARED_REACTORS`` population members
  reacted to in their held-out history, up to ``MAX_CASES`` of the most reacted-to. A post
  only one person reacted to says little about the others, who may never have seen it.

The chosen provider and the rule baseline are always both simulated and scored
(``backtest_simulation``); the result is stored on the ``Backtest`` row.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from personas.models import HistoryItem, Panel, Persona
from simnet.llm.base import Provider, ProviderError, ProviderUnavailable, QuotaExceeded
from simnet.llm.registry import build_provider
from simnet.providers.build import OFFLINE_MODEL, choice_for, provider_for
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.backtest import BASELINE
from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.records import ActionKind, Reaction
from simulations.insight.backtest_simulation import BacktestCase, BacktestStopped, audience, simulate_backtest
from simulations.models import Backtest
from simulations.runs import persistence

REACTION_KINDS = ("reply", "quote", "repost", "like")
MIN_SHARED_REACTORS = 2
MAX_CASES = 20
MATCH_MIN_CHARS = 20
MAX_REPLICATES = 10
SELF_SERVE_KINDS = ("offline", "baseline")  # kinds that need no provider configuration (no key)


def _normalized(text: str) -> str:
    return " ".join(text.casefold().split())


def same_post(stimulus_text: str, target_text: str) -> bool:
    """Whether a held-out item's target text is the given real post (see the module docstring)."""
    a, b = _normalized(stimulus_text), _normalized(target_text)
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= MATCH_MIN_CHARS and (a in b or b in a))


def population(panel: Panel) -> dict[int, str]:
    """source account id -> persona id (as the engine names it) of members with held-out history."""
    members = Persona.objects.filter(
        organization_id=panel.organization_id, panel_memberships__panel=panel, source_account__isnull=False
    ).values_list("source_account_id", "pk")
    accounts = dict(members)
    held = set(
        HistoryItem.objects.filter(
            organization_id=panel.organization_id, account_id__in=accounts, held_out=True
        ).values_list("account_id", flat=True)
    )
    return {account: str(pk) for account, pk in accounts.items() if account in held}


def _held_out_reactions(panel: Panel, accounts: dict[int, str]) -> list[tuple[str, HistoryItem]]:
    items = HistoryItem.objects.filter(
        organization_id=panel.organization_id, account_id__in=accounts, held_out=True, kind__in=REACTION_KINDS
    ).order_by("created_at", "id")
    return [(accounts[item.account_id], item) for item in items]


def _text_key(text: str) -> str:
    """A stable key for a post known only by its text ("" for no text)."""
    normalized = _normalized(text)
    return hashlib.sha256(normalized.encode()).hexdigest()[:12] if normalized else ""


def _reaction(persona_id: str, item: HistoryItem) -> Reaction:
    return Reaction(persona_id, ActionKind(item.kind), item.text if item.kind in ("reply", "quote") else "")


def cases_for_post(
    reactions: list[tuple[str, HistoryItem]], stimulus_text: str, author: str = "", target_id: str = ""
) -> list[BacktestCase]:
    matched = [
        (pid, item)
        for pid, item in reactions
        if (target_id and item.target_id == target_id) or same_post(stimulus_text, item.target_text)
    ]
    if not matched:
        return []
    author = author or next((item.target_author for _, item in matched if item.target_author), "")
    key = target_id or _text_key(stimulus_text)
    return [BacktestCase(key, stimulus_text, author, tuple(_reaction(pid, item) for pid, item in matched))]


def cases_from_held_out(reactions: list[tuple[str, HistoryItem]]) -> tuple[list[BacktestCase], int]:
    """(cases, number of reacted-to posts left out: too few reactors, no text, or over MAX_CASES)."""
    groups: dict[str, list[tuple[str, HistoryItem]]] = defaultdict(list)
    for pid, item in reactions:
        key = item.target_id or _text_key(item.target_text)
        if key:
            groups[key].append((pid, item))
    usable = []
    for key, rows in groups.items():
        text = max((item.target_text for _, item in rows), key=len)
        if len({pid for pid, _ in rows}) >= MIN_SHARED_REACTORS and text.strip():
            usable.append((key, text, rows))
    usable.sort(key=lambda g: (-len({pid for pid, _ in g[2]}), g[0]))
    cases = [
        BacktestCase(
            key,
            text,
            next((item.target_author for _, item in rows if item.target_author), ""),
            tuple(_reaction(pid, item) for pid, item in rows),
        )
        for key, text, rows in usable[:MAX_CASES]
    ]
    return cases, len(groups) - len(cases)


def backtest_cases(backtest: Backtest) -> tuple[list[BacktestCase], dict[int, str], int]:
    """(cases, population, cases left out); ApplicationError when there is nothing to score."""
    accounts = population(backtest.panel)
    if not accounts:
        raise ApplicationError(
            "No persona of this panel has held-out history. Import accounts with a held-out share "
            "(their most recent items are kept back for backtests), then try again.",
            code="no_held_out_history",
        )
    reactions = _held_out_reactions(backtest.panel, accounts)
    if backtest.source == Backtest.Source.STIMULUS:
        cases = cases_for_post(
            reactions, backtest.stimulus_text, backtest.stimulus_author, backtest.target_id
        )
        skipped = 0
        missing = "None of the held-out replies, quotes, reposts or likes of this panel react to that post."
    else:
        cases, skipped = cases_from_held_out(reactions)
        missing = (
            f"No real post drew reactions from at least {MIN_SHARED_REACTORS} of this panel's personas in "
            "their held-out history, so there is nothing shared to score against."
        )
    if not cases:
        raise ApplicationError(missing, code="no_backtest_cases")
    return cases, accounts, skipped


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
    provider_kind: str = "offline",
    provider_config: ProviderConfig | None = None,
    source: str = Backtest.Source.HELD_OUT,
    stimulus_text: str = "",
    stimulus_author: str = "",
    target_id: str = "",
    replicates: int = 3,
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
    if source not in Backtest.Source.values:
        message = f"Unknown source {source!r}: use stimulus or held_out."
        raise ApplicationError(message, fields={"source": [message]})
    if source == Backtest.Source.STIMULUS and not stimulus_text.strip():
        message = "Give the text of the real post."
        raise ApplicationError(message, fields={"stimulus_text": [message]})
    if not 1 <= replicates <= MAX_REPLICATES:
        message = f"Use 1 to {MAX_REPLICATES} replicates."
        raise ApplicationError(message, fields={"replicates": [message]})
    kind, model = _chosen(organization, provider_kind, provider_config)
    backtest = Backtest(
        organization=organization, panel=panel, provider_kind=kind, provider_model=model,
        provider_config=provider_config, source=source, stimulus_text=stimulus_text.strip(),
        stimulus_author=stimulus_author.strip(), target_id=target_id.strip(), replicates=replicates, seed=seed,
        created_by=actor_user(actor),
    )  # fmt: skip
    backtest_cases(backtest)  # fail now, with the reason, rather than in the worker
    with transaction.atomic():
        backtest.save()
        if enqueue:
            transaction.on_commit(
                lambda: async_task(
                    "simulations.tasks.run_backtest",
                    backtest.pk,
                    task_name=f"backtest-{backtest.pk}",
                )
            )
    return backtest


def _providers(backtest: Backtest) -> dict[str, Provider]:
    providers: dict[str, Provider] = {BASELINE: build_provider("baseline")}
    if backtest.provider_kind != "baseline":
        providers[backtest.provider_label] = provider_for(
            backtest.provider_config, organization_id=backtest.organization_id
        )
    return providers


def chosen_label(backtest: Backtest) -> str:
    """The name the chosen provider's scores are stored under (the baseline's own when it is one)."""
    return BASELINE if backtest.provider_kind == "baseline" else backtest.provider_label


def backtest_execute(*, backtest_id: int) -> Backtest:
    """Simulate and score a queued backtest now (the worker, or ``manage.py backtest``)."""
    backtest = Backtest.unscoped.select_related("panel", "provider_config").get(pk=backtest_id)
    Backtest.unscoped.filter(pk=backtest.pk).update(status=Backtest.Status.RUNNING, status_reason="")
    try:
        cases, accounts, skipped = backtest_cases(backtest)
        people = audience(persistence.panel_snapshot(backtest.panel), set(accounts.values()))
        outcome = simulate_backtest(
            people, cases, _providers(backtest), replicates=backtest.replicates, seed=backtest.seed
        )
    except (ApplicationError, BacktestStopped, ProviderError, ProviderUnavailable, QuotaExceeded) as failure:
        reason = failure.message if isinstance(failure, ApplicationError) else str(failure)
        return _finish(backtest, Backtest.Status.FAILED, reason, backtest.result)
    result = {
        "population": len(people.personas),
        "cases": [
            {
                "key": c.key,
                "stimulus_text": c.stimulus_text,
                "author": c.author_handle,
                "real_reactions": len(c.real),
                "real_engagers": len({r.persona_id for r in c.real}),
            }
            for c in cases
        ],
        "skipped_cases": skipped,
        "chosen": chosen_label(backtest),
        "scores": {label: to_jsonable(score) for label, score in outcome.scores.items()},
        "table": {"columns": list(outcome.table.columns), "rows": to_jsonable(list(outcome.table.rows))},
        "markdown": outcome.table.to_markdown(),
        "decisions": {label: r.decisions for label, r in outcome.runs.items()},
        "failed_decisions": {label: r.failed for label, r in outcome.runs.items()},
    }
    return _finish(backtest, Backtest.Status.COMPLETED, "", result)


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
