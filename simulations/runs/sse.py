"""Server-sent events of one run, for programs (the websocket's contract over plain HTTP).

    GET /api/v1/runs/<id>/events/stream/      Authorization: Bearer snt_…   (or a session)
    Last-Event-ID: 41                         (or ?after=41; the header wins, as EventSource resends it)

    id: 42
    event: step.done
    data: {"seq": 42, "kind": "step.done", "payload": {...}, "at": "..."}

Every event after the cursor is sent in order (``id`` is the run's gap-free sequence
number), then the event table is polled every SIMNET_EVENT_POLL_SECONDS. The stream ends
with ``event: stream.end`` (no id) once the run is in a final status and everything was
sent, or after SIMNET_SSE_MAX_SECONDS (default 15 min); clients then reconnect with
``Last-Event-ID`` and miss nothing. A run of another organization is a 404.

The credential is re-checked on every poll, at least every ACCESS_RECHECK_SECONDS: once
the token is revoked or the session's user is no longer a member, the stream ends with
``event: stream.end`` and ``{"reason": "access_revoked"}`` (a reconnect then gets 401/404).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from rest_framework import exceptions
from rest_framework.request import Request

from simnet.api.exceptions import error_body
from simnet.tenancy.api_auth import ApiTokenAuthentication
from simnet.tenancy.models import Organization
from simnet.tenancy.selectors import ACCESS_RECHECK_SECONDS, api_token_allows_read, membership_allows_read
from simulations.models import FINAL_STATUSES, Run
from simulations.runs.event_render import event_json
from simulations.runs.events import events_after

KEEPALIVE_SECONDS = 15.0
RECONNECT_MILLISECONDS = 3000
CURSOR_HEADER = "Last-Event-ID"


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@dataclass(frozen=True)
class _Caller:
    """Who opened the stream: an API token or a signed-in member, of one organization."""

    organization: Organization
    token_id: int | None = None
    user_id: int | None = None

    def still_allowed(self) -> bool:
        if self.token_id is not None:
            return api_token_allows_read(token_id=self.token_id, organization_id=self.organization.pk)
        return membership_allows_read(user_id=self.user_id, organization_id=self.organization.pk)


def _caller_of(request) -> _Caller | None:
    """The caller: from an API token (the DRF authenticator's own parsing), else the session."""
    authenticated = ApiTokenAuthentication().authenticate(Request(request))
    if authenticated is not None:
        token = authenticated[1]
        return _Caller(organization=token.organization, token_id=token.pk)
    organization = getattr(request, "organization", None)
    if organization is None:
        return None
    return _Caller(organization=organization, user_id=request.user.pk)


def _run_in(organization, run_id: int) -> Run | None:
    return Run.objects.for_org(organization).filter(pk=run_id).only("id", "organization_id", "status").first()


def _cursor(request) -> int:
    raw = request.headers.get(CURSOR_HEADER) or request.GET.get("after") or "0"
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _poll(run: Run, after: int) -> tuple[list[tuple[int, str, str]], bool]:
    """Events after ``after`` and whether the run was already final *before* they were read."""
    status = Run.objects.filter(organization_id=run.organization_id, pk=run.pk).values_list(
        "status", flat=True
    )
    finished = status.first() in (None, *FINAL_STATUSES)
    frames = [(event.seq, event.kind, json.dumps(event_json(event))) for event in events_after(run, after)]
    return frames, finished


def _frame(event: str, data: str, event_id: int | None = None) -> str:
    lines = [] if event_id is None else [f"id: {event_id}"]
    lines += [f"event: {event.replace(chr(10), ' ').replace(chr(13), ' ')}", f"data: {data}"]
    return "\n".join(lines) + "\n\n"


async def event_stream(
    run: Run,
    after: int,
    *,
    poll_seconds: float,
    max_seconds: float,
    still_allowed: Callable[[], bool],
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """SSE text for ``run`` from sequence ``after`` on; see the module docstring for when it ends."""
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    started = last_sent = clock()
    while True:
        if not await sync_to_async(still_allowed)():
            yield _frame("stream.end", json.dumps({"reason": "access_revoked", "last_seq": after}))
            return
        frames, finished = await sync_to_async(_poll)(run, after)
        for seq, kind, data in frames:
            yield _frame(kind, data, seq)
            after = seq
        if frames:
            last_sent = clock()
            continue  # drain everything before looking at the status or the clock again
        if finished:
            yield _frame("stream.end", json.dumps({"reason": "run_finished", "last_seq": after}))
            return
        if clock() - started >= max_seconds:
            yield _frame("stream.end", json.dumps({"reason": "max_duration", "last_seq": after}))
            return
        if clock() - last_sent >= KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = clock()
        await asyncio.sleep(min(poll_seconds, ACCESS_RECHECK_SECONDS))


async def run_events_stream(request, run_id: int) -> HttpResponse:
    try:
        caller = await sync_to_async(_caller_of)(request)
    except exceptions.AuthenticationFailed as exc:
        return _error(401, "authentication_failed", str(exc.detail), WWW_Authenticate="Bearer")
    if caller is None:
        return _error(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            WWW_Authenticate="Bearer",
        )
    run = await sync_to_async(_run_in)(caller.organization, run_id)
    if run is None:
        return _error(404, "not_found", "Not found.")
    if request.method != "GET":  # after the lookup: another organization's run is a 404 whatever the method
        return _error(405, "method_not_allowed", f'Method "{request.method}" not allowed.', Allow="GET")
    try:
        after = _cursor(request)
    except ValueError:
        return _error(
            400, "invalid_cursor", f"{CURSOR_HEADER} and ?after= must be a sequence number (0 or more)."
        )
    stream = event_stream(
        run,
        after,
        poll_seconds=settings.SIMNET_EVENT_POLL_SECONDS,
        max_seconds=settings.SIMNET_SSE_MAX_SECONDS,
        still_allowed=caller.still_allowed,
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
