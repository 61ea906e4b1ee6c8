"""Server-sent events of a run: resync after Last-Event-ID / ?after=, end on a final status, tenancy."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from personas.models import Panel
from simulations.models import Run, RunStatus, Scenario
from simulations.runs.events import append_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_polls(settings):
    settings.SIMNET_EVENT_POLL_SECONDS = 0.01
    settings.SIMNET_SSE_MAX_SECONDS = 0.05


def make_run(organization, *, kinds=("step.done", "action", "step.done"), status=RunStatus.COMPLETED) -> Run:
    panel = Panel.objects.create(organization=organization, name="Voters")
    scenario = Scenario.objects.create(organization=organization, name="Ad test", panel=panel)
    run = Run.objects.create(
        organization=organization, scenario=scenario, seed=1, total_steps=3, status=status
    )
    for number, kind in enumerate(kinds, start=1):
        append_event(run, kind, {"n": number})
    return run


def url(run: Run) -> str:
    return f"/api/v1/runs/{run.pk}/events/stream/"


def stream(client: AsyncClient, path: str, **headers) -> tuple[int, dict, str]:
    """Status, headers and the whole body (the stream ends by itself in these tests)."""
    headers = {**getattr(client, "auth_headers", {}), **headers}

    async def read():
        response = await client.get(path, headers=headers)
        if not response.streaming:
            return response.status_code, response.headers, response.content.decode()
        chunks = [chunk async for chunk in response.streaming_content]
        return (
            response.status_code,
            response.headers,
            b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in chunks).decode(),
        )

    return async_to_sync(read)()


def frames(body: str) -> list[dict]:
    parsed = []
    for block in body.strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":")
        )
        if "event" in fields:
            parsed.append({**fields, "data": json.loads(fields["data"])})
    return parsed


def token_client(api_token_for, organization) -> AsyncClient:
    """AsyncClient's constructor headers do not reach ASGI requests; ``stream`` sends these per request."""
    client = AsyncClient()
    client.auth_headers = {"Authorization": f"Bearer {api_token_for(organization, role='viewer').raw_token}"}
    return client


def test_streams_events_after_last_event_id_then_ends_for_a_final_run(api_token_for, org_a):
    run = make_run(org_a)
    status, headers, body = stream(token_client(api_token_for, org_a), url(run), **{"Last-Event-ID": "1"})
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    assert headers["Cache-Control"] == "no-cache"
    got = frames(body)
    assert [(frame.get("id"), frame["event"]) for frame in got] == [
        ("2", "action"),
        ("3", "step.done"),
        (None, "stream.end"),
    ]
    assert got[0]["data"]["payload"] == {"n": 2} and got[0]["data"]["seq"] == 2
    assert got[-1]["data"] == {"reason": "run_finished", "last_seq": 3}
    assert body.startswith("retry: ")


def test_after_query_parameter_works_and_the_header_wins(api_token_for, org_a):
    run = make_run(org_a)
    client = token_client(api_token_for, org_a)
    _, _, by_query = stream(client, url(run) + "?after=2")
    _, _, header_wins = stream(client, url(run) + "?after=0", **{"Last-Event-ID": "2"})
    assert [frame.get("id") for frame in frames(by_query)] == ["3", None]
    assert [frame.get("id") for frame in frames(header_wins)] == ["3", None]


def test_a_running_run_streams_until_the_max_duration(api_token_for, org_a):
    run = make_run(org_a, kinds=("step.done",), status=RunStatus.RUNNING)
    _, _, body = stream(token_client(api_token_for, org_a), url(run))
    got = frames(body)
    assert [frame["event"] for frame in got] == ["step.done", "stream.end"]
    assert got[-1]["data"] == {"reason": "max_duration", "last_seq": 1}


def test_a_signed_in_member_may_stream(client_for, member, org_a):
    run = make_run(org_a)
    client = AsyncClient()
    client.force_login(member)
    status, _, body = stream(client, url(run))
    assert status == 200 and [frame.get("id") for frame in frames(body)] == ["1", "2", "3", None]


def test_another_organizations_run_is_404(api_token_for, org_a, org_b):
    run = make_run(org_a)
    status, _, body = stream(token_client(api_token_for, org_b), url(run))
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    assert "step.done" not in body


def test_another_organizations_member_gets_404_too(outsider, org_a):
    run = make_run(org_a)
    client = AsyncClient()
    client.force_login(outsider)
    assert stream(client, url(run))[0] == 404


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "not_authenticated"), ({"Authorization": "Bearer snt_wrong"}, "authentication_failed")],
)
def test_without_valid_credentials_it_is_401(org_a, headers, code):
    run = make_run(org_a)
    status, response_headers, body = stream(AsyncClient(), url(run), **headers)
    assert status == 401 and response_headers["WWW-Authenticate"] == "Bearer"
    assert json.loads(body)["error"]["code"] == code


def test_a_malformed_cursor_is_400(api_token_for, org_a):
    run = make_run(org_a)
    status, _, body = stream(token_client(api_token_for, org_a), url(run), **{"Last-Event-ID": "abc"})
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_cursor"


def test_a_wrong_method_is_405_only_after_the_run_was_found(api_token_for, org_a, org_b):
    run = make_run(org_a)

    async def post(client):
        return await client.post(url(run), headers=client.auth_headers)

    own = async_to_sync(post)(token_client(api_token_for, org_a))
    foreign = async_to_sync(post)(token_client(api_token_for, org_b))
    assert (own.status_code, own["Allow"]) == (405, "GET")
    assert foreign.status_code == 404
