"""A hand-written account history whose figures the tests compute by hand.

23 items: 20 with a time, 3 likes without. With the default holdout (20% of timed items,
floor) the 4 newest (h1-h4, 20-23 March) are held out and 19 items train the profile.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scraping.sources.records import AccountRecord, HistoryKind, HistoryRecord

POST, REPLY, QUOTE = HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE
REPOST, LIKE = HistoryKind.REPOST, HistoryKind.LIKE


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


ACCOUNT = AccountRecord(
    platform="bluesky",
    platform_id="did:alice",
    handle="alice",
    display_name="Alice Hill",
    bio="Trail runner, park volunteer, opinions my own.",
    following_count=150,
    created_at=datetime(2024, 1, 1, tzinfo=UTC),
)


def item(pid, kind, text="", when=None, lang="", author="", target_text="") -> HistoryRecord:
    """One history record, positional like a table row."""
    return HistoryRecord(
        platform_id=pid,
        kind=kind,
        text=text,
        created_at=when,
        language=lang,
        target_author=author,
        target_text=target_text,
    )


HISTORY = [
    item("p1", POST, "I love Patagonia jackets! #outdoors", at(1, 9), "en"),
    item(
        "p2",
        POST,
        "Hiking the ridge trail today, the views are wonderful. #outdoors #hiking",
        at(2, 9, 30),
        "en",
    ),
    item("p3", POST, "Boycott Nike until they pay workers fairly.", at(3, 20), "en"),
    item("p4", POST, "Is anyone else tired of rain? Trail shoes are soaked.", at(4, 9, 15)),
    item("p5", POST, "¡Qué día tan bonito para caminar por la montaña con los amigos!", at(5, 21), "es"),
    item("r1", REPLY, "@bob the trail shoes from Patagonia are great", at(6, 9, 45), "en", "bob"),
    item("r2", REPLY, "@carol THIS is terrible news for the park.", at(7, 10), "en", "carol"),
    item("r3", REPLY, "@bob agreed, hiking beats the gym", at(8, 20, 30), "en-US", "bob"),
    item("q1", QUOTE, "Patagonia is the best. 😀", at(9, 9), "", "dave"),
    item("q2", QUOTE, "Nike sucks and their trail shoes fall apart", at(10, 21, 15), "", "erin"),
    item("rp1", REPOST, "", at(11, 9, 30), "", "bob", "New hiking trail opens in the park"),
    item("rp2", REPOST, "", at(12, 20), "", "carol", "Park cleanup this weekend"),
    item("l1", LIKE, author="bob", target_text="Trail report: muddy"),
    item("l2", LIKE, author="bob"),
    item("l3", LIKE, author="@Dave"),
    item("l4", LIKE, when=at(13, 9), author="carol"),
    item("l5", LIKE, when=at(14, 9), author="bob"),
    item("l6", LIKE, when=at(14, 9, 30), author="dave"),
    item("p6", POST, "Trail running club meets Sunday, join us!", at(15, 20), "en"),
    # the newest four: held out
    item("h1", POST, "Adidas is amazing", at(20, 9), "en"),
    item("h2", LIKE, when=at(21, 9), author="frank"),
    item("h3", REPLY, "@bob nope", at(22, 9), "en", "bob"),
    item("h4", REPOST, when=at(23, 9), author="gina", target_text="Big sale"),
]
