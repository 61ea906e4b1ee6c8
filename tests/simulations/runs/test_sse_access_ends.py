"""An open SSE stream ends within seconds once its credential stops being valid.

Revoking the stream's token, removing the member who created that token, or removing the
signed-in member who opened it each end the stream with ``reason: access_revoked``; the
poll is 5 s here, so only the access re-check (at least every 2 s) explains it. A stream
opened with a still-valid credential keeps delivering (positive control).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from personas.models import Panel
from simnet.tenancy import services
from simnet.tenancy.models import Membership
from simnet.tenancy.roles import Role
from simulations.models import Run, RunStatus, Scenario
from simulations.runs.events import append_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def slow_polls(settings):
    settings.SIMNET_EVENT_POLL_SECONDS = 5
    settings.SIMNET_SSE_MAX_SECONDS = 60


@pytest.fixture
def run(org_a) -> Run:
    panel = Panel.objects.create(organization=org_a, name="Voters")
    scenario = Scenario.objects.create(organization=org_a, name="Ad test", panel=panel)
    run = Run.objects.create(
        organization=org_a, scenario=scenario, seed=1, total_steps=3, status=RunStatus.RUNNING
    )
    append_event(run, "step.done", {"n": 1})
    return run


class Stream:
    """One open SSE response, read frame by frame."""

    def __init__(self, response):
        self.chunks = aiter(response.streaming_content)
        self.buffer = ""

    async def next_frame(self, timeout: float) -> dict:
        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(anext(self.chunks), timeout)
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self.buffer = self.buffer.split("\n\n", 1)
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" not in fields:  # retry: / keepalive
            return await self.next_frame(timeout)
        return {"event": fields["event"], "data": json.loads(fields["data"])}


async def _open(run, *, token=None, user=None) -> Stream:
    client = AsyncClient()
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    else:
        await sync_to_async(client.force_login)(user)
    response = await client.get(f"/api/v1/runs/{run.pk}/events/stream/", headers=headers)
    assert response.status_code == 200
    return Stream(response)


def _scenario(run, open_ended, open_control, end_access):
    """Open both streams, end the first one's access, return what each got afterwards."""

    async def scenario():
        ended, control = await open_ended(), await open_control()
        assert (await ended.next_frame(5))["data"]["seq"] == 1  # both streams work
        assert (await control.next_frame(5))["data"]["seq"] == 1
        await sync_to_async(end_access)()
        started = time.monotonic()
        last = await ended.next_frame(4)
        waited = time.monotonic() - started
        await sync_to_async(append_event)(run, "step.done", {"n": 2})
        control_frame = await control.next_frame(4)
        return last, waited, control_frame

    return async_to_sync(scenario)()


def _assert_ended_while_control_delivers(last, waited, control_frame):
    assert last == {"event": "stream.end", "data": {"reason": "access_revoked", "last_seq": 1}}
    assert waited < 3.5
    assert control_frame["event"] == "step.done" and control_frame["data"]["seq"] == 2


def test_revoking_a_token_ends_its_stream(run, org_a, owner, api_token_for):
    revoked, kept = api_token_for(org_a, role=Role.VIEWER), api_token_for(org_a, role=Role.VIEWER)
    outcome = _scenario(
        run,
        lambda: _open(run, token=revoked.raw_token),
        lambda: _open(run, token=kept.raw_token),
        lambda: services.api_token_revoke(token=revoked, actor=owner),
    )
    _assert_ended_while_control_delivers(*outcome)


def test_removing_a_member_ends_the_streams_of_the_tokens_they_created(run, org_a, owner, org_admin):
    _, removed_raw = services.api_token_create(
        organization=org_a, actor=org_admin, name="a", role=Role.VIEWER
    )
    _, kept_raw = services.api_token_create(organization=org_a, actor=owner, name="b", role=Role.VIEWER)
    membership = Membership.objects.get(user=org_admin, organization=org_a)
    outcome = _scenario(
        run,
        lambda: _open(run, token=removed_raw),
        lambda: _open(run, token=kept_raw),
        lambda: services.membership_remove(membership=membership, actor=owner),
    )
    _assert_ended_while_control_delivers(*outcome)


def test_removing_a_member_ends_their_session_stream(run, org_a, owner, member, viewer):
    membership = Membership.objects.get(user=member, organization=org_a)
    outcome = _scenario(
        run,
        lambda: _open(run, user=member),
        lambda: _open(run, user=viewer),
        lambda: services.membership_remove(membership=membership, actor=owner),
    )
    _assert_ended_while_control_delivers(*outcome)
