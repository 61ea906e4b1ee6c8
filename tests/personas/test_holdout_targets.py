"""Reactions to held-out posts are labels, and reactions get the text of the post they react to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personas.builders.profiling import split_history
from personas.models import HistoryItem, Persona, SourceAccount
from scraping.models import ImportJob
from scraping.sources.records import HistoryKind, HistoryRecord
from tests.scraping.sources.archive_builder import build_archive, standard_files
from tests.support.imports import run, start, upload

pytestmark = pytest.mark.django_db

HEADER = "handle,kind,item_id,text,created_at,target_id,target_author"
ANN = [f"ann,post,{n},Ann on buses day {n},2024-05-{n:02d}T08:00:00Z,," for n in range(1, 11)]
BEN = [f"ben,post,b{n},Ben on trains day {n},2024-05-{n:02d}T09:00:00Z,," for n in range(1, 11)]
# Older than everything ben wrote, so the time split alone would train on it.
BEN_REPLY = "ben,reply,b0,Zebra crossings beat your bus lanes,2024-04-01T09:00:00Z,10,ann"


def csv_upload(*rows: str):
    return upload("history.csv", ("\n".join([HEADER, *rows]) + "\n").encode())


def import_rows(tenancy, *rows: str) -> ImportJob:
    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=csv_upload(*rows)))
    assert job.status == ImportJob.Status.COMPLETED, job.errors
    return job


@pytest.mark.parametrize("together", [False, True], ids=["ann-imported-earlier", "one-import"])
def test_reply_to_held_out_post_is_label_not_card(tenancy, together):
    if together:
        import_rows(tenancy, *ANN, *BEN, BEN_REPLY)
    else:
        import_rows(tenancy, *ANN)
        import_rows(tenancy, *BEN, BEN_REPLY)

    items = HistoryItem.objects.for_org(tenancy.org_a)
    assert items.get(platform_id="10").held_out  # ann's newest post: held out by time
    assert sorted(items.filter(held_out=True).values_list("platform_id", flat=True)) == [
        "10",
        "9",
        "b0",  # ben's reply to it, although older than anything held out by time
        "b10",
        "b9",
    ]
    ben = Persona.objects.for_org(tenancy.org_a).get(handle="ben")
    assert "Zebra" not in ben.card
    assert ben.profile["holdout_ids"] == ["b0", "b9", "b10"]  # in time order
    assert ben.profile["kind_counts"]["reply"] == 0 and ben.propensities.get("reply", 0) == 0
    assert "and 1 reactions to held-out posts" in ben.profile["explain"]["holdout"]


def test_archive_reply_text_resolved_from_other_account(tenancy):
    alice = SourceAccount.objects.create(
        organization=tenancy.org_a, platform="x", platform_id="77", handle="alice"
    )
    HistoryItem.objects.create(
        organization=tenancy.org_a, account=alice, platform_id="900", kind="post", text="Original thought"
    )
    job = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "x_archive",
            upload=upload("jack.zip", build_archive(standard_files())),
        )
    )

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    jack = HistoryItem.objects.for_org(tenancy.org_a).filter(account__handle="jack")
    reply = jack.get(kind="reply")
    assert (reply.target_id, reply.target_text, reply.target_author) == ("900", "Original thought", "alice")
    quote = jack.get(kind="quote")
    assert (quote.target_id, quote.target_text) == ("555", "")  # carol's post is nowhere in the organization
    assert (
        "1 of @jack's replies, quotes, reposts and likes keep only the id of the post they react to: "
        "that post was neither in this import nor in an earlier one."
    ) in job.notes


def test_split_holds_out_reply_chains_to_held_posts_but_not_what_a_like_points_at():
    def item(platform_id, kind, day, target_id=""):
        return HistoryRecord(
            platform_id, kind, created_at=datetime(2024, 5, day, tzinfo=UTC), target_id=target_id
        )

    history = [
        item("p1", HistoryKind.POST, 1),
        item("r1", HistoryKind.REPLY, 2, target_id="other-9"),  # answers another account's held-out post
        item("r2", HistoryKind.REPLY, 3, target_id="r1"),  # answers that reply
        item("l1", HistoryKind.LIKE, 4, target_id="other-5"),  # a like of a post nobody held out
        item("r3", HistoryKind.REPLY, 5, target_id="l1"),
        item("p2", HistoryKind.POST, 6),
    ]

    split = split_history(history, holdout_fraction=0, held_targets=frozenset({"other-9"}))

    assert [r.platform_id for r in split.holdout] == ["r1", "r2"]
    assert [r.platform_id for r in split.training] == ["p1", "l1", "r3", "p2"]
    assert split.reactions == 2
