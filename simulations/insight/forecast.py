"""Post performance forecast: "how will this draft do?" for an imported account with counts.

The learner (``simulations.learning.engagement``) is pure; this module is its bridge to the
stored history. It reads the account's real posts with their like/repost/reply/quote counts
(inside the caller's organization only), fits or reuses a cached model, and answers with the
expected counts, the 80% interval, how many posts it learned from, and the naive references a
reader needs to judge the numbers: the typical counts of the whole history and of its last 200
posts.

Below ``SHORT_HISTORY`` posts the fit is shrunk toward a model pooled over the organization's
other accounts with counts; below ``MIN_POSTS`` with nothing to borrow from (or below
``MIN_POSTS_WITH_PRIOR`` at all) there is no forecast, only "not enough data" and the count.
Fitted models are cached as JSON, keyed by the account's posts with counts (how many, the newest)
and the pooled prior's, so a new import refits and repeated requests do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from personas.models import HistoryItem, HistoryKind, Persona, SourceAccount
from simnet.tenancy.errors import ApplicationError
from simulations.learning.engagement import METRICS, ForecastModel, fit_forecast, fit_pooled_forecast, predict
from simulations.learning.features import PostRow
from simulations.learning.priors import SHORT_HISTORY
from simulations.models import RunPost, Stimulus

MIN_POSTS = 10  # below this, and with no pooled prior, there is no forecast
MIN_POSTS_WITH_PRIOR = 3  # below this the learner would ignore the account's own posts
RECENT_WINDOW = 200  # the "own past rate" reference: the typical count of the last 200 posts
POOLED_ACCOUNTS = 20  # the pooled prior reads at most this many other accounts ...
POOLED_POSTS = 600  # ... and at most this many recent posts of each
CACHE_SECONDS = 7 * 24 * 3600
INTERVAL = 0.8
COUNT_FIELDS = {
    "likes": "like_count",
    "reposts": "repost_count",
    "replies": "reply_count",
    "quotes": "quote_count",
}
SOURCE = "the account's imported history (its real posts and their counts), not the simulation"
HAS_COUNTS = (
    Q(like_count__isnull=False) | Q(repost_count__isnull=False)
    | Q(reply_count__isnull=False) | Q(quote_count__isnull=False)
)  # fmt: skip


def _posts(organization):
    """The organization's imported posts that carry counts and a time: what a forecast learns from."""
    return HistoryItem.objects.for_org(organization).filter(
        HAS_COUNTS, kind=HistoryKind.POST, created_at__isnull=False
    )


def post_rows(organization, account: SourceAccount, limit: int | None = None) -> list[PostRow]:
    """The account's posts with counts, oldest first (the last ``limit`` when given)."""
    items = _posts(organization).filter(account=account).order_by("-created_at", "-id")
    fields = ("text", "created_at", "media", "community", *COUNT_FIELDS.values())
    rows = [
        PostRow(
            text=item["text"],
            created_at=item["created_at"],
            media=len(item["media"] or ()),
            counts={metric: item[name] or 0 for metric, name in COUNT_FIELDS.items()},
            author=account.handle,
            community=item["community"],
        )
        for item in (items[:limit] if limit else items).values(*fields)
    ]
    return rows[::-1]


def account_find(*, organization, account_id: int | None = None, handle: str = "") -> SourceAccount:
    """The organization's imported account by id or handle (the latest fetched on a shared handle).

    Raises ``ApplicationError`` 404 otherwise, also for another organization's account."""
    accounts = SourceAccount.objects.for_org(organization)
    if account_id is not None:
        found = accounts.filter(pk=account_id).first()
    else:
        found = (
            accounts.filter(handle__iexact=handle.strip().lstrip("@")).order_by("-fetched_at", "-id").first()
        )
    if found is None:
        raise ApplicationError("No imported account found.", code="not_found", status=404)
    return found


def persona_account(*, organization, handle: str) -> SourceAccount | None:
    """The imported account behind the organization's persona ``handle``, or None for any other author."""
    handle = handle.strip().lstrip("@")
    if not handle:
        return None
    persona = (
        Persona.objects.for_org(organization)
        .filter(handle__iexact=handle, source_account__isnull=False)
        .select_related("source_account")
        .order_by("-id")
        .first()
    )
    return persona.source_account if persona else None


def _signature(queryset) -> tuple[int, int]:
    found = queryset.aggregate(count=Count("id"), newest=Max("id"))
    return found["count"], found["newest"] or 0


def _cached(key: str, fit) -> ForecastModel:
    stored = cache.get(key)
    if stored is not None:
        return ForecastModel.from_dict(stored)
    model = fit()
    cache.set(key, model.to_dict(), CACHE_SECONDS)
    return model


def _pooled(organization, account: SourceAccount) -> tuple[ForecastModel, str] | None:
    """A model over the organization's other accounts with enough posts of their own, and its cache key."""
    others = _posts(organization).exclude(account=account)
    accounts = list(
        others.values("account").annotate(n=Count("id")).filter(n__gte=SHORT_HISTORY)
        .order_by("-n", "account").values_list("account", flat=True)[:POOLED_ACCOUNTS]
    )  # fmt: skip
    if not accounts:
        return None
    count, newest = _signature(others)
    key = f"forecast:pooled:{organization.pk}:{account.pk}:{count}:{newest}"
    lenders = SourceAccount.objects.for_org(organization).filter(pk__in=accounts)
    return _cached(
        key, lambda: fit_pooled_forecast([post_rows(organization, a, POOLED_POSTS) for a in lenders])
    ), key


def _fit(rows: Sequence[PostRow], pooled: ForecastModel | None) -> ForecastModel:
    """The account's own fit, or its shrunk fit that also says what the prior was pooled over."""
    model = fit_forecast(rows, pooled=pooled)
    return replace(model, notes=(*model.notes, *pooled.notes)) if pooled else model


def _not_enough_data(account: SourceAccount, n: int) -> ApplicationError:
    return ApplicationError(
        f"Not enough data: @{account.handle} has {n} post{'s' if n != 1 else ''} with counts; a forecast needs "
        f"{MIN_POSTS}, or {MIN_POSTS_WITH_PRIOR} and other imported accounts with {SHORT_HISTORY} to borrow from.",
        code="not_enough_data",
        status=422,
    )


def _model(organization, account: SourceAccount, rows: Sequence[PostRow]) -> ForecastModel:
    """The account's fitted model, cached per (account, its posts with counts, the pooled prior used)."""
    n = len(rows)
    if n < MIN_POSTS_WITH_PRIOR:
        raise _not_enough_data(account, n)
    prior = _pooled(organization, account) if n < SHORT_HISTORY else None
    if n < MIN_POSTS and prior is None:
        raise _not_enough_data(account, n)
    pooled, pooled_key = prior or (None, "own")
    count, newest = _signature(_posts(organization).filter(account=account))
    key = f"forecast:account:{account.pk}:{count}:{newest}:{pooled_key}"
    return _cached(key, lambda: _fit(rows, pooled))


def references(rows: Sequence[PostRow]) -> dict:
    """The naive references: the typical count (expm1 of the mean log1p count, the forecast's own
    scale) of the whole history and of its last 200 posts, per metric. An arithmetic mean would
    sit far above a typical post whenever a few posts went viral."""
    counts = np.array([[row.counts[m] for m in METRICS] for row in rows], dtype=float).reshape(
        -1, len(METRICS)
    )
    recent = counts[-RECENT_WINDOW:]

    def means(block: np.ndarray) -> dict:
        return {
            m: float(np.expm1(np.log1p(block[:, j]).mean())) if len(block) else None for j, m in enumerate(METRICS)
        }

    return {
        "history_mean": {"n": len(counts), **means(counts)},
        "recent_mean": {"n": len(recent), **means(recent)},
    }


def forecast_post(
    *, organization, account: SourceAccount, text: str, at: datetime | None = None, media: int = 0
) -> dict:
    """Expected likes, reposts, replies and quotes of a draft by ``account``, with 80% intervals (JSON-able).

    Raises ``ApplicationError`` (422, code ``not_enough_data``) when the history cannot support one."""
    at = at or timezone.now()
    rows = post_rows(organization, account)
    model = _model(organization, account, rows)
    result = predict(model, PostRow(text=text, created_at=at, media=media), rows)
    short = len(rows) < SHORT_HISTORY
    notes = list(result.notes)
    if short and model.own_weight == 1.0:
        notes.append(
            f"short history ({len(rows)} posts) and no other imported account with counts to borrow from: "
            "treat the interval as rough"
        )
    return {
        "account": {"id": account.pk, "handle": account.handle, "platform": account.platform},
        "at": at.isoformat(),
        "media": media,
        "interval": INTERVAL,
        "metrics": {
            m: {"expected": f.expected, "low": f.low, "high": f.high} for m, f in result.metrics.items()
        },
        "n_posts": len(rows),
        "n_train": result.n_train,
        "own_weight": model.own_weight,
        "level": result.level,
        "references": references(rows),
        "notes": notes,
        "source": SOURCE,
    }


def run_stimulus_forecasts(run) -> list[dict]:
    """For each stimulus a persona with an imported account posted in ``run``: the forecast from that
    account's real history next to the counts the simulation produced (the forecast, or why there is none)."""
    posts = (
        RunPost.objects.filter(run=run, is_stimulus=True, kind="post", persona__source_account__isnull=False)
        .select_related("persona__source_account")
        .order_by("step", "id")
    )
    images = {
        f"s{pk}": bool(image)
        for pk, image in Stimulus.objects.filter(Q(scenario_id=run.scenario_id) | Q(run=run))
        .for_org(run.organization)
        .values_list("pk", "image")
    }
    sections = []
    for post in posts:
        account = post.persona.source_account
        section = {
            "handle": account.handle,
            "text": post.text,
            "step": post.step,
            "simulated": {m: getattr(post, m) for m in METRICS} | {"impressions": post.impressions},
            "forecast": None,
            "not_enough_data": "",
        }
        try:
            section["forecast"] = forecast_post(
                organization=run.organization, account=account, text=post.text,
                at=run.created_at, media=int(images.get(post.stimulus_key, False)),
            )  # fmt: skip
        except ApplicationError as error:
            section["not_enough_data"] = error.message
        sections.append(section)
    return sections
