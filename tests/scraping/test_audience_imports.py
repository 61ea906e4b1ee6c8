"""Audience imports end to end against loopback servers: list, sample, import each account, publish one
panel; skipped accounts up to the allowance; all-or-nothing beyond it; progress on the page and the API."""

from __future__ import annotations

import pytest

from personas.models import Panel, PanelMember, Persona
from scraping.models import ImportJob, ImportStagedItem
from scraping.services import audience_start
from scraping.sources.audience import Candidate, sample_candidates
from tests.scraping.sources.audiences import (
    BSKY_FOLLOWERS,
    serve_bluesky_followers,
    serve_bluesky_member,
    serve_mastodon_tag,
)
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import masto_account, masto_status
from tests.support.imports import row_counts, run

pytestmark = pytest.mark.django_db

ELIGIBLE = [p for p in BSKY_FOLLOWERS if p["handle"].split(".")[0] in {"ann", "ben", "eve", "fay"}]
NOTHING = {"accounts": 0, "history": 0, "follows": 0, "personas": 0}


@pytest.fixture
def bluesky(loopback, settings):
    serve_bluesky_followers(loopback)
    for profile in ELIGIBLE:
        serve_bluesky_member(loopback, profile)
    settings.IMPORT_BASE_URLS = {"bluesky": loopback.base_url}
    return loopback


def start(tenancy, *, size=2, seed=11, connector="bluesky", **audience) -> ImportJob:
    spec = {"kind": "followers", "query": "@brand.bsky.social", "size": size, "seed": seed, **audience}
    return audience_start(
        organization=tenancy.org_a, actor=tenancy.member, connector=connector, audience=spec, enqueue=False
    )


def expected_sample(size: int, seed: int) -> list[str]:
    pool = [Candidate(platform_id=p["did"], address=p["did"], handle=p["handle"]) for p in ELIGIBLE]
    return [c.handle for c in sample_candidates(pool, size=size, seed=seed)]


def persona_handles(job: ImportJob) -> list[str]:
    return sorted(
        Persona.objects.for_org(job.organization)
        .filter(pk__in=job.persona_ids)
        .values_list("handle", flat=True)
    )


def test_followers_are_sampled_by_seed_and_imported_into_one_new_panel(tenancy, bluesky):
    job = run(start(tenancy, size=3, seed=11))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert persona_handles(job) == sorted(expected_sample(3, 11))
    assert job.candidates_seen == 8 and len(job.sampled_accounts) == 3 and job.accounts_imported == 3
    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert panel.pk == job.panel_id and panel.name == "A sample of 3 followers of @brand.bsky.social"
    assert PanelMember.objects.for_org(tenancy.org_a).filter(panel=panel).count() == 3
    assert row_counts(tenancy.org_a) == {"accounts": 3, "history": 6, "follows": 0, "personas": 3}
    assert any(note.startswith("Left out while listing: 2 marked as automated") for note in job.notes)
    assert not ImportStagedItem.objects.for_org(tenancy.org_a).exists()
    assert bluesky.unmatched == []
    posts = bluesky.calls("/xrpc/app.bsky.feed.getAuthorFeed")
    assert {call.query["actor"] for call in posts} == {
        p["did"] for p in ELIGIBLE if p["handle"] in expected_sample(3, 11)
    }


def test_another_seed_samples_other_people_and_the_same_seed_the_same(tenancy, bluesky):
    first = run(start(tenancy, size=2, seed=1))
    again = run(start(tenancy, size=2, seed=1))
    assert persona_handles(first) == persona_handles(again) == sorted(expected_sample(2, 1))
    assert expected_sample(2, 1) != expected_sample(2, 4), (
        "the seeds chosen must differ for this test to mean anything"
    )
    other = run(start(tenancy, size=2, seed=4))
    assert persona_handles(other) == sorted(expected_sample(2, 4))


def test_an_account_gone_since_listing_is_skipped_and_recorded(tenancy, bluesky):
    gone = ELIGIBLE[0]
    bluesky.add(
        "/xrpc/app.bsky.actor.getProfile",
        Reply(status=400, json={"error": "InvalidRequest", "message": "Profile not found"}),
        query={"actor": gone["did"]},
    )

    job = run(start(tenancy, size=4, seed=2))  # allowance: ceil(4 / 4) = 1

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert job.account_failures == [{"handle": gone["handle"], "reason": job.account_failures[0]["reason"]}]
    assert "Profile not found" in job.account_failures[0]["reason"]
    assert job.accounts_imported == 3 and len(job.persona_ids) == 3
    assert gone["handle"] not in persona_handles(job)


def test_more_failures_than_allowed_fail_the_job_and_add_nothing(tenancy, bluesky):
    for profile in ELIGIBLE[:2]:
        bluesky.add(
            "/xrpc/app.bsky.actor.getProfile",
            Reply(status=400, json={"message": "Profile not found"}),
            query={"actor": profile["did"]},
        )

    job = run(start(tenancy, size=4, seed=2))

    assert job.status == ImportJob.Status.FAILED
    assert "2 sampled accounts could not be imported, more than the 1 allowed" in job.status_message
    assert row_counts(tenancy.org_a) == NOTHING
    assert not Panel.objects.for_org(tenancy.org_a).exists()
    assert not ImportStagedItem.objects.for_org(tenancy.org_a).exists(), (
        "the accounts fetched before are dropped"
    )
    assert job.candidates_seen is None and job.audience_position == 0, "a retry lists and samples again"


def test_a_source_outage_mid_audience_keeps_what_was_fetched_and_a_retry_finishes_it(tenancy, bluesky):
    from scraping.services import import_retry

    victim = expected_sample(3, 11)[1]
    did = next(p["did"] for p in ELIGIBLE if p["handle"] == victim)
    bluesky.add("/xrpc/app.bsky.feed.getAuthorFeed", Reply(status=503), query={"actor": did}, times=4)

    failed = run(start(tenancy, size=3, seed=11))

    assert failed.status == ImportJob.Status.FAILED and "not answering" in failed.status_message
    assert row_counts(tenancy.org_a) == NOTHING and not Panel.objects.for_org(tenancy.org_a).exists()
    assert failed.accounts_imported == 1 and failed.audience_position == 1, "the first account stays staged"
    listed = len(bluesky.calls("/xrpc/app.bsky.graph.getFollowers"))

    done = run(import_retry(job=failed, organization=tenancy.org_a, actor=tenancy.member))

    assert done.status == ImportJob.Status.COMPLETED, done.errors
    assert persona_handles(done) == sorted(expected_sample(3, 11))
    assert row_counts(tenancy.org_a)["history"] == 6, "no duplicates from the first attempt"
    assert len(bluesky.calls("/xrpc/app.bsky.graph.getFollowers")) == listed, (
        "the sample was kept, not redrawn"
    )


def test_time_slices_hand_over_between_pages_and_the_result_is_the_same(tenancy, bluesky):
    job = start(tenancy, size=3, seed=11)
    for _ in range(40):
        job = run(job, time_slice=0)
        if job.status != ImportJob.Status.QUEUED:
            break
    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert persona_handles(job) == sorted(expected_sample(3, 11))
    assert row_counts(tenancy.org_a) == {"accounts": 3, "history": 6, "follows": 0, "personas": 3}


def test_a_mastodon_hashtag_audience_imports_from_each_members_server(tenancy, loopback, settings):
    serve_mastodon_tag(loopback, "climate")
    for local_id, acct in (("21", "kim"), ("22", "lee")):
        account = masto_account(local_id, acct)
        loopback.add("/api/v1/accounts/lookup", Reply(json=account), query={"acct": acct})
        loopback.add(
            f"/api/v1/accounts/{local_id}/statuses",
            Reply(json=[masto_status(f"{local_id}1", "<p>Hi</p>", account=account)]),
        )
        loopback.add(f"/api/v1/accounts/{local_id}/following", Reply(json=[]))
    settings.IMPORT_BASE_URLS = {"mastodon": loopback.base_url}

    job = run(
        start(
            tenancy, connector="mastodon", kind="hashtag", query="#climate", server="social.example", size=2
        )
    )

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert persona_handles(job) == ["kim@social.example", "lee@far.example"]
    assert job.subject == "A sample of 2 posters of #climate on social.example"


def test_the_detail_page_shows_the_audience_progress_to_its_owner_only(tenancy, bluesky, client_for):
    job = run(start(tenancy, size=3, seed=11))
    url = f"/imports/{job.pk}/"

    page = client_for(tenancy.owner, tenancy.org_a).get(url)
    outsider = client_for(tenancy.outsider, tenancy.org_b).get(url)

    assert page.status_code == 200 and outsider.status_code == 404
    text = page.content.decode()
    assert "Accounts listed</dt><dd>8" in text and "Imported</dt><dd>3" in text and "seed 11" in text


def test_the_form_starts_an_audience_and_reports_a_missing_server(tenancy, client_for):
    client = client_for(tenancy.member, tenancy.org_a)
    form = {
        "connector": "mastodon",
        "kind": "hashtag",
        "query": "#climate",
        "size": 5,
        "holdout_percent": 20,
        "card_budget": 500,
    }

    refused = client.post("/imports/audience/new/", form)
    started = client.post("/imports/audience/new/", {**form, "server": "mastodon.social", "seed": 42})

    assert refused.status_code == 400 and "Type the Mastodon server to ask" in refused.content.decode()
    job = ImportJob.objects.for_org(tenancy.org_a).get()
    assert started.status_code == 302 and started["Location"] == f"/imports/{job.pk}/"
    assert job.audience == {
        "kind": "hashtag",
        "query": "climate",
        "server": "mastodon.social",
        "size": 5,
        "seed": 42,
        "max_failures": 2,
    }
    assert client_for(tenancy.viewer, tenancy.org_a).post("/imports/audience/new/", form).status_code == 403


def test_the_api_starts_an_audience_with_a_seed_it_returns_and_scopes_it(tenancy, member_api, token_client):
    body = {"connector": "bluesky", "kind": "search", "query": "tea lovers", "size": 10}

    started = member_api.post("/api/v1/imports/audience/", body, format="json")

    assert started.status_code == 202, started.content
    audience = started.json()["audience"]
    assert audience["kind"] == "search" and audience["size"] == 10 and audience["candidates_seen"] is None
    assert isinstance(audience["seed"], int) and audience["max_failures"] == 3
    url = f"/api/v1/imports/{started.json()['id']}/"
    assert member_api.get(url).status_code == 200
    assert token_client("member", tenancy.org_b).get(url).status_code == 404
    bad = member_api.post("/api/v1/imports/audience/", {**body, "connector": "x_api"}, format="json")
    assert bad.status_code in (400, 422) and "credential" in bad.content.decode()
