"""/api/v1/imports/: start (JSON or a multipart upload), status, errors, retry and cancel."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from personas.models import PanelShare
from scraping.models import ImportJob
from scraping.sources.tabular import TEMPLATE_CSV
from simnet.tenancy.models import AuditEvent
from tests.factories import ImportJobFactory
from tests.support.imports import run
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"
CREDENTIAL = "xbearer-AAAAsecretTOKEN-0123456789"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def bluesky(client, key: str | None = None, **extra):
    body = {"connector": "bluesky", "account": "@alice.bsky.social", **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(IMPORTS, body, format="json", **headers)


def test_a_network_import_starts_once_per_idempotency_key(member_api, org_a):
    first = bluesky(member_api, key="alice-1", panel_name="Alice")
    again = bluesky(member_api, key="alice-1", panel_name="Alice")
    assert first.status_code == again.status_code == 202, first.content
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    body = first.json()
    assert body["status"] == "queued" and body["account"] == "alice.bsky.social"
    assert body["new_panel_name"] == "Alice" and body["errors"] == [] and body["has_credential"] is False
    assert ImportJob.objects.for_org(org_a).count() == 1
    started = AuditEvent.objects.for_org(org_a).get(action="import.started")
    assert started.actor_token == member_api.token


def test_a_csv_upload_is_imported_and_its_personas_are_listed(member_api, org_a):
    upload = SimpleUploadedFile("voters.csv", TEMPLATE_CSV.encode(), content_type="text/csv")
    started = member_api.post(IMPORTS, {"connector": "tabular", "file": upload, "panel_name": "CSV"},
                              format="multipart")  # fmt: skip
    assert started.status_code == 202, started.content
    job_id = started.json()["id"]
    assert started.json()["upload_name"] == "voters.csv"
    run(ImportJob.objects.for_org(org_a).get(pk=job_id))  # what the worker does
    status = member_api.get(f"{IMPORTS}{job_id}/").json()
    assert status["status"] == "completed" and status["progress"]["percent"] == 100
    assert status["panel"] is not None and len(status["persona_ids"]) == 1
    personas = member_api.get(f"/api/v1/personas/?panel={status['panel']}").json()["results"]
    assert [row["id"] for row in personas] == status["persona_ids"]
    assert personas[0]["handle"] == "maria_votes"


def test_errors_are_readable(member_api, org_a):
    job = ImportJobFactory(organization=org_a, status="failed", status_message="The account does not exist.",
                           errors=["No Bluesky account alice.bsky.social."], notes=["Nothing was added."])  # fmt: skip
    body = member_api.get(f"{IMPORTS}{job.pk}/errors/").json()
    assert body == {
        "id": job.pk,
        "status": "failed",
        "status_message": "The account does not exist.",
        "errors": ["No Bluesky account alice.bsky.social."],
        "notes": ["Nothing was added."],
    }


def test_bad_input_is_a_field_error_and_starts_nothing(member_api, org_a):
    for body, field in (
        ({"connector": "myspace"}, "connector"),
        ({"connector": "bluesky", "account": ""}, "account"),
        ({"connector": "x_api", "account": "jack"}, "credential"),
        ({"connector": "tabular"}, "file"),
        ({"connector": "bluesky", "account": "alice.bsky.social", "holdout_percent": 99}, "holdout_percent"),
    ):
        refused = member_api.post(IMPORTS, body, format="json")
        assert refused.status_code == 400, (body, refused.content)
        assert field in refused.json()["error"]["fields"], (body, refused.json())
    assert not ImportJob.objects.for_org(org_a).exists()


def test_a_foreign_or_shared_panel_cannot_receive_an_import(member_api, org_a, org_b):
    theirs = make_panel(org_b, name="Their voters")
    refused = bluesky(member_api, panel=theirs.pk)
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["panel"]
    assert "Their voters" not in refused.content.decode()
    PanelShare.objects.create(organization=org_b, panel=theirs, shared_with=org_a)
    assert bluesky(member_api, panel=theirs.pk).status_code == 400  # shared panels are read-only
    mine = make_panel(org_a, name="Mine")
    accepted = bluesky(member_api, panel=mine.pk)
    assert accepted.status_code == 202 and accepted.json()["panel"] == mine.pk
    assert ImportJob.objects.for_org(org_a).count() == 1 and not ImportJob.objects.for_org(org_b).exists()


def test_the_credential_is_write_only(member_api, org_a):
    started = member_api.post(IMPORTS, {"connector": "x_api", "account": "jack", "credential": CREDENTIAL},
                              format="json")  # fmt: skip
    assert started.status_code == 202 and started.json()["has_credential"] is True
    job = ImportJob.objects.for_org(org_a).get()
    assert CREDENTIAL not in job.credential_encrypted
    for path in (IMPORTS, f"{IMPORTS}{job.pk}/", f"{IMPORTS}{job.pk}/errors/"):
        assert CREDENTIAL not in member_api.get(path).content.decode()
    assert CREDENTIAL not in str(AuditEvent.objects.for_org(org_a).get(action="import.started").detail)


def test_retry_and_cancel(member_api, viewer_api, org_a):
    failed = ImportJobFactory(organization=org_a, status="failed", errors=["Rate limited for too long."])
    assert viewer_api.post(f"{IMPORTS}{failed.pk}/retry/", {}, format="json").status_code == 403
    retried = member_api.post(f"{IMPORTS}{failed.pk}/retry/", {}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert (
        retried.status_code == 202 and retried.json()["status"] == "queued" and retried.json()["errors"] == []
    )
    cancelled = member_api.post(f"{IMPORTS}{failed.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "failed"
    assert cancelled.json()["status_message"].startswith("Cancelled")
    again = member_api.post(f"{IMPORTS}{failed.pk}/cancel/")
    assert (
        again.status_code == 400 and again.json()["error"]["message"] == "This import has already finished."
    )


def test_another_organizations_import_is_a_404_for_every_action(token_client, org_a, org_b):
    job = ImportJobFactory(organization=org_a, status="failed", status_message="secret-ish")
    outsider = token_client("owner", org_b)
    for method, path in (("get", ""), ("get", "errors/"), ("post", "retry/"), ("post", "cancel/"),
                         ("delete", ""), ("put", "")):  # fmt: skip
        response = getattr(outsider, method)(f"{IMPORTS}{job.pk}/{path}", {}, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
    assert outsider.get(IMPORTS).json()["count"] == 0
    assert ImportJob.objects.for_org(org_a).get().status == "failed"
