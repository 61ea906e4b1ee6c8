from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from scraping.sources.errors import UploadRejected
from scraping.sources.records import HistoryKind
from scraping.sources.reddit import parse_reddit_upload
from tests.scraping.sources import reddit_payloads as payloads


def by_handle(bundles):
    return {bundle.account.handle: bundle for bundle in bundles}


def item(bundles, platform_id):
    [found] = [r for b in bundles for r in b.history if r.platform_id == platform_id]
    return found


def test_export_csv_comments_have_parents():
    [bundle] = parse_reddit_upload(
        payloads.comments_csv().encode(), filename="comments.csv", handle="u/maria_v"
    )

    assert (bundle.account.platform, bundle.account.platform_id, bundle.account.handle) == (
        "reddit",
        "maria_v",
        "maria_v",
    )
    assert [(r.platform_id, r.kind, r.target_id) for r in bundle.history] == [
        ("t1_k1", HistoryKind.REPLY, "t3_p9"),  # a top-level comment answers the post in its link
        ("t1_k2", HistoryKind.REPLY, "t1_k1"),
        ("t1_k3", HistoryKind.REPLY, "t1_zz"),
    ]
    second = bundle.history[1]
    assert (second.target_author, second.target_text) == ("maria_v", "Shift workers mostly.")
    assert [r.community for r in bundle.history] == ["transit", "transit", "cycling"]
    assert bundle.history[0].created_at == datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    assert all(r.score is None and r.like_count is None for r in bundle.history)
    with pytest.raises(UploadRejected, match="Type the Reddit username"):
        parse_reddit_upload(payloads.comments_csv().encode(), filename="comments.csv")


def test_export_zip_names_its_account_and_joins_title_and_body():
    data = payloads.export_zip(
        {
            "posts.csv": payloads.posts_csv(),
            "comments.csv": payloads.comments_csv(),
            "statistics.csv": payloads.statistics_csv("Maria_V"),
        }
    )

    [bundle] = parse_reddit_upload(data, filename="export_maria.zip")

    assert bundle.account.handle == "Maria_V" and bundle.account.platform_id == "maria_v"
    first = bundle.history[0]
    assert (first.platform_id, first.kind, first.text) == (
        "t3_p9",
        HistoryKind.POST,
        "Night buses\n\nWho rides them, and why?",
    )
    assert first.media == ()  # a self post's url is itself
    reply = item([bundle], "t1_k1")
    assert (reply.target_author, reply.target_text) == ("Maria_V", "Night buses\n\nWho rides them, and why?")
    with pytest.raises(UploadRejected, match="belongs to u/Maria_V, not u/someone_else"):
        parse_reddit_upload(data, filename="export.zip", handle="someone_else")


def test_export_zip_missing_files_clear_error():
    data = payloads.export_zip({"statistics.csv": payloads.statistics_csv("maria_v"), "README.txt": "hi"})

    with pytest.raises(UploadRejected, match="neither posts.csv nor comments.csv, so it is not a Reddit"):
        parse_reddit_upload(data, filename="export.zip")
    with pytest.raises(UploadRejected, match="not a ZIP archive"):
        parse_reddit_upload(b"id,body\n1,x\n", filename="export.zip")
    with pytest.raises(UploadRejected, match="neither posts.csv nor comments.csv from a Reddit data export"):
        parse_reddit_upload(b"handle,text\nann,hi\n", filename="mine.csv", handle="ann_b")


def test_thread_json_one_bundle_per_participant():
    bundles = parse_reddit_upload(payloads.thread_bytes(), filename="p1.json")

    assert [b.account.handle for b in bundles] == payloads.PARTICIPANTS
    ids = {handle: [r.platform_id for r in b.history] for handle, b in by_handle(bundles).items()}
    assert ids == {
        "alice": ["t3_p1", "t1_c2"],
        "bob": ["t1_c1"],
        "carol": ["t1_c3", "t1_c6"],
        "dave": ["t1_c5"],
    }
    question = item(bundles, "t3_p1")
    assert (question.kind, question.text, question.community) == (
        HistoryKind.POST,
        payloads.POST_TEXT,
        "transit",
    )
    assert (question.score, question.like_count, question.reply_count) == (120, 120, 6)
    assert question.created_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert {b.account.platform for b in bundles} == {"reddit"}


def test_reply_targets_carry_text_and_author():
    bundles = parse_reddit_upload(payloads.thread_bytes(), filename="p1.json")

    answer = item(bundles, "t1_c1")
    assert (answer.kind, answer.target_id, answer.target_author, answer.target_text) == (
        HistoryKind.REPLY,
        "t3_p1",
        "alice",
        payloads.POST_TEXT,
    )
    nested = item(bundles, "t1_c3")
    assert (nested.target_id, nested.target_author, nested.target_text) == (
        "t1_c2",
        "alice",
        payloads.ALICE_QUESTION,
    )
    orphan = item(bundles, "t1_c5")  # its parent's account is gone: no author, no "[removed]" text
    assert (orphan.target_id, orphan.target_author, orphan.target_text) == ("t1_c4", "", "")


def test_user_listing_targets_come_from_the_link_fields():
    data = json.dumps(payloads.user_comments_listing()).encode()

    [bundle] = parse_reddit_upload(data, filename="bob_comments.json")

    first, second = bundle.history
    assert (first.target_author, first.target_text) == ("erin", "Which routes should run all night?")
    assert (second.target_id, second.target_author, second.target_text) == ("t1_zz", "", "")


def test_more_stubs_and_deleted_noted():
    bundles = parse_reddit_upload(payloads.thread_bytes(), filename="p1.json")

    assert "t1_c4" not in {r.platform_id for b in bundles for r in b.history}
    for bundle in bundles:
        assert bundle.notes == [
            "Reddit left 14 comments out of this file behind 2 'load more comments' links; they are not imported.",
            "Skipped 1 post or comment whose account was deleted or removed.",
        ]


def test_scores_negative_kept():
    bundles = parse_reddit_upload(payloads.thread_bytes(), filename="p1.json")

    scores = {
        r.platform_id: (r.score, r.like_count)
        for r in (item(bundles, i) for i in ("t1_c3", "t1_c5", "t1_c6"))
    }
    assert scores == {"t1_c3": (-3, 0), "t1_c5": (-7, 0), "t1_c6": (0, 0)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"kind": "t2", "data": {"name": "t2_x"}}', "holds no Reddit Listing"),
        (json.dumps(payloads.listing()).encode(), "no posts or comments by an account that still exists"),
        (b"[" * 100_000 + b"]" * 100_000, "nests its JSON too deeply"),
    ],
)
def test_json_that_is_not_a_usable_listing_is_refused_with_its_reason(data, message):
    with pytest.raises(UploadRejected, match=message):
        parse_reddit_upload(data, filename="thread.json")
