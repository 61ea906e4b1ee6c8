"""File imports end to end: an X archive and a CSV become source rows, personas and a panel, once."""

from __future__ import annotations

import pytest

from personas.models import FollowEdge, HistoryItem, Panel, Persona, SourceAccount
from scraping.models import ImportJob
from scraping.sources.tabular import TEMPLATE_CSV
from simnet.tenancy.models import AuditEvent
from tests.scraping.sources.archive_builder import build_archive, standard_files
from tests.support.imports import row_counts, run, start, upload

pytestmark = pytest.mark.django_db

HEADER = "handle,kind,item_id,text,created_at,target_author"


def csv_file(*rows: str, name: str = "history.csv") -> object:
    return upload(name, ("\n".join([HEADER, *rows]) + "\n").encode())


def test_an_x_archive_becomes_one_persona_with_its_whole_history(tenancy, settings):
    job = start(
        tenancy.org_a, tenancy.member, "x_archive", upload=upload("jack.zip", build_archive(standard_files()))
    )
    stored = settings.MEDIA_ROOT / job.upload_path
    assert stored.exists() and str(job.upload_path).startswith(f"imports/{tenancy.org_a.pk}/")

    job = run(job)

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert job.status_message == "Imported 1 account with 7 history items into Imported: @jack."
    assert not stored.exists(), "the archive is deleted once imported"
    account = SourceAccount.objects.for_org(tenancy.org_a).get()
    assert (account.platform, account.platform_id, account.handle, account.bio) == (
        "x",
        "12",
        "jack",
        "Building things",
    )
    kinds = sorted(HistoryItem.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == ["like", "like", "post", "post", "quote", "reply", "repost"]
    assert account.follows.count() == 3
    persona = Persona.objects.for_org(tenancy.org_a).get()
    assert job.persona_ids == [persona.pk]
    assert (persona.origin, persona.source_account_id, persona.handle) == ("imported", account.pk, "jack")
    assert persona.card.startswith("You are Jack (@jack).") and 0 < persona.card_tokens <= 500
    assert persona.profile["training_count"] + persona.profile["holdout_count"] == 7
    panel = Panel.objects.for_org(tenancy.org_a).get()
    assert (panel.name, panel.kind, job.panel_id) == ("Imported: @jack", "imported", panel.pk)
    assert list(panel.memberships.values_list("persona_id", flat=True)) == [persona.pk]
    assert AuditEvent.objects.filter(organization=tenancy.org_a, action="import.started").count() == 1


def test_the_newest_fifth_of_the_timed_history_is_held_out_and_kept_out_of_the_card(tenancy):
    rows = [f"maria,post,{n},Post number {n} about buses,2024-05-{n:02d}T08:00:00Z," for n in range(1, 11)]
    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=csv_file(*rows)))

    held = HistoryItem.objects.for_org(tenancy.org_a).filter(held_out=True)
    assert sorted(held.values_list("platform_id", flat=True)) == ["10", "9"]
    persona = Persona.objects.for_org(tenancy.org_a).get(pk=job.persona_ids[0])
    assert persona.profile["holdout_ids"] == ["9", "10"]
    assert "Post number 10" not in persona.card and "Post number 9 " not in persona.card


def test_a_csv_with_several_accounts_makes_one_persona_each_and_links_their_real_follows(tenancy):
    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("t.csv", TEMPLATE_CSV.encode())))
    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 3, "follows": 0, "personas": 1}
    reply = HistoryItem.objects.for_org(tenancy.org_a).get(kind="reply")
    assert (reply.target_id, reply.target_author) == ("990", "citytransit")
    assert reply.target_text == "Should the Main St bus lane run all night? Tell us before Friday."
    # the like's post (991) is in no import: the customer is told its text is missing
    assert any(note.startswith("1 of @maria_votes's replies, quotes") for note in job.notes), job.notes

    rows = [
        "ann,post,1,Hello bikes,2024-01-01T10:00:00Z,",
        "ann,like,2,,2024-01-02T10:00:00Z,bob",
        "bob,post,3,Hello trains,2024-01-01T11:00:00Z,",
        "bob,reply,4,Agreed,2024-01-03T11:00:00Z,ann",
    ]
    job = run(
        start(tenancy.org_a, tenancy.member, "tabular", upload=csv_file(*rows), panel_name="Two friends")
    )

    panel = Panel.objects.for_org(tenancy.org_a).get(name="Two friends")
    assert job.panel_id == panel.pk and panel.memberships.count() == 2
    assert sorted(
        Persona.objects.for_org(tenancy.org_a).filter(pk__in=job.persona_ids).values_list("handle", flat=True)
    ) == ["ann", "bob"]


def test_follow_edges_come_from_real_follows_among_panel_members(tenancy):
    from personas.models import SourceFollow
    from personas.services.importer import panel_link_real_follows

    job = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "tabular",
            upload=csv_file(
                "ann,post,1,Hello,2024-01-01T10:00:00Z,",
                "bob,post,2,Hi,2024-01-01T10:00:00Z,",
                "cy,post,3,Hey,2024-01-01T10:00:00Z,",
            ),
        )
    )
    panel = Panel.objects.for_org(tenancy.org_a).get(pk=job.panel_id)
    accounts = {a.handle: a for a in SourceAccount.objects.for_org(tenancy.org_a)}
    SourceFollow.objects.create(
        organization=tenancy.org_a, account=accounts["ann"], direction="following", handle="BOB"
    )
    SourceFollow.objects.create(
        organization=tenancy.org_a, account=accounts["cy"], direction="follower", handle="ann"
    )
    SourceFollow.objects.create(
        organization=tenancy.org_a, account=accounts["bob"], direction="following", handle="someone_else"
    )

    assert panel_link_real_follows(panel) == 2
    handles = {p.pk: p.handle for p in Persona.objects.for_org(tenancy.org_a)}
    edges = {
        (handles[a], handles[b])
        for a, b in FollowEdge.objects.filter(panel=panel).values_list("follower", "followee")
    }
    assert edges == {("ann", "bob"), ("ann", "cy")}
    assert panel_link_real_follows(panel) == 0, "linking again adds nothing"


def test_importing_the_same_archive_again_adds_nothing_and_updates_the_persona(tenancy):
    archive = build_archive(standard_files())
    first = run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", archive)))
    before = row_counts(tenancy.org_a)

    second = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "x_archive",
            upload=upload("a.zip", archive),
            panel=Panel.objects.for_org(tenancy.org_a).get(pk=first.panel_id),
        )
    )

    assert second.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == before
    assert second.persona_ids == first.persona_ids
    assert Panel.objects.for_org(tenancy.org_a).count() == 1


def test_a_reimport_keeps_a_summary_while_the_card_is_the_same_and_drops_it_when_it_changes(tenancy):
    archive = build_archive(standard_files())
    first = run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", archive)))
    panel = Panel.objects.for_org(tenancy.org_a).get(pk=first.panel_id)
    persona = Persona.objects.for_org(tenancy.org_a).get()
    Persona.objects.for_org(tenancy.org_a).update(summary="Jack builds things.", summary_by="Anthropic")

    run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", archive), panel=panel))
    persona.refresh_from_db()
    assert persona.summary == "Jack builds things."

    smaller = {"account": "", "holdout_percent": 20, "card_budget": 120}
    run(
        start(tenancy.org_a, tenancy.member, "x_archive", params=smaller, upload=upload("a.zip", archive), panel=panel)
    )
    persona.refresh_from_db()
    assert persona.card_tokens <= 120 and persona.summary == "" and persona.summary_by == ""


def test_a_completed_job_run_again_by_a_redelivered_task_does_nothing(tenancy):
    job = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "x_archive",
            upload=upload("a.zip", build_archive(standard_files())),
        )
    )
    before = row_counts(tenancy.org_a)

    assert run(job).status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == before


def test_completion_and_failure_emit_webhooks(tenancy):
    from simnet.webhooks import services as webhooks
    from simnet.webhooks.models import Delivery

    webhooks.webhook_endpoint_create(
        organization=tenancy.org_a,
        url="http://127.0.0.1:9/in",
        events=["import.completed", "import.failed"],
        actor=tenancy.owner,
    )
    run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("t.csv", TEMPLATE_CSV.encode())))
    run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("t.csv", b"nonsense")))

    assert sorted(Delivery.objects.for_org(tenancy.org_a).values_list("event", flat=True)) == [
        "import.completed",
        "import.failed",
    ]


def test_starting_checks_what_people_get_wrong_before_queueing(tenancy):
    from simnet.tenancy.errors import ApplicationError, PermissionDeniedError

    cases = [
        ({"connector": "myspace"}, "Unknown importer 'myspace'"),
        ({"connector": "x_archive"}, "Choose the file to import (.zip)"),
        (
            {"connector": "x_archive", "upload": upload("a.csv", b"x")},
            "X (Twitter) data archive imports take .zip",
        ),
        ({"connector": "bluesky", "params": {"account": ""}}, "Type the account to import."),
        ({"connector": "bluesky", "params": {"account": "not a handle"}}, "is not a Bluesky handle"),
        ({"connector": "mastodon", "params": {"account": "@a@127.0.0.1"}}, "127.0.0.1"),
        ({"connector": "x_api", "params": {"account": "jack"}}, "X (Twitter) API needs a credential"),
        (
            {"connector": "bluesky", "params": {"account": "a.bsky.social", "holdout_percent": 90}},
            "out of range",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(ApplicationError) as caught:
            start(tenancy.org_a, tenancy.member, **kwargs)
        assert message in caught.value.message or message in str(caught.value.fields), (kwargs, caught.value)
    with pytest.raises(PermissionDeniedError):
        from scraping.services import import_start

        import_start(
            organization=tenancy.org_a,
            actor=tenancy.viewer,
            connector="bluesky",
            params={"account": "a.bsky.social"},
        )
    other_panel = Panel.objects.create(organization=tenancy.org_b, name="B's")
    with pytest.raises(ApplicationError, match="That panel does not exist"):
        start(
            tenancy.org_a, tenancy.member, "bluesky", params={"account": "a.bsky.social"}, panel=other_panel
        )
    assert not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_the_job_is_queued_only_when_the_transaction_commits(tenancy, django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from scraping.services import import_start

        job = import_start(
            organization=tenancy.org_a,
            actor=tenancy.member,
            connector="bluesky",
            params={"account": "alice.bsky.social"},
        )
    assert len(callbacks) == 1
    [queued] = OrmQ.objects.all()
    assert queued.task["func"] == "scraping.tasks.run_import" and queued.task["args"] == (job.pk,)
