"""How a run event is written on the wire: JSON for programs, an HTML fragment for HTMX.

An HTML frame is a set of out-of-band swaps for the run room (templates/simulations/events/):
the ``#run-seq`` marker carrying the event's sequence number (what a reconnecting browser
resyncs from), then what the event changes: a post placed in its thread, counters, the
status badge, the progress panel, the meeting and its minutes, a line in the activity list.
"""

from __future__ import annotations

import json

from django.template.loader import render_to_string

from simulations.models import RunEvent
from simulations.runs.room import fragment_context


def event_json(event: RunEvent) -> dict:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
    }


def render_event(event: RunEvent, *, as_html: bool) -> str:
    """JSON text, or the run room's out-of-band HTML swaps for this kind of event."""
    if not as_html:
        return json.dumps(event_json(event))
    context = {"event": event, "data": event.payload, **fragment_context(event)}
    return render_to_string("simulations/events/event.html", context)
