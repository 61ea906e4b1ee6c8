"""Reddit exports and API JSON built in memory from their documented shapes (no recorded fixtures).

The thread: alice asks in r/transit; bob answers, alice asks bob back, carol answers alice (downvoted);
a deleted account's comment has a reply by dave (downvoted); carol also answers the post. Two
"load more" stubs hide 4 + 10 comments.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

SUBREDDIT = "transit"
POST_TEXT = "Should buses be free?\n\nOur city votes on it next month."
ALICE_QUESTION = "Do you have numbers for that?"
PARTICIPANTS = ["alice", "bob", "carol", "dave"]
HIDDEN_BY_MORE = 14


def listing(*children: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": None, "before": None, "dist": len(children), "children": list(children)},
    }


def post(post_id: str, author: str, title: str, selftext: str, *, score: int, **data: Any) -> dict[str, Any]:
    return {
        "kind": "t3",
        "data": {
            "id": post_id,
            "name": f"t3_{post_id}",
            "author": author,
            "author_fullname": f"t2_{author}",
            "title": title,
            "selftext": selftext,
            "subreddit": SUBREDDIT,
            "subreddit_name_prefixed": f"r/{SUBREDDIT}",
            "score": score,
            "ups": max(score, 0),
            "num_comments": 6,
            "created_utc": 1714550400.0,
            "is_self": True,
            "url": f"https://www.reddit.com/r/{SUBREDDIT}/comments/{post_id}/slug/",
            "permalink": f"/r/{SUBREDDIT}/comments/{post_id}/slug/",
            **data,
        },
    }


def comment(
    comment_id: str,
    author: str,
    body: str,
    *,
    parent_id: str,
    score: int,
    replies: list[dict[str, Any]] | None = None,
    created_utc: float = 1714554000.0,
    **data: Any,
) -> dict[str, Any]:
    return {
        "kind": "t1",
        "data": {
            "id": comment_id,
            "name": f"t1_{comment_id}",
            "author": author,
            "body": body,
            "parent_id": parent_id,
            "link_id": "t3_p1",
            "subreddit": SUBREDDIT,
            "score": score,
            "ups": score,
            "created_utc": created_utc,
            "replies": listing(*replies) if replies else "",
            **data,
        },
    }


def more(count: int, *ids: str) -> dict[str, Any]:
    return {"kind": "more", "data": {"count": count, "name": f"t1_{ids[0]}", "children": list(ids)}}


def thread() -> list[dict[str, Any]]:
    """What ``/r/transit/comments/p1.json`` returns: the post's listing, then the comment tree's."""
    tree = [
        comment(
            "c1",
            "bob",
            "Yes: collecting fares costs more than it raises.",
            parent_id="t3_p1",
            score=45,
            replies=[
                comment(
                    "c2",
                    "alice",
                    ALICE_QUESTION,
                    parent_id="t1_c1",
                    score=12,
                    replies=[
                        comment("c3", "carol", "Tallinn did it in 2013.", parent_id="t1_c2", score=-3),
                        more(4, "c7", "c8"),
                    ],
                )
            ],
        ),
        comment(
            "c4",
            "[deleted]",
            "[removed]",
            parent_id="t3_p1",
            score=1,
            replies=[comment("c5", "dave", "Why was this removed?", parent_id="t1_c4", score=-7)],
        ),
        comment(
            "c6", "carol", "Free buses fill up with people who would have walked.", parent_id="t3_p1", score=0
        ),
        more(10, "c9", "c10", "c11"),
    ]
    title, selftext = POST_TEXT.split("\n\n")
    return [listing(post("p1", "alice", title, selftext, score=120)), listing(*tree)]


def thread_bytes() -> bytes:
    return json.dumps(thread()).encode()


def user_comments_listing() -> dict[str, Any]:
    """``/user/bob/comments.json``: comments whose parents are not in the file, with the post's fields."""
    return listing(
        comment(
            "u1",
            "bob",
            "Night buses matter most.",
            parent_id="t3_q9",
            score=5,
            link_id="t3_q9",
            link_author="erin",
            link_title="Which routes should run all night?",
        ),
        comment("u2", "bob", "Agreed.", parent_id="t1_zz", score=2, link_id="t3_q9"),
    )


def csv_text(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


POSTS_HEADER = "id,permalink,date,ip,subreddit,gildings,title,url,body"
COMMENTS_HEADER = "id,permalink,date,ip,subreddit,gildings,link,parent,body,media"


def posts_csv() -> str:
    return csv_text(
        POSTS_HEADER,
        "p9,https://www.reddit.com/r/transit/comments/p9/night_buses/,2024-05-01 08:30:00 UTC,,transit,0,"
        'Night buses,https://www.reddit.com/r/transit/comments/p9/night_buses/,"Who rides them, and why?"',
    )


def comments_csv() -> str:
    return csv_text(
        COMMENTS_HEADER,
        "k1,https://www.reddit.com/r/transit/comments/p9/night_buses/k1/,2024-05-02 09:00:00 UTC,,transit,0,"
        "https://www.reddit.com/r/transit/comments/p9/night_buses/,,Shift workers mostly.,",
        "k2,https://www.reddit.com/r/transit/comments/p9/night_buses/k2/,2024-05-02 10:00:00 UTC,,transit,0,"
        "https://www.reddit.com/r/transit/comments/p9/night_buses/,k1,And nurses.,",
        "k3,https://www.reddit.com/r/cycling/comments/x1/helmets/k3/,2024-05-03 11:00:00 UTC,,cycling,0,"
        "https://www.reddit.com/r/cycling/comments/x1/helmets/,t1_zz,Not on short trips.,",
    )


def statistics_csv(account_name: str) -> str:
    return csv_text(
        "statistic,value",
        f"account name,{account_name}",
        "export time,2024-06-01 12:00:00 UTC",
        "is_deleted,False",
    )


def export_zip(files: dict[str, str]) -> bytes:
    """A ZIP shaped like Reddit's export: CSV files at the root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
