"""Reddit uploads end to end: the import form's fields, the start service, the worker, the panel."""

from __future__ import annotations

import pytest

from personas.models import HistoryItem, Panel, SourceAccount
from scraping.forms import ImportForm
from scraping.models import ImportJob
from scraping.services import import_start, import_start_arguments
from tests.scraping.sources import reddit_payloads as payloads
from tests.support.imports import run, start, upload

pytestmark = pytest.mark.django_db


def start_from_form(tenancy, name: str, data: bytes, **fields) -> ImportJob:
    form = ImportForm(
        {"connector": "reddit", "holdout_percent": 0, "card_budget": 500, **fields},
        {"file": upload(name, data)},
        panels=Panel.objects.for_org(tenancy.org_a),
    )
    assert form.is_valid(), form.errors
    return import_start(
        organization=tenancy.org_a,
        actor=tenancy.member,
        enqueue=False,
        **import_start_arguments(form.cleaned_data),
    )


def test_thread_upload_builds_panel(tenancy):
    job = run(start_from_form(tenancy, "p1.json", payloads.thread_bytes(), panel_name="Bus thread"))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    panel = Panel.objects.for_org(tenancy.org_a).get(pk=job.panel_id)
    members = sorted(panel.memberships.values_list("persona__handle", flat=True))
    assert (panel.name, members) == ("Bus thread", payloads.PARTICIPANTS)
    accounts = SourceAccount.objects.for_org(tenancy.org_a)
    assert sorted(accounts.values_list("platform", "platform_id")) == [
        ("reddit", h) for h in payloads.PARTICIPANTS
    ]
    items = HistoryItem.objects.for_org(tenancy.org_a)
    rows = {
        row[0]: row[1:]
        for row in items.values_list(
            "platform_id", "kind", "community", "score", "target_author", "target_text"
        )
    }
    assert rows["t1_c3"] == ("reply", "transit", -3, "alice", payloads.ALICE_QUESTION)
    assert rows["t3_p1"] == ("post", "transit", 120, "", "")
    assert "t1_c4" not in rows
    assert any("14 comments" in note for note in job.notes)


def test_an_export_csv_takes_the_typed_username_and_refuses_without_one(tenancy):
    job = run(start_from_form(tenancy, "comments.csv", payloads.comments_csv().encode(), account="u/maria_v"))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert job.subject == "maria_v"
    account = SourceAccount.objects.for_org(tenancy.org_a).get()
    assert (account.platform, account.handle, account.history.count()) == ("reddit", "maria_v", 3)

    failed = run(
        start(tenancy.org_a, tenancy.member, "reddit", upload=upload("comments.csv", b"id,parent,link\n"))
    )
    assert failed.status == ImportJob.Status.FAILED
    assert "Type the Reddit username" in failed.errors[0]
