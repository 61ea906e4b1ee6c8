"""An event written by another process reaches a websocket client of this (web) process.

Embedded mode: the worker's channel-layer wake-up cannot cross processes, so the consumer
finds the event by polling the event table. Redis mode: channels-redis carries the wake-up,
which we prove by making polling too slow to explain the delivery.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from personas.models import Panel
from simnet.asgi import application
from simnet.tenancy.models import Membership, Organization, User
from simulations.models import Run, Scenario
from tests.support.subprocess_env import run_django_code

pytestmark = pytest.mark.django_db(transaction=True)


def _org_with_run(name: str):
    org = Organization.objects.create(name=name, slug=name.lower())
    user = User.objects.create_user(f"{name.lower()}@example.com", "a-long-password-1")
    Membership.objects.create(user=user, organization=org, role="member")
    panel = Panel.objects.create(organization=org, name="P")
    scenario = Scenario.objects.create(organization=org, name="S", panel=panel)
    run = Run.objects.create(organization=org, scenario=scenario, seed=1, total_steps=3)
    return user, run


def _session_headers(user, origin: str = "http://testserver"):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", origin.encode())]


def _write_event_in_subprocess(run_id: int, kind: str) -> None:
    run_django_code(
        "from simulations.models import Run\n"
        "from simulations.runs.events import append_event\n"
        f"append_event(Run.unscoped.get(pk={run_id}), {kind!r}, {{'from': 'worker'}})\n"
    )


async def _receive_json(communicator, timeout: float) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def _connect(path: str, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


def _exchange(user, run, *, after: int, timeout: float):
    headers = _session_headers(user)

    async def scenario():
        communicator, connected = await _connect(f"/ws/runs/{run.pk}/?after={after}", headers)
        assert connected
        await asyncio.get_running_loop().run_in_executor(None, _write_event_in_subprocess, run.pk, "step.done")
        message = await _receive_json(communicator, timeout)
        await communicator.disconnect()
        return message

    return asyncio.run(scenario())


@override_settings(SIMNET_EVENT_POLL_SECONDS=0.2)
@pytest.mark.slow  # a writer in another process
def test_event_from_subprocess_reaches_websocket_by_polling():
    user, run = _org_with_run("Acme")
    message = _exchange(user, run, after=0, timeout=10)
    assert message["seq"] == 1 and message["kind"] == "step.done" and message["payload"] == {"from": "worker"}


@pytest.mark.slow  # a writer in another process
def test_reconnecting_client_resyncs_from_its_last_sequence():
    user, run = _org_with_run("Acme")
    for kind in ("a", "b", "c"):
        _write_event_in_subprocess(run.pk, kind)
    headers = _session_headers(user)

    async def scenario():
        communicator, connected = await _connect(f"/ws/runs/{run.pk}/?after=1", headers)
        assert connected
        got = [await _receive_json(communicator, 5), await _receive_json(communicator, 5)]
        await communicator.disconnect()
        return got

    got = asyncio.run(scenario())
    assert [(m["seq"], m["kind"]) for m in got] == [(2, "b"), (3, "c")]


@pytest.mark.parametrize("who", ["anonymous", "other_org", "bad_origin"])
def test_unauthorised_connections_are_closed_without_a_frame(who):
    user, run = _org_with_run("Acme")
    outsider, _ = _org_with_run("Beta")
    headers = {
        "anonymous": [(b"origin", b"http://testserver")],
        "other_org": _session_headers(outsider),
        "bad_origin": _session_headers(user, origin="http://evil.example"),
    }[who]

    async def scenario():
        communicator, connected = await _connect(f"/ws/runs/{run.pk}/", headers)
        nothing = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return connected, nothing

    connected, nothing = asyncio.run(scenario())
    assert connected is False and nothing is True


@pytest.mark.redis
@override_settings(SIMNET_EVENT_POLL_SECONDS=60)
def test_redis_layer_wakes_consumer_across_processes():
    from django.conf import settings

    if "redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower():
        pytest.skip("REDIS_URL not set: run via scripts/test_all.sh, which starts redis-server")
    user, run = _org_with_run("Acme")
    message = _exchange(user, run, after=0, timeout=10)  # far below the 60 s poll: the wake-up did it
    assert message["kind"] == "step.done"
