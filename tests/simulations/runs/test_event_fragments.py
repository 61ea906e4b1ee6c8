"""Live fragments: every event kind renders, and every out-of-band swap finds its target.

The run room is painted first, then every later event's fragment is checked against the ids on
the page plus those added by earlier fragments: htmx logs an error for a swap without a target,
so this is what keeps the live page free of console errors.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from simnet.llm.base import LLMResponse
from simulations.models import Run, RunEvent
from simulations.runs import stepper
from simulations.runs.event_render import render_event
from simulations.runs.services import run_inject, run_start
from tests.simulations.runs.html import collect, inserted_ids, oob_targets
from tests.support.runs import drive

pytestmark = pytest.mark.django_db


def _replay(page_html: str, events) -> set[str]:
    """Apply fragments in order; fail on a swap whose target would be missing. Returns the kinds."""
    known = set(collect(page_html).ids)
    kinds = set()
    for event in events:
        fragment = render_event(event, as_html=True)
        assert f'id="run-seq" data-seq="{event.seq}"' in fragment
        missing = [t for t in oob_targets(fragment) if t not in known]
        assert not missing, f"{event.kind} #{event.seq} swaps into missing {missing}"
        known.update(inserted_ids(fragment))
        kinds.add(event.kind)
    return kinds


def test_feed_run_fragments_all_find_their_targets(started_run, member_client, tenancy, fake_provider_env):
    from personas.models import Persona

    broken = Persona.objects.for_org(tenancy.org_a).get(handle="p2")
    fake_provider_env(error_for=[str(broken.pk)])
    page = member_client.get(reverse("run_detail", args=[started_run.pk])).content.decode()
    first_paint_seq = Run.unscoped.get(pk=started_run.pk).last_event_seq
    drive(started_run, steps=1)
    run_inject(run=started_run, actor=tenancy.member, text="Injected while live", author_handle="you")
    drive(started_run)
    events = RunEvent.objects.filter(run=started_run, seq__gt=first_paint_seq).order_by("seq")
    kinds = _replay(page, events)
    assert {"post", "counters", "progress", "status", "step_done", "agent_errors", "injected"} <= kinds


class RepliesToTheFirstItem:
    """Every agent replies to the first item of its feed (the fake provider's choices follow row
    ids, so whether its run holds a reply depends on the database)."""

    name, model = "scripted", "replies"

    def generate(self, requests):
        answer = {"action": "reply", "target": "P1", "text": "Not for me.", "reason": "scripted"}
        return [LLMResponse(r.key, json.dumps(answer), data=answer) for r in requests]


def test_reply_fragment_goes_into_its_parents_thread(started_run, monkeypatch):
    monkeypatch.setattr(stepper, "policy_provider", lambda run, **kwargs: RepliesToTheFirstItem())
    finished_run = drive(started_run)
    reply = next(e for e in RunEvent.objects.filter(run=finished_run, kind="post") if e.payload["parent_key"])
    fragment = render_event(reply, as_html=True)
    assert f'hx-swap-oob="beforeend:#thread-{reply.payload["parent_key"]}"' in fragment
    assert f'id="post-{reply.payload["post_key"]}"' in fragment
    assert f'id="thread-{reply.payload["post_key"]}"' in fragment  # so its own replies can follow


def test_root_post_fragment_goes_into_the_feed_with_an_avatar(finished_run):
    root = next(
        e for e in RunEvent.objects.filter(run=finished_run, kind="post") if not e.payload["parent_key"]
    )
    fragment = render_event(root, as_html=True)
    assert 'hx-swap-oob="beforeend:#feed"' in fragment
    assert "<svg" in fragment and "<circle" in fragment and "style=" not in fragment
    persona_post = next(
        e for e in RunEvent.objects.filter(run=finished_run, kind="post") if e.payload["author_key"].isdigit()
    )
    persona_page = f"/panels/{finished_run.scenario.panel_id}/personas/{persona_post.payload['author_key']}/"
    assert f'href="{persona_page}"' in render_event(persona_post, as_html=True)


def test_counters_status_and_progress_fragments_replace_by_id(finished_run):
    counters = RunEvent.objects.filter(run=finished_run, kind="counters").first()
    fragment = render_event(counters, as_html=True)
    for post in counters.payload["posts"]:
        assert f'id="counters-{post["post_key"]}"' in fragment
        assert f"♥ {post['likes']}" in fragment
    status = RunEvent.objects.filter(run=finished_run, kind="status").last()
    fragment = render_event(status, as_html=True)
    assert 'id="run-status"' in fragment and 'data-status="completed"' in fragment
    progress = RunEvent.objects.filter(run=finished_run, kind="progress").last()
    fragment = render_event(progress, as_html=True)
    assert 'id="run-progress"' in fragment and 'hx-swap-oob="true"' in fragment
    assert f"{progress.payload['next_step']} / {progress.payload['total_steps']}" in fragment


def test_roundtable_fragments_find_their_targets_and_end_with_minutes(
    roundtable_scenario, tenancy, member_client
):
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=roundtable_scenario)[0]
    page = member_client.get(reverse("run_detail", args=[run.pk])).content.decode()
    first_paint_seq = Run.unscoped.get(pk=run.pk).last_event_seq
    run = drive(run)
    events = list(RunEvent.objects.filter(run=run, seq__gt=first_paint_seq).order_by("seq"))
    kinds = _replay(page, events)
    assert {"post", "meeting", "step_done", "status"} <= kinds
    last_meeting = [e for e in events if e.kind == "meeting"][-1]
    fragment = render_event(last_meeting, as_html=True)
    assert 'id="minutes"' in fragment and "Minutes" in fragment
    assert 'id="meeting-phase"' in fragment


def test_unknown_kind_renders_an_activity_line(started_run):
    from simulations.runs.events import append_event

    event = append_event(started_run, "something_new", {"x": 1})
    fragment = render_event(event, as_html=True)
    assert 'hx-swap-oob="afterbegin:#activity"' in fragment and "something_new" in fragment


def test_json_frames_are_unchanged(started_run):
    event = RunEvent.objects.filter(run=started_run).first()
    assert json.loads(render_event(event, as_html=False))["kind"] == event.kind


def test_post_text_is_escaped_in_fragments(finished_run):
    event = RunEvent.objects.filter(run=finished_run, kind="post").first()
    event.payload = {**event.payload, "text": "<script>alert(1)</script>", "author_handle": "<b>x</b>"}
    fragment = render_event(event, as_html=True)
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment
    assert "<b>x</b>" not in fragment


def test_live_transcript_lines_match_the_first_paint_votes_included(
    roundtable_scenario, tenancy, member_client
):
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=roundtable_scenario)[0])
    page = member_client.get(reverse("run_detail", args=[run.pk])).content.decode()

    def line(html: str, key: str) -> str:
        return re.search(rf'<li id="post-{re.escape(key)}".*?</li>', html, re.DOTALL).group(0)

    posts = RunEvent.objects.filter(run=run, kind="post").order_by("seq")
    assert posts.exists()
    for event in posts:
        key = event.payload["post_key"]
        assert line(render_event(event, as_html=True), key) == line(page, key)
    assert 'class="badge vote-' in page  # the vote lines, with their positions, were compared too
