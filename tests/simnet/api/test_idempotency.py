"""Idempotency-Key: replays, reuse with another body, in-progress duplicates, organizations apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from simnet.api import idempotency
from simnet.api.models import IdempotencyRecord
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import AuditEvent
from tests.simnet.api.views import StartWorkView

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("infra_urls")]

URL = "/api/v1/test/work/"


@pytest.fixture(autouse=True)
def fresh_view():
    StartWorkView.calls, StartWorkView.during, StartWorkView.fail_with = [], None, None
    yield
    StartWorkView.calls, StartWorkView.during, StartWorkView.fail_with = [], None, None


def post(client, body, key="key-1", **extra):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def work_rows(organization) -> int:
    return AuditEvent.objects.for_org(organization).filter(action="test.work_started").count()


def test_a_retry_replays_the_stored_response_without_running_the_view(api, org_a):
    first = post(api, {"name": "run"})
    again = post(api, {"name": "run"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert len(StartWorkView.calls) == 1 and work_rows(org_a) == 1


def test_requests_without_a_key_run_every_time(api, org_a):
    api.post(URL, {"name": "run"}, format="json")
    api.post(URL, {"name": "run"}, format="json")
    assert len(StartWorkView.calls) == 2


def test_the_same_key_with_another_body_is_422(api):
    post(api, {"name": "run"})
    response = post(api, {"name": "other"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(StartWorkView.calls) == 1


def test_a_duplicate_while_the_first_still_runs_is_409_and_does_not_run(api, org_a):
    answers = []
    StartWorkView.during = lambda: answers.append(post(api, {"name": "run"}) if not answers else None)
    first = post(api, {"name": "run"})
    duplicate = answers[0]
    assert first.status_code == 201
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "idempotency_key_in_progress"
    assert len(StartWorkView.calls) == 1 and work_rows(org_a) == 1


def test_another_organization_may_use_the_same_key(api, api_client_for, api_token_for, org_b):
    other = api_client_for(api_token_for(org_b, role="member").raw_token)
    post(api, {"name": "run"})
    response = post(other, {"name": "run"})
    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert [call["organization"] for call in StartWorkView.calls] == [api_org_id(api), org_b.pk]


def api_org_id(client) -> int:
    return client.get("/api/v1/organization/").json()["id"]


def test_a_raised_error_rolls_the_work_back_and_frees_the_key(api, org_a):
    StartWorkView.fail_with = ApplicationError("No budget left.", code="budget_exceeded", status=402)
    failed = post(api, {"name": "run"})
    assert failed.status_code == 402 and work_rows(org_a) == 0
    assert not IdempotencyRecord.objects.for_org(org_a).exists()
    StartWorkView.fail_with = None
    retried = post(api, {"name": "run"})
    assert retried.status_code == 201 and not retried.has_header("Idempotent-Replayed")
    assert work_rows(org_a) == 1


def test_an_invalid_key_is_400(api):
    response = post(api, {"name": "run"}, key="k" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert StartWorkView.calls == []


def _record_for(org, body, key, *, age, complete=False):
    request = APIRequestFactory().post(URL, body, format="json")
    now = timezone.now()
    return IdempotencyRecord.objects.create(
        organization=org,
        key=key,
        fingerprint=idempotency.request_fingerprint(request),
        method="POST",
        path=URL,
        locked_at=now - age,
        created_at=now - age,
        response_status=200 if complete else None,
        response_body={"old": True} if complete else None,
    )


def test_a_claim_abandoned_by_a_crashed_request_is_taken_over(api, org_a):
    _record_for(org_a, {"name": "run"}, "key-1", age=idempotency.IN_PROGRESS_TIMEOUT + timedelta(seconds=1))
    response = post(api, {"name": "run"})
    assert response.status_code == 201 and len(StartWorkView.calls) == 1


def test_a_recent_claim_is_still_in_progress(api, org_a):
    _record_for(org_a, {"name": "run"}, "key-1", age=timedelta(seconds=5))
    assert post(api, {"name": "run"}).status_code == 409


def test_a_request_whose_claim_was_taken_over_rolls_back(api, org_a):
    def taken_over():
        IdempotencyRecord.objects.for_org(org_a).update(locked_at=timezone.now() + timedelta(seconds=1))

    StartWorkView.during = taken_over
    response = post(api, {"name": "run"})
    assert response.status_code == 409 and work_rows(org_a) == 0


def test_keys_expire_after_24_hours(api, org_a):
    _record_for(
        org_a, {"name": "run"}, "key-1", age=idempotency.RECORD_TTL + timedelta(minutes=1), complete=True
    )
    response = post(api, {"name": "run"})
    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")


def test_purge_deletes_only_expired_records(org_a, org_b):
    _record_for(org_a, {}, "old", age=idempotency.RECORD_TTL + timedelta(minutes=1), complete=True)
    _record_for(org_b, {}, "old", age=idempotency.RECORD_TTL + timedelta(minutes=1))
    kept = _record_for(org_a, {}, "new", age=timedelta(hours=23), complete=True)
    assert idempotency.idempotency_records_purge() == 2
    assert list(IdempotencyRecord.unscoped.values_list("pk", flat=True)) == [kept.pk]


def test_uploads_are_fingerprinted_by_their_content(api):
    def upload(content: bytes):
        data = {"name": "import", "file": SimpleUploadedFile("posts.csv", content, "text/csv")}
        return api.post(URL, data, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")

    assert upload(b"a,b\n1,2\n").status_code == 201
    assert upload(b"a,b\n1,2\n")["Idempotent-Replayed"] == "true"
    assert upload(b"a,b\n9,9\n").status_code == 422
    assert len(StartWorkView.calls) == 1
