"""Websocket stream of a run's events, with resync from the client's last sequence number.

The database is the source of truth. The consumer sends every event after ``?after=N``,
then waits to be woken through the channel layer (instant with channels-redis) or polls
(every SIMNET_EVENT_POLL_SECONDS), which is what carries events written by a worker in
another process when the in-memory layer is used.

Anonymous users and users outside the run's organization are closed before the
handshake completes, so they receive no frame at all. Bad Origins never get here
(AllowedHostsOriginValidator in asgi.py). An open connection re-checks the membership on
every wake-up and at least every ACCESS_RECHECK_SECONDS, and closes (code 4403) once the
user was removed, so access ends with the membership, not with the socket.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from simnet.tenancy.models import Membership
from simnet.tenancy.selectors import ACCESS_RECHECK_SECONDS, membership_allows_read
from simulations.models import Run
from simulations.runs.event_render import render_event
from simulations.runs.events import events_after, group_name


def _after_from_query(scope) -> int:
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        return max(0, int(params.get("after", ["0"])[0]))
    except ValueError:
        return 0


@database_sync_to_async
def _run_for_member(user, run_id: int) -> Run | None:
    run = Run.unscoped.filter(pk=run_id).only("id", "organization_id").first()
    if run is None or not Membership.objects.filter(user=user, organization_id=run.organization_id).exists():
        return None
    return run


CLOSE_ACCESS_ENDED = 4403  # application close code: the membership ended while connected


@database_sync_to_async
def _still_member(user, run: Run) -> bool:
    return membership_allows_read(user_id=user.pk, organization_id=run.organization_id)


@database_sync_to_async
def _rendered_events_after(run: Run, after: int, as_html: bool) -> list[tuple[int, str]]:
    return [(event.seq, render_event(event, as_html=as_html)) for event in events_after(run, after)]


class RunEventsConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        self.run = await _run_for_member(user, int(self.scope["url_route"]["kwargs"]["run_id"]))
        if self.run is None:
            await self.close()
            return
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.as_html = params.get("format", ["json"])[0] == "html"
        self.last_seq = _after_from_query(self.scope)
        self.wake = asyncio.Event()
        self.group = group_name(self.run.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.pump = asyncio.create_task(self._pump())

    async def disconnect(self, code):
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.cancel()
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """A client may send {"after": N} to resync after it noticed a gap."""
        try:
            message = json.loads(text_data or "{}")
            self.last_seq = max(0, int(message.get("after", self.last_seq)))
        except (ValueError, TypeError, AttributeError):
            return
        self.wake.set()

    async def run_wake(self, message):
        self.wake.set()

    async def _pump(self):
        wait = min(settings.SIMNET_EVENT_POLL_SECONDS, ACCESS_RECHECK_SECONDS)
        while True:
            if not await _still_member(self.scope["user"], self.run):
                await self.close(code=CLOSE_ACCESS_ENDED)
                return
            for seq, frame in await _rendered_events_after(self.run, self.last_seq, self.as_html):
                await self.send(text_data=frame)
                self.last_seq = seq
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=wait)
            except TimeoutError:
                pass
