"""Turn the JSON of an X archive's data files into neutral records (pure; no zip, no I/O).

Shapes follow what X writes: tweets are ``{"tweet": {"id_str", "full_text", "created_at":
"Wed Oct 10 20:19:24 +0000 2018", "entities": {...}, "favorite_count": "3", ...}}`` with counts
as strings; retweets are tweets whose text starts with ``RT @author:``; quotes carry the quoted
post's URL in ``entities.urls`` (or ``quoted_status_id_str``); likes, follows and followers
are small objects. The account's e-mail address in ``account.js`` is never read.

An archive holds only the account's own posts, so replies and quotes carry the id and author of
the post they answer but not its text; the importer fills that in from posts the organization
imported otherwise (``personas.services.importer.resolve_targets``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from scraping.sources.errors import UploadRejected
from scraping.sources.records import AccountBundle, AccountRecord, FollowRecord, HistoryKind, HistoryRecord
from scraping.sources.values import as_dict, as_list, as_str, optional_count, optional_iso_datetime

STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<author>\w{1,15})/status(?:es)?/(?P<id>\d+)"
)
_RETWEET = re.compile(r"^RT @(?P<author>\w{1,15}): ?")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


@dataclass(frozen=True)
class ArchiveFile:
    filename: str
    items: list[Any]


def bundle_from_archive(datasets: Mapping[str, Sequence[ArchiveFile]]) -> AccountBundle:
    """``datasets`` maps account, profile, tweets, like, following, follower to their files in part order."""
    notes: list[str] = []
    history = _unique(list(_each(datasets, "tweets", "tweet", tweet_record)), "posts", notes)
    history += _unique(list(_each(datasets, "like", "like", like_record)), "likes", notes)
    following = _follows(datasets, "following")
    followers = _follows(datasets, "follower")
    account = account_record(
        datasets["account"],
        datasets.get("profile", ()),
        following_count=len(following) if "following" in datasets else None,
        followers_count=len(followers) if "follower" in datasets else None,
    )
    return AccountBundle(
        account=account, history=history, following=following, followers=followers, notes=notes
    )


def account_record(
    account_files: Sequence[ArchiveFile],
    profile_files: Sequence[ArchiveFile],
    *,
    following_count: int | None,
    followers_count: int | None,
) -> AccountRecord:
    first = account_files[0]
    if not first.items:
        raise UploadRejected(f"{first.filename} is empty; the archive is incomplete.")
    account = _object(first.items[0], "account", first.filename, 0)
    description: dict[str, Any] = {}
    if profile_files and profile_files[0].items:
        profile = _object(profile_files[0].items[0], "profile", profile_files[0].filename, 0)
        description = as_dict(profile.get("description"))
    return AccountRecord(
        platform="x",
        platform_id=_required_text(account, "accountId", first.filename, 0),
        handle=_required_text(account, "username", first.filename, 0),
        display_name=as_str(account.get("accountDisplayName")),
        bio=as_str(description.get("bio")),
        location=as_str(description.get("location")),
        url=as_str(description.get("website")),
        followers_count=followers_count,
        following_count=following_count,
        created_at=optional_iso_datetime(account.get("createdAt")),
    )


def tweet_record(tweet: dict[str, Any], filename: str, index: int) -> HistoryRecord:
    tweet_id = _required_text(tweet, "id_str", filename, index)
    raw_text = html.unescape(as_str(tweet.get("full_text")) or as_str(tweet.get("text")))
    entities = as_dict(tweet.get("entities"))
    urls = [as_dict(url) for url in as_list(entities.get("urls"))]
    media = [as_dict(item) for item in as_list(as_dict(tweet.get("extended_entities")).get("media"))] or [
        as_dict(item) for item in as_list(entities.get("media"))
    ]
    common = {
        "platform_id": tweet_id,
        "created_at": parse_tweet_time(_required_text(tweet, "created_at", filename, index), filename, index),
        "language": "" if tweet.get("lang") in (None, "und") else as_str(tweet.get("lang")),
        "like_count": optional_count(tweet.get("favorite_count")),
        "repost_count": optional_count(tweet.get("retweet_count")),
        "media": tuple(url for item in media if (url := as_str(item.get("media_url_https")))),
    }
    dropped = [as_str(item.get("url")) for item in media]
    retweet = _RETWEET.match(raw_text)
    if retweet:
        target_text = _expand_links(raw_text[retweet.end() :], urls, dropped)
        return HistoryRecord(
            kind=HistoryKind.REPOST, target_author=retweet["author"], target_text=target_text, **common
        )
    reply_to = as_str(tweet.get("in_reply_to_status_id_str"))
    if reply_to:
        return HistoryRecord(
            kind=HistoryKind.REPLY,
            text=_expand_links(raw_text, urls, dropped),
            target_id=reply_to,
            target_author=as_str(tweet.get("in_reply_to_screen_name")),
            **common,
        )
    quoted_id, quoted_author, quote_url = _quoted(tweet, urls)
    if quoted_id:
        return HistoryRecord(
            kind=HistoryKind.QUOTE,
            text=_expand_links(raw_text, urls, [*dropped, quote_url]),
            target_id=quoted_id,
            target_author=quoted_author,
            **common,
        )
    return HistoryRecord(kind=HistoryKind.POST, text=_expand_links(raw_text, urls, dropped), **common)


def like_record(like: dict[str, Any], filename: str, index: int) -> HistoryRecord:
    tweet_id = _required_text(like, "tweetId", filename, index)
    author = STATUS_URL.match(as_str(like.get("expandedUrl")))
    return HistoryRecord(
        platform_id=tweet_id,
        kind=HistoryKind.LIKE,
        target_id=tweet_id,
        target_author=author["author"] if author else "",
        target_text=html.unescape(as_str(like.get("fullText"))),
    )


def parse_tweet_time(value: str, filename: str, index: int) -> datetime:
    """``Wed Oct 10 20:19:24 +0000 2018``, parsed without strptime so the server locale cannot matter."""
    try:
        _weekday, month, day, clock, offset, year = value.split()
        hour, minute, second = (int(part) for part in clock.split(":"))
        sign = -1 if offset.startswith("-") else 1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return datetime(int(year), _MONTHS[month], int(day), hour, minute, second, tzinfo=zone).astimezone(
            UTC
        )
    except (ValueError, KeyError):
        raise UploadRejected(
            f"{filename}: item {index + 1} has an unreadable created_at date ({value!r})."
        ) from None


def _quoted(tweet: dict[str, Any], urls: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(quoted id, quoted author, the link to drop from the text) or empty strings."""
    explicit_id = as_str(tweet.get("quoted_status_id_str"))
    for url in reversed(urls):
        match = STATUS_URL.match(as_str(url.get("expanded_url")))
        if match and (not explicit_id or match["id"] == explicit_id):
            return match["id"], match["author"], as_str(url.get("url"))
    return explicit_id, "", ""


def _expand_links(text: str, urls: list[dict[str, Any]], dropped: list[str]) -> str:
    """Replace t.co links by the address they stand for; drop media and quoted-post links."""
    for url in urls:
        short = as_str(url.get("url"))
        if short and short not in dropped:
            text = text.replace(short, as_str(url.get("expanded_url")) or short)
    for short in dropped:
        if short:
            text = text.replace(short, "")
    return text.strip()


def _each(
    datasets: Mapping[str, Sequence[ArchiveFile]],
    dataset: str,
    key: str,
    build: Callable[[dict[str, Any], str, int], HistoryRecord],
) -> Iterator[HistoryRecord]:
    for archive_file in datasets.get(dataset, ()):
        for index, item in enumerate(archive_file.items):
            yield build(_object(item, key, archive_file.filename, index), archive_file.filename, index)


def _unique(records: list[HistoryRecord], noun: str, notes: list[str]) -> list[HistoryRecord]:
    seen: set[str] = set()
    unique = []
    for record in records:
        if record.platform_id not in seen:
            seen.add(record.platform_id)
            unique.append(record)
    if len(unique) < len(records):
        notes.append(
            f"Skipped {len(records) - len(unique)} {noun} that appear more than once in the archive."
        )
    return unique


def _follows(datasets: Mapping[str, Sequence[ArchiveFile]], dataset: str) -> list[FollowRecord]:
    follows: dict[str, FollowRecord] = {}
    for archive_file in datasets.get(dataset, ()):
        for index, item in enumerate(archive_file.items):
            entry = _object(item, dataset, archive_file.filename, index)
            account_id = _required_text(entry, "accountId", archive_file.filename, index)
            follows.setdefault(account_id, FollowRecord(platform_id=account_id))
    return list(follows.values())


def _object(item: Any, key: str, filename: str, index: int) -> dict[str, Any]:
    entry = item.get(key) if isinstance(item, dict) else None
    if not isinstance(entry, dict):
        raise UploadRejected(f"{filename}: item {index + 1} has no {key!r} object; the file is damaged.")
    return entry


def _required_text(entry: dict[str, Any], key: str, filename: str, index: int) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise UploadRejected(f"{filename}: item {index + 1} has no {key!r}; the file is damaged.")
    return value
