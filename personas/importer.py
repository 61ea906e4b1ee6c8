"""Imported accounts become rows and personas: the one bridge from neutral records to the database.

Called inside the importer's transaction once an account is complete, so a persona only ever
exists for a fully imported account. Re-importing an account adds what is new (unique
constraints + ``ignore_conflicts``), then re-derives its profile and card from *all* its stored
history, so two imports of the same person merge instead of duplicating.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from personas.cards import build_card
from personas.graphs import follow_graph_from_imports
from personas.profiling import (
    ProfileResult,
    derive_profile,
    online_chance_per_step,
    per_item_propensities,
    split_history,
    term_background,
)
from scraping.records import AccountBundle, AccountRecord, FollowRecord, HistoryKind, HistoryRecord

from .models import FollowEdge, HistoryItem, Panel, PanelMember, Persona, SourceAccount, SourceFollow

DEFAULT_HOLDOUT_FRACTION = 0.2
DEFAULT_CARD_BUDGET = 500
TONE_THRESHOLD = 0.05  # VADER's own positive/negative cut-off
INSERT_BATCH = 500


@dataclass(frozen=True)
class ImportOptions:
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION
    card_budget: int = DEFAULT_CARD_BUDGET


def _fit(model, field: str, value: str | None) -> str:
    """``value`` within the column's length: ids too long get a stable digest, text is cut."""
    value = value or ""
    limit = model._meta.get_field(field).max_length
    if len(value) <= limit:
        return value
    if field.endswith("platform_id") or field == "target_id":
        return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return value[:limit]


def _store_account(organization, record: AccountRecord) -> SourceAccount:
    url = record.url if len(record.url or "") <= SourceAccount._meta.get_field("url").max_length else ""
    account, _ = SourceAccount.objects.update_or_create(
        organization=organization,
        platform=_fit(SourceAccount, "platform", record.platform),
        platform_id=_fit(SourceAccount, "platform_id", record.platform_id),
        defaults={
            "handle": _fit(SourceAccount, "handle", record.handle),
            "display_name": _fit(SourceAccount, "display_name", record.display_name),
            "bio": record.bio,
            "location": _fit(SourceAccount, "location", record.location),
            "url": url,
            "followers_count": record.followers_count,
            "following_count": record.following_count,
            "fetched_at": timezone.now(),
        },
    )
    return account


def _store_history(organization, account: SourceAccount, history: Sequence[HistoryRecord]) -> None:
    rows = [
        HistoryItem(
            organization=organization,
            account=account,
            platform_id=_fit(HistoryItem, "platform_id", r.platform_id),
            kind=r.kind.value,
            text=r.text,
            language=_fit(HistoryItem, "language", r.language),
            created_at=r.created_at,
            target_id=_fit(HistoryItem, "target_id", r.target_id),
            target_author=_fit(HistoryItem, "target_author", r.target_author),
            target_text=r.target_text,
            like_count=r.like_count,
            repost_count=r.repost_count,
            reply_count=r.reply_count,
            quote_count=r.quote_count,
            media=list(r.media),
        )
        for r in history
    ]
    HistoryItem.objects.bulk_create(rows, ignore_conflicts=True, batch_size=INSERT_BATCH)


def _store_follows(organization, account: SourceAccount, bundle: AccountBundle) -> None:
    rows = [
        SourceFollow(
            organization=organization,
            account=account,
            direction=direction,
            handle=_fit(SourceFollow, "handle", f.handle),
            platform_id=_fit(SourceFollow, "platform_id", f.platform_id),
        )
        for direction, follows in (
            (SourceFollow.Direction.FOLLOWING, bundle.following),
            (SourceFollow.Direction.FOLLOWER, bundle.followers),
        )
        for f in follows
    ]
    SourceFollow.objects.bulk_create(rows, ignore_conflicts=True, batch_size=INSERT_BATCH)


def history_record(item: HistoryItem) -> HistoryRecord:
    return HistoryRecord(
        platform_id=item.platform_id,
        kind=HistoryKind(item.kind),
        text=item.text,
        created_at=item.created_at,
        language=item.language,
        target_id=item.target_id,
        target_author=item.target_author,
        target_text=item.target_text,
        like_count=item.like_count,
        repost_count=item.repost_count,
        reply_count=item.reply_count,
        quote_count=item.quote_count,
        media=tuple(item.media or ()),
    )


def account_record(account: SourceAccount, created_at=None) -> AccountRecord:
    return AccountRecord(
        platform=account.platform,
        platform_id=account.platform_id,
        handle=account.handle,
        display_name=account.display_name,
        bio=account.bio,
        location=account.location,
        url=account.url,
        followers_count=account.followers_count,
        following_count=account.following_count,
        created_at=created_at,
    )


def _tone_label(profile: ProfileResult) -> str:
    mean = profile.tone.sentiment_mean
    if mean is None:
        return ""
    return "positive" if mean >= TONE_THRESHOLD else "negative" if mean <= -TONE_THRESHOLD else "neutral"


def _activity_label(profile: ProfileResult) -> str:
    if profile.items_per_day is None:
        return ""
    return (
        "very active"
        if profile.items_per_day > 5
        else "regular"
        if profile.items_per_day >= 1
        else "occasional"
    )


def imported_traits(account: SourceAccount, profile: ProfileResult) -> dict[str, str]:
    """The few categorical traits panels filter and chart imported personas by."""
    traits = {
        "platform": account.platform,
        "language": profile.languages[0][0] if profile.languages else "",
        "tone": _tone_label(profile),
        "activity": _activity_label(profile),
        "location": account.location,
    }
    return {key: value for key, value in traits.items() if value}


def _persona_for(
    organization, account: SourceAccount, record: AccountRecord, options: ImportOptions, background
) -> Persona:
    items = list(HistoryItem.objects.filter(account=account))
    records = [history_record(item) for item in items]
    split = split_history(records, holdout_fraction=options.holdout_fraction)
    held = {(r.kind.value, r.platform_id) for r in split.holdout}
    held_ids = [item.pk for item in items if (item.kind, item.platform_id) in held]
    HistoryItem.objects.filter(account=account).exclude(pk__in=held_ids).update(held_out=False)
    HistoryItem.objects.filter(account=account, pk__in=held_ids).update(held_out=True)
    identity = account_record(account, created_at=record.created_at)
    profile = derive_profile(
        identity,
        records,
        holdout_fraction=options.holdout_fraction,
        background=background[0] if background else None,
        background_docs=background[1] if background else 0,
    )
    card = build_card(profile, identity, split.training, budget_tokens=options.card_budget)
    fields = {
        "handle": account.handle,
        "display_name": account.display_name,
        "bio": account.bio,
        "origin": Persona.Origin.IMPORTED,
        "traits": imported_traits(account, profile),
        "profile": profile.to_dict(),
        "propensities": per_item_propensities(profile),
        "activity_rate": online_chance_per_step(profile),
        "active_hours": list(profile.active_hours),
        "interests": ", ".join(term for term, _ in profile.topics[:8]),
    }
    persona = Persona.objects.filter(source_account=account).order_by("pk").first()
    if persona is None:
        return Persona.objects.create(
            organization=organization, source_account=account, card=card.text, card_tokens=card.tokens, **fields
        )
    for name, value in fields.items():
        setattr(persona, name, value)
    persona.save(update_fields=[*fields, *persona.set_card(card.text, card.tokens)])
    return persona


def _backgrounds(bundles: Sequence[AccountBundle]) -> list[tuple[dict[str, int], int] | None]:
    """Per bundle, term document frequencies over the *other* accounts of the import (distinctive topics)."""
    if len(bundles) < 2:
        return [None] * len(bundles)
    own = [term_background([b.history]) for b in bundles]
    total: Counter[str] = Counter()
    for freq, _ in own:
        total.update(freq)
    total_docs = sum(n for _, n in own)
    return [({t: c - freq.get(t, 0) for t, c in total.items()}, total_docs - n) for freq, n in own]


def bundles_persist(
    *, organization, bundles: Sequence[AccountBundle], panel: Panel, options: ImportOptions = ImportOptions()
) -> list[Persona]:
    """Store every account of ``bundles``, (re)build its persona, put it on ``panel`` and link real follows.

    Run inside a transaction: the caller's import is all-or-nothing.
    """
    if panel.organization_id != organization.pk:
        raise ValueError("the target panel belongs to another organization")
    personas = []
    for bundle, background in zip(bundles, _backgrounds(bundles), strict=True):
        account = _store_account(organization, bundle.account)
        _store_history(organization, account, bundle.history)
        _store_follows(organization, account, bundle)
        persona = _persona_for(organization, account, bundle.account, options, background)
        PanelMember.objects.get_or_create(organization=organization, panel=panel, persona=persona)
        personas.append(persona)
    panel_link_real_follows(panel)
    return personas


def panel_link_real_follows(panel: Panel) -> int:
    """Add a follow edge wherever one imported member really follows another; returns edges added."""
    members = list(
        panel.memberships.filter(persona__source_account__isnull=False).select_related(
            "persona__source_account"
        )
    )
    if len(members) < 2:
        return 0
    accounts = {m.persona.source_account_id: m.persona.source_account for m in members}
    persona_of = {
        (m.persona.source_account.platform, m.persona.source_account.platform_id): m.persona_id
        for m in members
    }
    handles = {a.handle.lower().lstrip("@") for a in accounts.values()}
    follows = (
        SourceFollow.objects.for_org(panel.organization_id)
        .filter(account__in=list(accounts.values()))
        .annotate(handle_lower=Lower("handle"))
        .filter(
            Q(platform_id__in={a.platform_id for a in accounts.values()})
            | Q(handle_lower__in=handles | {"@" + h for h in handles})
        )
        .values_list("account_id", "direction", "handle", "platform_id")
    )
    bundles = {pk: AccountBundle(account=account_record(a)) for pk, a in accounts.items()}
    for account_id, direction, handle, platform_id in follows:
        bundle = bundles[account_id]
        side = bundle.following if direction == SourceFollow.Direction.FOLLOWING else bundle.followers
        side.append(FollowRecord(handle=handle, platform_id=platform_id))
    edges = follow_graph_from_imports(
        list(bundles.values()), key=lambda a: str(persona_of[(a.platform, a.platform_id)])
    )
    before = FollowEdge.objects.filter(panel=panel).count()
    FollowEdge.objects.bulk_create(
        [
            FollowEdge(
                organization_id=panel.organization_id, panel=panel, follower_id=int(a), followee_id=int(b)
            )
            for a, b in edges
        ],
        ignore_conflicts=True,
        batch_size=INSERT_BATCH,
    )
    return FollowEdge.objects.filter(panel=panel).count() - before
