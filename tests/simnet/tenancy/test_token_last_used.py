"""``last_used_at`` is written at most once a minute and never fails the request it describes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from simnet.tenancy.models import ApiToken

pytestmark = pytest.mark.django_db


def _token_updates(queries) -> list[str]:
    table = ApiToken._meta.db_table
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and table in q["sql"]]


def _get(api_client_for, token):
    return api_client_for(token.raw_token).get(reverse("api_organization"))


def test_two_requests_within_a_minute_write_once(org_a, api_token_for, api_client_for):
    token = api_token_for(org_a)
    with CaptureQueriesContext(connection) as queries:
        assert _get(api_client_for, token).status_code == 200
        assert _get(api_client_for, token).status_code == 200
    assert len(_token_updates(queries.captured_queries)) == 1
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(("seconds_ago", "writes"), [(45, 0), (61, 1)])
def test_a_use_is_recorded_only_once_the_last_one_is_a_minute_old(
    org_a, api_token_for, api_client_for, seconds_ago, writes
):
    token = api_token_for(org_a)
    earlier = timezone.now() - timedelta(seconds=seconds_ago)
    ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=earlier)
    with CaptureQueriesContext(connection) as queries:
        assert _get(api_client_for, token).status_code == 200
    assert len(_token_updates(queries.captured_queries)) == writes
    token.refresh_from_db()
    assert (token.last_used_at > earlier) is bool(writes)


def test_a_locked_database_on_that_write_still_answers_200(org_a, api_token_for, api_client_for, caplog):
    token = api_token_for(org_a)
    refused = []

    def locked_for_token_updates(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and ApiToken._meta.db_table in sql:
            refused.append(sql)
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(locked_for_token_updates):
        response = _get(api_client_for, token)
    assert refused, "the fault never reached the last_used_at update"
    assert response.status_code == 200 and response.json()["name"] == "Organization A"
    assert "Could not record the use of API token" in caplog.text
    token.refresh_from_db()
    assert token.last_used_at is None
