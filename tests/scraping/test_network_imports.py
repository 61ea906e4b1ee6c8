"""Network imports against protocol-speaking servers on 127.0.0.1: pages are staged with their checkpoint,
the account appears all-or-nothing, and failures mid-pagination end with a specific message, no rows,
and a retry that finishes without duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from personas.models import HistoryItem, Persona, SourceAccount
from scraping.models import ImportJob, ImportStagedItem
from scraping.services import import_cancel, import_retry
from simnet.tenancy.secrets import decrypt_for
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import X_USER_ID, serve_bluesky_account, serve_x_account
from tests.support.imports import row_counts, run, start

pytestmark = pytest.mark.django_db

NOTHING = {"accounts": 0, "history": 0, "follows": 0, "personas": 0}
BLUESKY_ROWS = {"accounts": 1, "history": 5, "follows": 3, "personas": 1}
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
FOLLOWS = "/xrpc/app.bsky.graph.getFollows"
PROFILE = "/xrpc/app.bsky.actor.getProfile"


@pytest.fixture
def bluesky(loopback, settings):
    serve_bluesky_account(loopback, datetime.now(UTC))
    settings.IMPORT_BASE_URLS = {"bluesky": loopback.base_url}
    return loopback


def start_bluesky(tenancy, **kwargs) -> ImportJob:
    return start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "@alice.bsky.social"}, **kwargs)


def test_a_bluesky_account_imports_every_page_into_one_persona(tenancy, bluesky):
    job = run(start_bluesky(tenancy))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert row_counts(tenancy.org_a) == BLUESKY_ROWS
    account = SourceAccount.objects.for_org(tenancy.org_a).get()
    assert (account.platform, account.handle, account.followers_count) == ("bluesky", "alice.bsky.social", 40)
    persona = Persona.objects.for_org(tenancy.org_a).get()
    assert persona.card.startswith("You are Alice (@alice.bsky.social).")
    assert any(note.startswith("Likes were skipped") for note in job.notes)
    assert not ImportStagedItem.objects.for_org(tenancy.org_a).exists(), "staging is emptied on completion"
    assert job.checkpoint == {} and job.progress_done == 5
    assert bluesky.unmatched == []


def test_pages_are_staged_not_shown_until_the_account_is_complete(tenancy, bluesky):
    job = start_bluesky(tenancy)

    run(job, time_slice=0)  # hands over after the first page, as a task does when its time slice ends

    job.refresh_from_db()
    assert (
        job.status == ImportJob.Status.QUEUED and job.checkpoint["account"]["handle"] == "alice.bsky.social"
    )
    assert row_counts(tenancy.org_a) == NOTHING
    assert OrmQ.objects.count() == 1, "the continuation was queued"


def test_a_worker_killed_mid_import_is_continued_from_the_checkpoint_without_duplicates(tenancy, bluesky):
    job = start_bluesky(tenancy)
    pages = []

    def killed_after_both_post_pages(done, total, message):
        pages.append(message)
        if len(pages) == 4:
            raise KeyboardInterrupt  # like kill -9: nothing after this line of the worker runs

    with pytest.raises(KeyboardInterrupt):
        run(job, echo=killed_after_both_post_pages)
    job.refresh_from_db()
    assert (
        job.status == ImportJob.Status.RUNNING
        and ImportStagedItem.objects.for_org(tenancy.org_a).count() == 5
    )
    assert run(job).status == ImportJob.Status.RUNNING, "the lease is still held: a redelivery must not run"

    ImportJob.objects.for_org(tenancy.org_a).filter(pk=job.pk).update(lease_expires_at=timezone.now())
    job = run(job)

    assert job.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == BLUESKY_ROWS
    assert len(bluesky.calls(PROFILE)) == 1, "the account was not fetched again"
    assert [c.query.get("cursor") for c in bluesky.calls(FEED)] == [None, "c2"]


def test_a_server_error_mid_pagination_fails_clearly_and_a_retry_finishes_without_duplicates(
    tenancy, bluesky
):
    bluesky.add(
        FEED, Reply(status=500, json={"error": "InternalServerError"}), query={"cursor": "c2"}, times=4
    )

    job = run(start_bluesky(tenancy))

    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [
        (
            "Bluesky is not answering properly (HTTP 500; 4 attempts). It may be down; try the import again later, "
            "it continues where it stopped."
        )
    ]
    assert row_counts(tenancy.org_a) == NOTHING
    assert job.retryable and job.checkpoint["stages"]["posts"]["cursor"] == "c2"

    import_retry(job=job, organization=tenancy.org_a, actor=tenancy.member)
    job = run(job)

    assert job.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == BLUESKY_ROWS
    assert [c.query.get("cursor") for c in bluesky.calls(FEED)] == [None, "c2", "c2", "c2", "c2", "c2"]


def test_a_rate_limit_mid_pagination_parks_the_job_until_the_reset_then_it_finishes(tenancy, bluesky):
    reset = int(datetime.now(UTC).timestamp()) + 600
    bluesky.add(
        FOLLOWS,
        Reply(
            status=429,
            json={"error": "RateLimitExceeded"},
            headers={"ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
        ),
        query={"cursor": "f2"},
        times=1,
    )

    job = run(start_bluesky(tenancy))

    assert job.status == ImportJob.Status.WAITING_RATE_LIMIT
    assert job.status_message.startswith("Bluesky rate limit reached. The import pauses and continues after")
    assert abs((job.resume_at - datetime.fromtimestamp(reset, UTC)).total_seconds()) <= 2
    [resume] = Schedule.objects.filter(func="scraping.tasks.run_import")
    assert (
        resume.schedule_type == Schedule.ONCE
        and resume.next_run == job.resume_at
        and resume.args == f"({job.pk},)"
    )
    assert row_counts(tenancy.org_a) == NOTHING
    assert run(job).status == ImportJob.Status.WAITING_RATE_LIMIT, "it does not run before the reset"

    ImportJob.objects.for_org(tenancy.org_a).filter(pk=job.pk).update(
        resume_at=timezone.now() - timedelta(seconds=1)
    )
    job = run(job)

    assert job.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == BLUESKY_ROWS
    assert len(bluesky.calls(FEED)) == 2


def test_a_rejected_token_mid_pagination_names_the_token_and_a_retry_with_a_new_one_finishes(
    tenancy, loopback, settings
):
    serve_x_account(loopback, datetime.now(UTC))
    settings.IMPORT_BASE_URLS = {"x_api": loopback.base_url}
    loopback.add(
        f"/2/users/{X_USER_ID}/liked_tweets",
        Reply(status=401, json={"title": "Unauthorized"}),
        query={"pagination_token": "l2"},
        times=1,
    )

    job = run(
        start(tenancy.org_a, tenancy.member, "x_api", params={"account": "@jack"}, credential="old-token")
    )

    assert job.status == ImportJob.Status.FAILED
    assert "rejected" in job.errors[0].lower() and "token" in job.errors[0].lower(), job.errors
    assert row_counts(tenancy.org_a) == NOTHING

    import_retry(job=job, organization=tenancy.org_a, actor=tenancy.member, credential="new-token")
    job.refresh_from_db()
    assert decrypt_for(tenancy.org_a.pk, job.credential_encrypted) == "new-token"
    job = run(job)

    assert job.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 8, "follows": 3, "personas": 1}
    assert HistoryItem.objects.for_org(tenancy.org_a).filter(kind="like").count() == 3
    assert loopback.calls("/2/users/by/username/jack")[0].headers["authorization"] == "Bearer old-token"
    assert (
        loopback.calls(f"/2/users/{X_USER_ID}/liked_tweets")[-1].headers["authorization"]
        == "Bearer new-token"
    )
    assert job.credential_encrypted == "", "a finished job keeps no credential"


def test_an_unknown_account_fails_with_the_sources_words(tenancy, loopback, settings):
    settings.IMPORT_BASE_URLS = {"bluesky": loopback.base_url}
    loopback.add(PROFILE, Reply(status=400, json={"error": "InvalidRequest", "message": "Profile not found"}))

    job = run(start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "ghost.bsky.social"}))

    assert job.status == ImportJob.Status.FAILED
    assert "ghost.bsky.social" in job.errors[0]
    assert row_counts(tenancy.org_a) == NOTHING


def test_cancelling_a_waiting_import_drops_what_was_staged(tenancy, bluesky):
    job = start_bluesky(tenancy)
    run(job, time_slice=0)

    with TestCase.captureOnCommitCallbacks(execute=True):  # staged rows go in small transactions after it
        job = import_cancel(job=job, organization=tenancy.org_a, actor=tenancy.member)

    assert job.status == ImportJob.Status.FAILED and job.errors == [
        f"Cancelled by {tenancy.member.email}. Nothing from this import was added."
    ]
    assert not ImportStagedItem.objects.for_org(tenancy.org_a).exists() and job.checkpoint == {}
    assert run(job).status == ImportJob.Status.FAILED, "the queued continuation does nothing"
    assert row_counts(tenancy.org_a) == NOTHING
