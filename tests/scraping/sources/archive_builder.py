"""Builds small X archives in memory, shaped like the ones X hands out (no binary fixtures in git)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

ACCOUNT_EMAIL = "jack.private@example.com"


def ytd(dataset: str, items: list[Any], part: int = 0) -> str:
    """X's wrapper: ``window.YTD.<dataset>.part<N> = [ ... ]``, pretty-printed as X does."""
    return f"window.YTD.{dataset}.part{part} = {json.dumps(items, indent=2, ensure_ascii=False)}"


def tweet(tweet_id: str, full_text: str, **fields: Any) -> dict[str, Any]:
    body = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": "2023-02-18T13:03:11.000Z",
                "editsRemaining": "5",
                "isEditEligible": False,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", str(len(full_text))],
        "favorite_count": "3",
        "id_str": tweet_id,
        "truncated": False,
        "retweet_count": "1",
        "id": tweet_id,
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "favorited": False,
        "full_text": full_text,
        "lang": "en",
    }
    body.update(fields)
    return {"tweet": body}


def standard_files() -> dict[str, str]:
    """A complete small archive: every kind of history item, tweets split over two parts."""
    part0 = [
        tweet(
            "101",
            "Fish &amp; chips &lt;3 #friday",
            entities={
                "hashtags": [{"text": "friday", "indices": ["17", "24"]}],
                "symbols": [],
                "user_mentions": [],
                "urls": [],
            },
        ),
        tweet(
            "102",
            "@alice I agree https://t.co/AbC",
            in_reply_to_status_id_str="900",
            in_reply_to_status_id="900",
            in_reply_to_user_id_str="77",
            in_reply_to_screen_name="alice",
            entities={
                "hashtags": [],
                "symbols": [],
                "user_mentions": [
                    {
                        "name": "Alice",
                        "screen_name": "alice",
                        "indices": ["0", "6"],
                        "id_str": "77",
                        "id": "77",
                    }
                ],
                "urls": [
                    {
                        "url": "https://t.co/AbC",
                        "expanded_url": "https://example.com/article",
                        "display_url": "example.com/article",
                        "indices": ["15", "31"],
                    }
                ],
            },
        ),
        tweet(
            "103",
            "RT @bob: Big news &amp; more",
            favorite_count="0",
            entities={
                "hashtags": [],
                "symbols": [],
                "user_mentions": [
                    {"name": "Bob", "screen_name": "bob", "indices": ["3", "7"], "id_str": "78", "id": "78"}
                ],
                "urls": [],
            },
        ),
    ]
    part1 = [
        tweet(
            "104",
            "So true https://t.co/Quo",
            entities={
                "hashtags": [],
                "symbols": [],
                "user_mentions": [],
                "urls": [
                    {
                        "url": "https://t.co/Quo",
                        "expanded_url": "https://twitter.com/carol/status/555",
                        "display_url": "twitter.com/carol/status/5…",
                        "indices": ["8", "24"],
                    }
                ],
            },
        ),
        tweet(
            "105",
            "Sunset https://t.co/Pic",
            lang="und",
            extended_entities={
                "media": [
                    {
                        "url": "https://t.co/Pic",
                        "media_url_https": "https://pbs.twimg.com/media/sunset.jpg",
                        "type": "photo",
                        "id_str": "7",
                    }
                ]
            },
        ),
    ]
    return {
        "data/account.js": ytd(
            "account",
            [
                {
                    "account": {
                        "email": ACCOUNT_EMAIL,
                        "createdVia": "web",
                        "username": "jack",
                        "accountId": "12",
                        "createdAt": "2006-03-21T20:50:14.000Z",
                        "accountDisplayName": "Jack",
                    }
                }
            ],
        ),
        "data/profile.js": ytd(
            "profile",
            [
                {
                    "profile": {
                        "description": {
                            "bio": "Building things",
                            "website": "https://t.co/site",
                            "location": "Earth",
                        },
                        "avatarMediaUrl": "https://pbs.twimg.com/profile_images/1/a.jpg",
                    }
                }
            ],
        ),
        "data/tweets.js": ytd("tweets", part0),
        "data/tweets-part1.js": ytd("tweets", part1, part=1),
        "data/like.js": ytd(
            "like",
            [
                {
                    "like": {
                        "tweetId": "700",
                        "fullText": "Liked &amp; loved",
                        "expandedUrl": "https://twitter.com/i/web/status/700",
                    }
                },
                {
                    "like": {
                        "tweetId": "701",
                        "fullText": "Another",
                        "expandedUrl": "https://twitter.com/dave/status/701",
                    }
                },
            ],
        ),
        "data/following.js": ytd(
            "following",
            [{"following": {"accountId": "77", "userLink": "https://twitter.com/intent/user?user_id=77"}}],
        ),
        "data/follower.js": ytd(
            "follower",
            [
                {"follower": {"accountId": "78", "userLink": "https://twitter.com/intent/user?user_id=78"}},
                {"follower": {"accountId": "79", "userLink": "https://twitter.com/intent/user?user_id=79"}},
            ],
        ),
        "data/tweet-headers.js": ytd("tweet_headers", [{"tweet": {"tweet_id": "101", "user_id": "12"}}]),
        "Your archive.html": "<html><body>Your archive</body></html>",
    }


def build_archive(files: dict[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), content, compress_type=compression
            )
    return buffer.getvalue()


def patch_entry(
    data: bytes, name: str, *, flag_bits: int | None = None, file_size: int | None = None
) -> bytes:
    """Rewrite header fields of one entry in both its local header and the central directory,
    to build archives that lie (zipfile itself refuses to write them)."""
    patched = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    (entries,) = struct.unpack_from("<H", data, end + 10)
    (offset,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(entries):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        (local,) = struct.unpack_from("<I", data, offset + 42)
        if data[offset + 46 : offset + 46 + name_len].decode() == name:
            if flag_bits is not None:
                struct.pack_into("<H", patched, offset + 8, flag_bits)
                struct.pack_into("<H", patched, local + 6, flag_bits)
            if file_size is not None:
                struct.pack_into("<I", patched, offset + 24, file_size)
                struct.pack_into("<I", patched, local + 22, file_size)
            return bytes(patched)
        offset += 46 + name_len + extra_len + comment_len
    raise KeyError(name)
