"""Runs a network import as resumable stages: look the account up, then page through endpoints.

Platform clients describe *what* to fetch (a lookup and a list of :class:`Stage`); this module
owns *how*: checkpoints after every page, per-endpoint caps, loop guards, notes and progress.
Keeping it in one place is what makes every connector resume the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from scraping.sources.base import Batch, ImportCaps, ProgressCallback, report
from scraping.sources.checkpoint import ImportState, StageState
from scraping.sources.errors import Checkpoint, SourceError
from scraping.sources.records import AccountBundle, AccountRecord, FollowRecord, HistoryRecord


@dataclass(frozen=True)
class Page:
    history: list[HistoryRecord] = field(default_factory=list)
    following: list[FollowRecord] = field(default_factory=list)
    next_cursor: str | None = None  # None: the endpoint has no more pages
    notes: list[str] = field(default_factory=list)  # what the customer should know about this page

    def __len__(self) -> int:
        return len(self.history) + len(self.following)


class StageSkipped(Exception):
    """Raised by a stage's fetch when the source cannot give this data; the import goes on."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


@dataclass(frozen=True)
class Stage:
    name: str  # the checkpoint key: "posts", "likes", "following"
    fetch: Callable[[AccountRecord, str | None], Page]
    cap: int
    noun: str = ""  # for messages, when the name does not read well: "followed accounts"

    @property
    def items(self) -> str:
        return self.noun or self.name


def history_stages(
    posts: Callable[[AccountRecord, str | None], Page],
    following: Callable[[AccountRecord, str | None], Page],
    caps: ImportCaps,
    likes: Callable[[AccountRecord, str | None], Page] | None = None,
) -> list[Stage]:
    """The usual order: the account's posts, its likes (where the network shows them), whom it follows."""
    return [
        Stage("posts", posts, caps.max_posts),
        *([Stage("likes", likes, caps.max_likes)] if likes else []),
        Stage("following", following, caps.max_following, noun="followed accounts"),
    ]


@dataclass(frozen=True)
class AccountLookup:
    account: AccountRecord
    expected: Mapping[str, int | None] = field(default_factory=dict)  # items per stage, when known


class StagedClient(Protocol):
    """A platform client: the account it imports, how to look it up, and the endpoints to page through."""

    @property
    def handle(self) -> str: ...

    def lookup(self) -> AccountLookup: ...

    def stages(self, caps: ImportCaps) -> list[Stage]: ...


Api = TypeVar("Api")


def run_client(
    *,
    source: str,
    open_api: Callable[[], AbstractContextManager[Api]],
    make_client: Callable[[Api], StagedClient],
    checkpoint: Checkpoint | None,
    caps: ImportCaps,
    progress: ProgressCallback | None,
) -> Iterator[Batch]:
    """Run a client's stages over a connection opened when the first batch is asked for (so arguments
    are checked when the import is set up, requests start only when it runs) and closed at the end."""
    with open_api() as api:
        client = make_client(api)
        yield from run_stages(
            source=source,
            handle=client.handle,
            checkpoint=checkpoint,
            lookup=client.lookup,
            stages=client.stages(caps),
            progress=progress,
        )


def run_stages(
    *,
    source: str,
    handle: str,
    checkpoint: Checkpoint | None,
    lookup: Callable[[], AccountLookup],
    stages: Sequence[Stage],
    progress: ProgressCallback | None,
) -> Iterator[Batch]:
    """Yield the account, then one batch per page; any :class:`SourceError` carries the checkpoint."""
    if checkpoint is None:
        state = ImportState(source=source, handle=handle)
    else:
        state = ImportState.from_checkpoint(checkpoint, source=source, handle=handle)
    try:
        account = state.account
        if account is None:
            found = lookup()
            account = state.account = found.account
            for stage in stages:
                state.stage(stage.name).expected = found.expected.get(stage.name)
            _report(progress, state, stages, f"Found {handle}")
            yield Batch(AccountBundle(account=account), state.to_checkpoint())
        for stage in stages:
            yield from _run_stage(stage, account, state, stages, progress)
    except SourceError as exc:
        exc.checkpoint = state.to_checkpoint()
        raise


def _run_stage(
    stage: Stage,
    account: AccountRecord,
    state: ImportState,
    stages: Sequence[Stage],
    progress: ProgressCallback | None,
) -> Iterator[Batch]:
    stage_state = state.stage(stage.name)
    while not stage_state.done:
        notes: list[str] = []
        try:
            page = stage.fetch(account, stage_state.cursor)
        except StageSkipped as skipped:
            page = Page()
            stage_state.done = True
            notes.append(skipped.note)
        else:
            notes.extend(page.notes)
            page = _within_cap(page, stage, stage_state, notes)
            _advance(stage_state, page)
        state.notes.extend(notes)
        _report(progress, state, stages, f"Fetched {stage_state.count} {stage.items} of {state.handle}")
        yield Batch(
            AccountBundle(account=account, history=page.history, following=page.following, notes=notes),
            state.to_checkpoint(),
        )


def _within_cap(page: Page, stage: Stage, stage_state: StageState, notes: list[str]) -> Page:
    room = stage.cap - stage_state.count
    if len(page) < room or (len(page) == room and page.next_cursor is None):
        return page
    notes.append(f"Stopped after {stage.cap} {stage.items}, the import limit; older ones were not imported.")
    return Page(history=page.history[:room], following=page.following[:room], next_cursor=None)


def _advance(stage_state: StageState, page: Page) -> None:
    stage_state.count += len(page)
    looping = page.next_cursor is not None and page.next_cursor == stage_state.cursor
    if page.next_cursor is None or len(page) == 0 or looping:
        stage_state.done = True
        stage_state.cursor = None
    else:
        stage_state.cursor = page.next_cursor


def _report(
    progress: ProgressCallback | None, state: ImportState, stages: Sequence[Stage], message: str
) -> None:
    done = sum(state.stage(stage.name).count for stage in stages)
    report(progress, done, _expected_total(state, stages), message)


def _expected_total(state: ImportState, stages: Sequence[Stage]) -> int | None:
    total = 0
    for stage in stages:
        stage_state = state.stage(stage.name)
        if stage_state.done:
            total += stage_state.count
        elif stage_state.expected is None:
            return None
        else:
            total += max(min(stage_state.expected, stage.cap), stage_state.count)
    return total
