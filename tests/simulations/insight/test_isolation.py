"""Another organization gets 404 on every insight URL that takes an id, and sees none of its data.

tests/simnet/test_isolation.py walks every URL with the same kind of case; this module adds what it
does not check: both methods, a secret marker that must not leak, and that the owner can read.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from tests.factories import BacktestFactory, ExperimentFactory, RunFactory, ScenarioFactory

MARKER = "ISOLATION-SECRET-7f3a"


def _run(t):
    return RunFactory(scenario=ScenarioFactory(organization=t.org_a, name=MARKER), status_reason=MARKER)


def _experiment(t):
    return ExperimentFactory(scenario=ScenarioFactory(organization=t.org_a, name=MARKER), name=MARKER)


def _backtest(t):
    return BacktestFactory(organization=t.org_a, stimulus_text=MARKER, status_reason=MARKER)


CASES: dict[str, Callable] = {
    "run_report": lambda t: {"run_id": _run(t).pk},
    "run_export": lambda t: {"run_id": _run(t).pk, "what": "actions", "fmt": "csv"},
    "experiment_compare": lambda t: {"experiment_id": _experiment(t).pk},
    "backtest_detail": lambda t: {"backtest_id": _backtest(t).pk},
    "api_run_report": lambda t: {"run_id": _run(t).pk},
    "api_run_export": lambda t: {"run_id": _run(t).pk, "what": "posts", "fmt": "jsonl"},
    "api_experiment_comparison": lambda t: {"experiment_id": _experiment(t).pk},
    "api_backtest-detail": lambda t: {"pk": _backtest(t).pk},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_organization_gets_404(name, tenancy, client_for, api_token_for, api_client_for):
    url = reverse(name, kwargs=CASES[name](tenancy))
    if url.startswith("/api/"):
        client = api_client_for(api_token_for(tenancy.org_b, role="admin").raw_token)
    else:
        client = client_for(tenancy.outsider)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        assert MARKER.encode() not in response.content


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_owning_organization_can_read(name, tenancy, client_for, api_token_for, api_client_for):
    url = reverse(name, kwargs=CASES[name](tenancy))
    if url.startswith("/api/"):
        client = api_client_for(api_token_for(tenancy.org_a, role="viewer").raw_token)
    else:
        client = client_for(tenancy.viewer)
    assert client.get(url).status_code == 200


def test_lists_show_only_the_callers_backtests(tenancy, client_for, api_token_for, api_client_for):
    _backtest(tenancy)
    page = client_for(tenancy.outsider).get(reverse("backtest_list"))
    assert (
        page.status_code == 200 and MARKER.encode() not in page.content and b"No backtest yet" in page.content
    )
    api = api_client_for(api_token_for(tenancy.org_b, role="admin").raw_token).get(
        reverse("api_backtest-list")
    )
    assert api.status_code == 200 and api.json()["results"] == []


def _imported_account(t):
    """An imported account of organization A with enough posts with counts to forecast."""
    from datetime import UTC, datetime, timedelta

    from personas.models import HistoryItem, Persona, SourceAccount

    account = SourceAccount.objects.create(organization=t.org_a, platform="demo", platform_id="1", handle=MARKER)
    Persona.objects.create(organization=t.org_a, handle=MARKER, origin="imported", source_account=account)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    HistoryItem.objects.bulk_create(
        HistoryItem(
            organization=t.org_a, account=account, platform_id=str(i), kind="post", text=f"{MARKER} post {i}",
            created_at=start + timedelta(hours=7 * i), like_count=10 + i % 7, repost_count=i % 3,
            reply_count=i % 2, quote_count=0,
        )
        for i in range(40)
    )  # fmt: skip
    return account


def test_forecasts_read_only_the_callers_accounts(tenancy, client_for, api_token_for, api_client_for):
    account = _imported_account(tenancy)
    url = reverse("api_forecast")
    owner = api_client_for(api_token_for(tenancy.org_a, role="owner").raw_token)
    assert owner.post(url, {"account": account.pk, "text": "hello"}, format="json").status_code == 200
    outsider = api_client_for(api_token_for(tenancy.org_b, role="admin").raw_token)
    for body in ({"account": account.pk, "text": "hello"}, {"handle": MARKER, "text": "hello"}):
        response = outsider.post(url, body, format="json")
        assert response.status_code == 404 and MARKER.encode() not in response.content
    query = {"prefix": "stimuli-0", "stimuli-0-author": MARKER, "stimuli-0-text": "hello"}
    assert "Forecast for" in client_for(tenancy.owner).get(reverse("scenario_forecast"), query).content.decode()
    cell = client_for(tenancy.outsider).get(reverse("scenario_forecast"), query)
    assert cell.status_code == 200 and MARKER.encode() not in cell.content and b"Forecast" not in cell.content
