"""The import pages: start from the UI, the size limit before storing, live progress, readable errors,
secrets never shown, other organizations get 404."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from personas.models import Panel, Persona
from scraping.models import ImportJob
from scraping.sources.tabular import TEMPLATE_CSV
from simnet.tenancy.secrets import SecretUnreadable, decrypt_for
from tests.scraping.sources.archive_builder import build_archive, standard_files
from tests.scraping.sources.platforms import serve_bluesky_account
from tests.support.imports import run, start, upload

pytestmark = pytest.mark.django_db
SECRET = "SECRET-bearer-token-7d1e"


def stored_files(settings) -> list:
    return [path for path in (settings.MEDIA_ROOT / "imports").rglob("*") if path.is_file()]


def test_the_import_page_offers_every_connector_the_schema_and_the_template(member_client):
    page = member_client.get(reverse("import_create")).content.decode()

    for label in ("X (Twitter) data archive", "X (Twitter) API", "Bluesky", "Mastodon", "CSV or JSONL file"):
        assert label in page
    assert 'enctype="multipart/form-data"' in page and 'type="password"' in page
    assert "<code>item_id</code>" in page and "unique per handle and kind" in page
    template = member_client.get(reverse("import_template"))
    assert template["Content-Type"].startswith("text/csv") and template.content.decode() == TEMPLATE_CSV
    assert "attachment" in template["Content-Disposition"]


def test_viewers_cannot_start_imports(viewer_client):
    assert viewer_client.get(reverse("import_create")).status_code == 403
    assert viewer_client.post(reverse("import_create"), {"connector": "bluesky"}).status_code == 403


def test_a_csv_uploaded_on_the_page_is_queued_and_its_page_shows_it_finish(member_client, tenancy):
    response = member_client.post(
        reverse("import_create"),
        {
            "connector": "tabular",
            "file": upload("people.csv", TEMPLATE_CSV.encode()),
            "holdout_percent": 20,
            "card_budget": 400,
            "panel_name": "From a CSV",
        },
    )

    job = ImportJob.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    assert (job.status, job.upload_name, job.params["card_budget"]) == ("queued", "people.csv", 400)
    page = member_client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Queued" in page

    run(job)
    page = member_client.get(
        reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-progress"
    ).content.decode()
    assert page.lstrip().startswith('<section id="import-progress" data-status="completed"')
    assert "hx-trigger" not in page, "polling stops once the import is final"
    assert "Imported 1 account with 3 history items into From a CSV." in page and "@maria_votes" in page
    assert Panel.objects.for_org(tenancy.org_a).get().name == "From a CSV"


def test_an_x_archive_uploaded_on_the_page_is_imported_by_the_background_task(
    member_client, tenancy, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from scraping.tasks import run_import

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("import_create"),
            {
                "connector": "x_archive",
                "file": upload("twitter-2024.zip", build_archive(standard_files())),
                "holdout_percent": 20,
                "card_budget": 500,
            },
        )

    job = ImportJob.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and (job.connector, job.status) == ("x_archive", "queued")
    [queued] = OrmQ.objects.all()
    assert (queued.task["func"], queued.task["args"]) == ("scraping.tasks.run_import", (job.pk,))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(*queued.task["args"]) == "completed"
    job.refresh_from_db()
    page = member_client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "Imported 1 account with 7 history items into Imported: @jack." in page
    persona = Persona.objects.for_org(tenancy.org_a).get()
    assert reverse("persona_detail", args=[job.panel_id, persona.pk]) in page


def test_a_bluesky_account_typed_on_the_page_is_fetched_in_the_background_with_live_progress(
    member_client, tenancy, loopback, settings
):
    serve_bluesky_account(loopback, datetime.now(UTC))
    settings.IMPORT_BASE_URLS = {"bluesky": loopback.base_url}
    response = member_client.post(
        reverse("import_create"),
        {"connector": "bluesky", "account": "@alice.bsky.social", "holdout_percent": 20, "card_budget": 500},
    )
    job = ImportJob.objects.for_org(tenancy.org_a).get()
    assert response.status_code == 302 and job.params["account"] == "alice.bsky.social"

    run(job, time_slice=0)  # one page, then the task hands over to a fresh one, as a worker does
    progress = member_client.get(
        reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-progress"
    ).content.decode()
    assert 'data-status="queued"' in progress and 'hx-trigger="every 2s"' in progress
    assert "Found alice.bsky.social" in progress

    job = run(job)
    assert job.status == "completed", job.errors
    page = member_client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "Imported 1 account with 5 history items" in page and "@alice.bsky.social" in page
    assert loopback.unmatched == []


def test_form_errors_come_back_on_the_form(member_client, tenancy):
    response = member_client.post(
        reverse("import_create"),
        {"connector": "bluesky", "account": "", "holdout_percent": 20, "card_budget": 500},
    )

    assert response.status_code == 400
    assert "Type the account to import." in response.content.decode()
    assert not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_an_upload_declared_too_large_is_refused_before_anything_is_read_or_stored(
    member_client, tenancy, settings
):
    response = member_client.post(
        reverse("import_create"),
        {"connector": "x_archive", "file": upload("big.zip", b"PK" + b"x" * 100)},
        CONTENT_LENGTH=str(600 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert "larger than the upload limit of 524.3 MB" in response.content.decode()
    assert not stored_files(settings) and not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_an_upload_larger_than_the_limit_is_stopped_while_it_streams_in(member_client, tenancy, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    data = build_archive(standard_files())
    assert len(data) > 1000

    response = member_client.post(
        reverse("import_create"), {"connector": "x_archive", "file": upload("a.zip", data)}
    )

    assert response.status_code == 413 and "upload limit of 0.0 MB" in response.content.decode()
    assert not stored_files(settings) and not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_the_upload_limit_also_holds_on_the_api(tenancy, api_token_for, api_client_for, settings):
    client = api_client_for(api_token_for(tenancy.org_a).raw_token)
    url = reverse("api_import-list")

    declared = client.post(
        url,
        {"connector": "x_archive", "file": upload("a.zip", b"PK")},
        format="multipart",
        CONTENT_LENGTH=str(600 * 1024 * 1024),
    )
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    streamed = client.post(
        url,
        {"connector": "x_archive", "file": upload("a.zip", build_archive(standard_files()))},
        format="multipart",
    )

    for response in (declared, streamed):
        assert response.status_code == 413, response.content
        assert response.json()["error"]["code"] == "upload_too_large"
    assert not stored_files(settings) and not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_failed_imports_list_every_error_escaped_and_offer_no_retry_without_the_file(member_client, tenancy):
    data = b"handle,kind,item_id,text\n<script>alert(1)</script>,shout,1,x\n"
    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("bad.csv", data)))

    page = member_client.get(reverse("import_detail", args=[job.pk])).content.decode()

    assert "The file has 1 problem; nothing was imported." in page
    assert "line 2: kind" in page
    assert "<script>alert(1)</script>" not in page
    assert reverse("import_retry", args=[job.pk]) not in page


def test_a_credential_is_never_shown_or_logged(member_client, tenancy, api_token_for, api_client_for, caplog):
    caplog.set_level(logging.DEBUG)
    member_client.post(
        reverse("import_create"),
        {
            "connector": "x_api",
            "account": "@jack",
            "credential": SECRET,
            "holdout_percent": 20,
            "card_budget": 500,
        },
    )
    job = ImportJob.objects.for_org(tenancy.org_a).get()
    assert job.credential_encrypted and SECRET not in job.credential_encrypted
    assert decrypt_for(tenancy.org_a.pk, job.credential_encrypted) == SECRET
    with pytest.raises(SecretUnreadable):
        decrypt_for(tenancy.org_b.pk, job.credential_encrypted)  # bound to the organization

    api = api_client_for(api_token_for(tenancy.org_a).raw_token)
    api_job = api.post(
        reverse("api_import-list"),
        {"connector": "x_api", "account": "jack", "credential": SECRET},
        format="json",
    )
    bodies = [
        member_client.get(reverse("import_detail", args=[job.pk])).content.decode(),
        member_client.get(reverse("import_list")).content.decode(),
        api_job.content.decode(),
        api.get(reverse("api_import-detail", args=[job.pk])).content.decode(),
        api.get(reverse("api_import-list")).content.decode(),
        member_client.get(reverse("audit_log")).content.decode(),
    ]
    assert api_job.status_code == 202 and api_job.json()["has_credential"] is True
    for body in bodies:
        assert SECRET not in body
    assert SECRET not in caplog.text


def test_retry_and_cancel_from_the_page(member_client, tenancy):
    job = start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "alice.bsky.social"})

    member_client.post(reverse("import_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "failed" and "Cancelled by" in job.status_message

    member_client.post(reverse("import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "queued" and job.errors == []


@pytest.mark.parametrize("name", ["import_detail", "import_retry", "import_cancel"])
def test_other_organizations_get_404(name, outsider_client, tenancy):
    job = start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "alice.bsky.social"})

    for method in ("get", "post"):
        assert getattr(outsider_client, method)(reverse(name, args=[job.pk])).status_code == 404


def test_the_list_polls_only_while_an_import_is_unfinished(member_client, tenancy):
    job = start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "alice.bsky.social"})
    assert 'hx-trigger="every 2s"' in member_client.get(reverse("import_list")).content.decode()

    ImportJob.objects.for_org(tenancy.org_a).filter(pk=job.pk).update(status="failed")
    assert "hx-trigger" not in member_client.get(reverse("import_list")).content.decode()
