"""Imported accounts become rows and personas: the one bridge from neutral records to the database.

An import is written in two phases so that a large one never holds the database's write lock
for long (SQLite has one lock for the whole database; a 150,000-item account once held it for
70 seconds in one commit):

1. ``bundles_stage`` writes the accounts, history and follows in transactions of at most
   ``STAGE_CHUNK_ROWS`` rows, each row pointing at the import's ``ImportBatch``. Until the
   batch is published these rows are invisible (the models' default manager hides them). The
   persona of each account (profile, card, held-out split) is derived here too, outside any
   transaction. A caller's ``on_chunk`` runs inside every chunk's transaction, so an
   interrupted import resumes after the last committed chunk (``skip_rows``).
2. ``batch_publish`` runs in the caller's transaction and writes a few rows per *account*,
   none per item: the batch's ``published_at`` (which makes every staged row visible at once),
   the account, persona and panel membership, and the panel's follow edges.

A failed import calls ``batch_discard``, which deletes the batch's rows in small transactions.
Re-importing an account adds what is new (unique constraints + ``ignore_conflicts``) and
re-derives its profile and card from *all* its history, so two imports of the same person
merge instead of duplicating. The held-out flags of items an earlier import stored are
updated while staging, just before the publish.

Before anything is written, ``resolve_targets`` gives replies, quotes, reposts and likes the text
and author of the post they react to when the organization has that post (an X archive has only
its id), and the split holds out every reaction to a held-out post of any account on the same
platform: a backtest scores how people react to that post, so the reactions are its labels.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from personas.builders.cards import build_card
from personas.builders.graphs import follow_graph_from_imports
from personas.builders.profiling import (
    AUTHORED_KINDS,
    OWN_TEXT_KINDS,
    HistorySplit,
    ProfileResult,
    derive_profile,
    online_chance_per_step,
    per_item_propensities,
    split_history,
    term_background,
)
from personas.models import (
    FollowEdge,
    HistoryItem,
    ImportBatch,
    Panel,
    PanelMember,
    Persona,
    SourceAccount,
    SourceFollow,
)
from scraping.sources.records import AccountBundle, AccountRecord, FollowRecord, HistoryKind, HistoryRecord

DEFAULT_HOLDOUT_FRACTION = 0.2
DEFAULT_CARD_BUDGET = 500
TONE_THRESHOLD = 0.05  # VADER's own positive/negative cut-off
INSERT_BATCH = 500
STAGE_CHUNK_ROWS = 2000  # rows per staging transaction: what another writer may have to wait for

# Called inside each staging chunk's transaction with (rows staged so far, rows in all).
ChunkCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportOptions:
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION
    card_budget: int = DEFAULT_CARD_BUDGET


@dataclass(frozen=True)
class StagedAccount:
    """One staged account: what ``batch_publish`` writes for it (a few rows, whatever its history size)."""

    account_id: int
    record: AccountRecord
    persona_fields: dict
    card_text: str
    card_tokens: int


def _fit(model, field: str, value: str | None) -> str:
    """``value`` within the column's length: ids too long get a stable digest, text is cut."""
    value = value or ""
    limit = model._meta.get_field(field).max_length
    if len(value) <= limit:
        return value
    if field.endswith("platform_id") or field == "target_id":
        return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return value[:limit]


def _account_fields(record: AccountRecord) -> dict:
    url = record.url if len(record.url or "") <= SourceAccount._meta.get_field("url").max_length else ""
    return {
        "handle": _fit(SourceAccount, "handle", record.handle),
        "display_name": _fit(SourceAccount, "display_name", record.display_name),
        "bio": record.bio,
        "location": _fit(SourceAccount, "location", record.location),
        "url": url,
        "followers_count": record.followers_count,
        "following_count": record.following_count,
    }


def _staged_account(batch: ImportBatch, record: AccountRecord) -> SourceAccount:
    """The account's row: the stored one, or a new one hidden in ``batch`` until the batch is published."""
    key = {
        "organization_id": batch.organization_id,
        "platform": _fit(SourceAccount, "platform", record.platform),
        "platform_id": _fit(SourceAccount, "platform_id", record.platform_id),
    }
    account = SourceAccount.unscoped.filter(**key).first()  # published or not: one row per account
    if account is None:
        account = SourceAccount.unscoped.create(**key, **_account_fields(record), import_batch=batch)
    return account


def _history_row(batch: ImportBatch, account: SourceAccount, r: HistoryRecord) -> HistoryItem:
    return HistoryItem(
        organization_id=batch.organization_id,
        import_batch=batch,
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
        media_alt=list(r.media_alt),
        community=_fit(HistoryItem, "community", r.community),
        score=r.score,
    )


def _follow_rows(batch: ImportBatch, account: SourceAccount, bundle: AccountBundle) -> list[SourceFollow]:
    return [
        SourceFollow(
            organization_id=batch.organization_id,
            import_batch=batch,
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
        media_alt=tuple(item.media_alt or ()),
        community=item.community,
        score=item.score,
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


@dataclass
class _PreparedAccount:
    staged: StagedAccount
    rows: list[HistoryItem | SourceFollow]
    held_out_changes: dict[bool, list[int]]  # flag -> ids of already stored items whose flag changes


@dataclass
class _LoadedAccount:
    """An account's stored history and the bundle's new rows, before anything is derived from them."""

    bundle: AccountBundle
    account: SourceAccount
    stored: list[HistoryItem]
    new: list[HistoryItem]
    records: list[HistoryRecord]  # of stored + new, once targets are resolved

    @property
    def items(self) -> list[HistoryItem]:
        return self.stored + self.new


def _load_account(batch: ImportBatch, bundle: AccountBundle) -> _LoadedAccount:
    account = _staged_account(batch, bundle.account)
    stored = list(HistoryItem.objects.filter(account=account))
    return _LoadedAccount(bundle, account, stored, _new_history_rows(batch, account, bundle, stored), [])


def _prepare_account(
    batch: ImportBatch,
    loaded: _LoadedAccount,
    split: HistorySplit,
    held_targets: frozenset[str],
    options: ImportOptions,
    background,
) -> _PreparedAccount:
    """The account's new rows and its persona, derived from its stored history plus the bundle's."""
    bundle, account, items, records = loaded.bundle, loaded.account, loaded.items, loaded.records
    changes = _mark_held_out(items, {(r.kind.value, r.platform_id) for r in split.holdout})
    identity = SourceAccount(
        pk=account.pk,
        platform=account.platform,
        platform_id=account.platform_id,
        **_account_fields(bundle.account),
    )
    record = account_record(identity, created_at=bundle.account.created_at)
    profile = derive_profile(
        record,
        records,
        holdout_fraction=options.holdout_fraction,
        background=background[0] if background else None,
        background_docs=background[1] if background else 0,
        held_targets=held_targets,
    )
    card = build_card(profile, record, split.training, budget_tokens=options.card_budget)
    staged = StagedAccount(
        account.pk, bundle.account, _persona_fields(identity, profile), card.text, card.tokens
    )
    rows = [*loaded.new, *_follow_rows(batch, account, bundle)]
    return _PreparedAccount(staged, rows, changes)


def _new_history_rows(
    batch: ImportBatch, account: SourceAccount, bundle: AccountBundle, stored: list[HistoryItem]
) -> list[HistoryItem]:
    """The bundle's items the account does not have yet, first one of each key (as ignore_conflicts keeps)."""
    seen = {(item.kind, item.platform_id) for item in stored}
    rows = []
    for record in bundle.history:
        row = _history_row(batch, account, record)
        if (row.kind, row.platform_id) not in seen:
            seen.add((row.kind, row.platform_id))
            rows.append(row)
    return rows


def _mark_held_out(items: list[HistoryItem], held: set[tuple[str, str]]) -> dict[bool, list[int]]:
    """Set each item's ``held_out``; returns the ids of already stored items whose flag changed, by flag."""
    changes: dict[bool, list[int]] = {True: [], False: []}
    for item in items:
        flag = (item.kind, item.platform_id) in held
        if item.pk is not None and item.held_out != flag:
            changes[flag].append(item.pk)
        item.held_out = flag
    return changes


REACTION_KINDS = tuple(kind.value for kind in HistoryKind if kind is not HistoryKind.POST)


def resolve_targets(organization_id: int, items: Sequence[HistoryItem]) -> list[HistoryItem]:
    """Fill the empty ``target_text``/``target_author`` of ``items``' reactions; returns those still without text.

    The post a reaction points at is found among ``items`` themselves (one import's rows, their
    ``account`` set) or among the organization's published history on the same platform: an own
    post, reply or quote gives its text and its account's handle, a like stored under the post's
    own id gives the text it carries. One query per platform and ``STAGE_CHUNK_ROWS`` missing posts.
    """
    wanted = [
        item
        for item in items
        if item.kind in REACTION_KINDS and item.target_id and not (item.target_text and item.target_author)
    ]
    by_platform: dict[str, list[HistoryItem]] = {}
    for item in wanted:
        by_platform.setdefault(item.account.platform, []).append(item)
    for platform, reactions in by_platform.items():
        known = _known_posts(
            (i.platform_id, i.kind, i.text, i.target_id, i.target_text, i.target_author, i.account.handle)
            for i in items
            if i.account.platform == platform
        )
        missing = sorted({r.target_id for r in reactions} - known.keys())
        for start in range(0, len(missing), STAGE_CHUNK_ROWS):
            rows = HistoryItem.objects.filter(
                organization_id=organization_id,
                account__platform=platform,
                platform_id__in=missing[start : start + STAGE_CHUNK_ROWS],
            ).values_list(
                "platform_id", "kind", "text", "target_id", "target_text", "target_author", "account__handle"
            )
            known = {**_known_posts(rows), **known}
        for reaction in reactions:
            text, author = known.get(reaction.target_id, ("", ""))
            reaction.target_text = reaction.target_text or text
            reaction.target_author = reaction.target_author or _fit(HistoryItem, "target_author", author)
    return [item for item in wanted if not item.target_text]


def _known_posts(rows) -> dict[str, tuple[str, str]]:
    """post id -> (text, author handle), from rows of (platform_id, kind, text, target_id, target_text,
    target_author, account handle): the post itself, or a like that carries it under its own id."""
    own_text = {kind.value for kind in OWN_TEXT_KINDS}
    known: dict[str, tuple[str, str]] = {}
    for platform_id, kind, text, target_id, target_text, target_author, handle in rows:
        if kind in own_text and text:
            known[platform_id] = (text, handle)
        elif target_id == platform_id and target_text and platform_id not in known:
            known[platform_id] = (target_text, target_author)
    return known


def _note_unresolved(loaded: Sequence[_LoadedAccount], unresolved: Sequence[HistoryItem]) -> None:
    """Tell the customer, in each bundle's notes, how many reactions lack the text they react to."""
    per_account = Counter(item.account.pk for item in unresolved)
    for account in loaded:
        count = per_account[account.account.pk]
        note = (
            f"{count:,} of @{account.account.handle}'s replies, quotes, reposts and likes keep only the id "
            "of the post they react to: that post was neither in this import nor in an earlier one."
        )
        if count and note not in account.bundle.notes:
            account.bundle.notes.append(note)


def _split_accounts(
    batch: ImportBatch, loaded: Sequence[_LoadedAccount], options: ImportOptions
) -> tuple[dict[str, frozenset[str]], list[HistorySplit]]:
    """Per platform the ids of held-out posts, and each account's split that holds out reactions to them.

    Starts from the held-out posts other published accounts have (one query per platform) and
    adds the accounts of this import until no split holds out anything new (reply chains).
    """
    accounts = [account.account.pk for account in loaded]
    base = {
        platform: frozenset(
            HistoryItem.objects.filter(
                organization_id=batch.organization_id, account__platform=platform, held_out=True
            )
            .exclude(account_id__in=accounts)
            .exclude(kind=HistoryKind.LIKE.value)
            .values_list("platform_id", flat=True)
        )
        for platform in {account.account.platform for account in loaded}
    }
    held = base
    while True:
        splits = [
            split_history(
                account.records,
                holdout_fraction=options.holdout_fraction,
                held_targets=held[account.account.platform],
            )
            for account in loaded
        ]
        grown = {platform: set(ids) for platform, ids in base.items()}
        for account, split in zip(loaded, splits, strict=True):
            grown[account.account.platform] |= {
                r.platform_id for r in split.holdout if r.kind in AUTHORED_KINDS
            }
        if all(grown[platform] == held[platform] for platform in held):
            return held, splits
        held = {platform: frozenset(ids) for platform, ids in grown.items()}


def _persona_fields(identity: SourceAccount, profile: ProfileResult) -> dict:
    return {
        "handle": identity.handle,
        "display_name": identity.display_name,
        "bio": identity.bio,
        "origin": Persona.Origin.IMPORTED,
        "traits": imported_traits(identity, profile),
        "profile": profile.to_dict(),
        "propensities": per_item_propensities(profile),
        "activity_rate": online_chance_per_step(profile),
        "active_hours": list(profile.active_hours),
        "interests": ", ".join(term for term, _ in profile.topics[:8]),
    }


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


def batch_open(*, organization) -> ImportBatch:
    return ImportBatch.objects.create(organization=organization)


def bundles_stage(
    *,
    batch: ImportBatch,
    bundles: Sequence[AccountBundle],
    options: ImportOptions = ImportOptions(),
    skip_rows: int = 0,
    on_chunk: ChunkCallback | None = None,
) -> list[StagedAccount]:
    """Write ``bundles`` into ``batch`` in chunks of ``STAGE_CHUNK_ROWS`` rows (see the module docstring).

    ``skip_rows``: rows an earlier attempt already committed (its last ``on_chunk`` count).
    How many reactions still lack their post's text is added to each bundle's ``notes``.
    """
    loaded = [_load_account(batch, bundle) for bundle in bundles]
    _note_unresolved(loaded, resolve_targets(batch.organization_id, [i for a in loaded for i in a.new]))
    for account in loaded:
        account.records = [history_record(item) for item in account.items]
    held, splits = _split_accounts(batch, loaded, options)
    prepared = [
        _prepare_account(batch, account, split, held[account.account.platform], options, background)
        for account, split, background in zip(loaded, splits, _backgrounds(bundles), strict=True)
    ]
    rows = [row for account in prepared for row in account.rows]
    for start in range(skip_rows, len(rows), STAGE_CHUNK_ROWS):
        chunk = rows[start : start + STAGE_CHUNK_ROWS]
        with transaction.atomic():
            for model, group in groupby(chunk, key=type):
                model.objects.bulk_create(list(group), ignore_conflicts=True, batch_size=INSERT_BATCH)
            if on_chunk is not None:
                on_chunk(start + len(chunk), len(rows))
    for account in prepared:
        _update_held_out(batch, account.held_out_changes)
    return [account.staged for account in prepared]


def _update_held_out(batch: ImportBatch, changes: dict[bool, list[int]]) -> None:
    for flag, ids in changes.items():
        for start in range(0, len(ids), STAGE_CHUNK_ROWS):
            chunk = ids[start : start + STAGE_CHUNK_ROWS]
            HistoryItem.unscoped.filter(organization_id=batch.organization_id, pk__in=chunk).update(
                held_out=flag
            )


def batch_publish(*, batch: ImportBatch, staged: Sequence[StagedAccount], panel: Panel) -> list[Persona]:
    """Make ``batch``'s rows visible and write each account's persona; run in the caller's transaction.

    Writes a few rows per account and none per history item or follow, so the transaction is
    short whatever the size of the import.
    """
    if panel.organization_id != batch.organization_id:
        raise ValueError("the target panel belongs to another organization")
    now = timezone.now()
    ImportBatch.objects.filter(organization_id=batch.organization_id, pk=batch.pk).update(published_at=now)
    personas = []
    for account in staged:
        SourceAccount.unscoped.filter(pk=account.account_id).update(
            import_batch=None, fetched_at=now, **_account_fields(account.record)
        )
        persona = _save_persona(batch.organization_id, account)
        PanelMember.objects.get_or_create(organization_id=batch.organization_id, panel=panel, persona=persona)
        personas.append(persona)
    panel_link_real_follows(panel)
    return personas


def _save_persona(organization_id: int, account: StagedAccount) -> Persona:
    persona = (
        Persona.objects.filter(organization_id=organization_id, source_account_id=account.account_id)
        .order_by("pk")
        .first()
    )
    if persona is None:
        return Persona.objects.create(
            organization_id=organization_id,
            source_account_id=account.account_id,
            card=account.card_text,
            card_tokens=account.card_tokens,
            **account.persona_fields,
        )
    for name, value in account.persona_fields.items():
        setattr(persona, name, value)
    persona.save(
        update_fields=[*account.persona_fields, *persona.set_card(account.card_text, account.card_tokens)]
    )
    return persona


def batch_discard(batch: ImportBatch) -> None:
    """Delete an unpublished batch's rows, ``STAGE_CHUNK_ROWS`` at a time, then the batch itself."""
    if batch.published_at is not None:
        raise ValueError("a published import cannot be discarded")
    for model in (HistoryItem, SourceFollow, SourceAccount):  # accounts last: they hold the others
        rows = model.unscoped.filter(organization_id=batch.organization_id, import_batch=batch)
        while ids := list(rows.values_list("pk", flat=True)[:STAGE_CHUNK_ROWS]):
            with transaction.atomic():
                model.unscoped.filter(pk__in=ids).delete()
    ImportBatch.unscoped.filter(pk=batch.pk, published_at__isnull=True).delete()


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
