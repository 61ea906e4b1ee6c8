"""Each post in the run room says, folded away, why its author wrote it (the decision's reason)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simulations.models import RunAction, RunEvent, RunPost
from simulations.runs.event_render import render_event

pytestmark = pytest.mark.django_db

REASON = '<b>Too pricey</b> for "me"'
ESCAPED = "<summary>Why</summary>&lt;b&gt;Too pricey&lt;/b&gt; for &quot;me&quot;"


@pytest.fixture
def explained(finished_run):
    """The run's first written post, its author's reason holding markup; the other reasons emptied."""
    action = (
        RunAction.objects.filter(run=finished_run).exclude(created_post_key="").order_by("step", "id").first()
    )
    RunAction.objects.filter(run=finished_run).update(reason="")
    RunAction.objects.filter(run=finished_run, pk=action.pk).update(reason=REASON)
    return finished_run, action.created_post_key


def test_the_room_shows_the_reason_escaped_under_its_post_only(explained, member_client):
    run, key = explained
    html = member_client.get(reverse("run_detail", args=[run.pk])).content.decode()
    assert html.count('class="post-why') == 1 and ESCAPED in html and REASON not in html
    post_html = html[html.index(f'id="post-{key}"') :]
    assert post_html.index(ESCAPED) < post_html.index('class="thread"')  # inside that post, before replies


def test_the_live_post_fragment_carries_the_same_reason(explained):
    run, key = explained
    event = next(e for e in RunEvent.objects.filter(run=run, kind="post") if e.payload["post_key"] == key)
    assert ESCAPED in render_event(event, as_html=True)
    other = RunEvent.objects.filter(run=run, kind="post").exclude(pk=event.pk).first()
    assert "post-why" not in render_event(other, as_html=True)


def test_a_post_without_a_reason_has_no_why_line(finished_run, member_client):
    RunAction.objects.filter(run=finished_run).update(reason="")
    html = member_client.get(reverse("run_detail", args=[finished_run.pk])).content.decode()
    assert RunPost.objects.filter(run=finished_run).exists() and "post-why" not in html
