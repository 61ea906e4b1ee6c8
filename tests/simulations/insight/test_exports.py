"""Exports download as files that read back, with analysis.exports, into the run's own records."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from simulations.analysis.exports import load_records
from simulations.analysis.metrics import EngagementCounts
from simulations.analysis.records import ActionRecord, PostRecord
from simulations.analysis.sentiment import ResponseRow
from simulations.insight import reports
from tests.factories import ScenarioFactory
from tests.support import peloton
from tests.support.run_rows import make_panel, store_fixture

RECORD_TYPES = {
    "actions": ActionRecord,
    "posts": PostRecord,
    "metrics": EngagementCounts,
    "responses": ResponseRow,
}


@pytest.fixture
def run(org_a):
    panel, personas = make_panel(org_a)
    return store_fixture(peloton.backlash_run(), ScenarioFactory(organization=org_a, panel=panel), personas)


def _read_back(tmp_path, response, name: str, record_type: type) -> list:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    path = tmp_path / name
    path.write_bytes(body)
    return load_records(path, record_type)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("what", ["actions", "posts", "metrics", "responses"])
def test_downloads_round_trip(what, fmt, run, viewer_client, tmp_path):
    response = viewer_client.get(reverse("run_export", kwargs={"run_id": run.pk, "what": what, "fmt": fmt}))
    assert response.status_code == 200
    name = f"run-{run.pk}-{what}.{fmt}"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    records = _read_back(tmp_path, response, name, RECORD_TYPES[what])
    expected = reports.run_records(run)
    report = reports.build_run_report(run)
    if what == "actions":
        assert records == list(expected.actions)
    elif what == "posts":
        assert records == list(expected.posts)
    elif what == "responses":
        assert [(r.post_id, r.sentiment, r.stance) for r in records] == [
            (label.post_id, label.sentiment, label.stance) for label in report.responses
        ]
        assert any(r.reasons.startswith("VADER compound") for r in records)
        assert {r.author_handle for r in records} <= {p.handle for p in peloton.panel(40)}
    else:
        assert records[:-1] == list(report.steps) and records[-1] == report.totals


def test_api_export_matches_the_page_export(
    run, api_token_for, api_client_for, viewer_client, org_a, tmp_path
):
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    kwargs = {"run_id": run.pk, "what": "actions", "fmt": "parquet"}
    api = client.get(reverse("api_run_export", kwargs=kwargs))
    page = viewer_client.get(reverse("run_export", kwargs=kwargs))
    assert api.status_code == 200 and api["Content-Type"] == "application/vnd.apache.parquet"
    assert _read_back(tmp_path, api, "a.parquet", ActionRecord) == _read_back(
        tmp_path, page, "b.parquet", ActionRecord
    )


def test_unknown_exports_are_not_found(run, viewer_client, api_token_for, api_client_for, org_a):
    for kwargs in ({"what": "actions", "fmt": "xlsx"}, {"what": "secrets", "fmt": "csv"}):
        url = reverse("run_export", kwargs={"run_id": run.pk, **kwargs})
        assert viewer_client.get(url).status_code == 404
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    url = reverse("api_run_export", kwargs={"run_id": run.pk, "what": "actions", "fmt": "xlsx"})
    assert client.get(url).status_code == 404


def test_actions_csv_names_the_agent_and_the_target_by_handle(
    run, viewer_client, api_token_for, api_client_for, org_a
):
    kwargs = {"run_id": run.pk, "what": "actions", "fmt": "csv"}
    page = viewer_client.get(reverse("run_export", kwargs=kwargs))
    rows = list(csv.DictReader(io.StringIO(page.content.decode())))
    records = reports.run_records(run)
    authors = {p.post_id: p.author_id for p in records.posts}
    handles = {p.persona_id: p.handle for p in records.personas}
    assert len(rows) == len(records.actions)
    for row, action in zip(rows, records.actions, strict=True):
        assert row["agent_handle"] == handles[action.persona_id]
        target = action.target_persona_id or authors.get(action.target_post_id or "")
        assert row["target_handle"] == records.handles.get(target, "")
    liked = [r for r in rows if r["action"] == "like"]
    assert liked and all(r["target_handle"] for r in liked)
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    assert client.get(reverse("api_run_export", kwargs=kwargs)).content == page.content
