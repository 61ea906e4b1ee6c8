"""How a run event is written on the wire: JSON for programs, an HTML fragment for HTMX."""

from __future__ import annotations

import json

from django.template.loader import render_to_string

from .models import RunEvent


def event_json(event: RunEvent) -> dict:
    return {"seq": event.seq, "kind": event.kind, "payload": event.payload, "at": event.created_at.isoformat()}


def render_event(event: RunEvent, *, as_html: bool) -> str:
    """JSON text, or the run room's out-of-band HTML swap for this kind of event."""
    if not as_html:
        return json.dumps(event_json(event))
    return render_to_string("simulations/events/event.html", {"event": event, "data": event.payload})
