"""An open run-events websocket closes within seconds once its user's membership ends.

The consumer re-checks the membership at least every ACCESS_RECHECK_SECONDS, whatever the
poll interval: here the poll is 5 s, so only the re-check can close the socket in time.
A colleague's socket on the same run keeps delivering (positive control).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from personas.models import Panel
from simnet.asgi import application
from simnet.tenancy import services
from simnet.tenancy.models import Membership, Organization, User
from simnet.tenancy.roles import Role
from simulations.models import Run, Scenario
from simulations.runs.consumers import CLOSE_ACCESS_ENDED
from simulations.runs.events import append_event

pytestmark = pytest.mark.django_db(transaction=True)


def _person(organization, email: str, role: str):
    user = User.objects.create_user(email, "a-long-password-1")
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def _session_headers(user):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver")]


async def _open(run, headers):
    communicator = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _seq(communicator) -> int:
    return json.loads(await communicator.receive_from(timeout=5))["seq"]


@override_settings(SIMNET_EVENT_POLL_SECONDS=5)
def test_a_removed_members_websocket_closes_and_a_colleagues_keeps_delivering():
    organization = Organization.objects.create(name="Acme", slug="acme")
    owner = _person(organization, "owner@acme.example", Role.OWNER)
    leaving = _person(organization, "leaving@acme.example", Role.MEMBER)
    staying = _person(organization, "staying@acme.example", Role.MEMBER)
    panel = Panel.objects.create(organization=organization, name="P")
    run = Run.objects.create(
        organization=organization, scenario=Scenario.objects.create(organization=organization, name="S", panel=panel),
        seed=1, total_steps=3,
    )  # fmt: skip
    append_event(run, "step.done", {"n": 1})
    leaving_headers, staying_headers = _session_headers(leaving), _session_headers(staying)

    @database_sync_to_async
    def remove_leaving():
        membership = Membership.objects.get(user=leaving, organization=organization)
        services.membership_remove(membership=membership, actor=owner)

    async def scenario():
        removed, colleague = await _open(run, leaving_headers), await _open(run, staying_headers)
        assert (await _seq(removed), await _seq(colleague)) == (1, 1)  # both streams work
        await remove_leaving()
        started = time.monotonic()
        closed = await removed.receive_output(timeout=4)
        waited = time.monotonic() - started
        await database_sync_to_async(append_event)(run, "step.done", {"n": 2})
        colleague_seq = await _seq(colleague)
        nothing_more = await removed.receive_nothing(timeout=0.5)
        await colleague.disconnect()
        return closed, waited, colleague_seq, nothing_more

    closed, waited, colleague_seq, nothing_more = asyncio.run(scenario())
    assert closed == {"type": "websocket.close", "code": CLOSE_ACCESS_ENDED}
    assert waited < 3.5
    assert colleague_seq == 2 and nothing_more
