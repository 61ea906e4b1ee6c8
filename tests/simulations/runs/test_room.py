"""The run room: first paint, filters, roles, and the steering views (HTMX and plain POST)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from simulations.models import Interview, Run, RunEvent, RunPanel, RunPost, RunSnapshot, RunStatus, Stimulus
from simulations.runs.services import run_start
from simulations.runs.worlds import panel_data, run_personas
from tests.support.runs import drive

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(name, run):
    return reverse(name, args=[run.pk])


def test_first_paint_shows_posts_threads_progress_and_the_socket_after_the_last_seq(
    finished_run, member_client
):
    html = member_client.get(_url("run_detail", finished_run)).content.decode()
    posts = RunPost.objects.filter(run=finished_run)
    for post in posts:
        assert f'id="post-{post.post_key}"' in html and f'id="thread-{post.post_key}"' in html
        assert f'id="counters-{post.post_key}"' in html
    assert f'data-seq="{finished_run.last_event_seq}"' in html
    assert f"{finished_run.next_step} / {finished_run.total_steps}" in html
    assert "Reproducibility record" in html and finished_run.reproducibility["prompt_template_hash"] in html
    assert "ws-connect" not in html  # a finished run has nothing more to stream
    persona_post = posts.exclude(persona=None).first()
    persona_page = reverse(
        "persona_detail",
        kwargs={"panel_id": finished_run.scenario.panel_id, "persona_id": persona_post.persona_id},
    )
    assert f'href="{persona_page}"' in html


def test_live_run_connects_after_the_last_sequence_rendered(started_run, member_client):
    html = member_client.get(_url("run_detail", started_run)).content.decode()
    last_seq = Run.unscoped.get(pk=started_run.pk).last_event_seq
    assert last_seq > 0
    assert f'ws-connect="/ws/runs/{started_run.pk}/?after={last_seq}&amp;format=html"' in html
    assert 'hx-ext="ws"' in html and "js/runroom.js" in html


def test_viewer_watches_and_interviews_but_sees_no_steering(started_run, viewer_client):
    html = viewer_client.get(_url("run_detail", started_run)).content.decode()
    assert 'id="interviews"' in html
    for control in ('id="pause-button"', 'id="cancel-button"', 'id="inject"', _url("run_fork", started_run)):
        assert control not in html


def test_member_sees_the_controls(started_run, member_client):
    html = member_client.get(_url("run_detail", started_run)).content.decode()
    assert 'id="pause-button"' in html and 'id="cancel-button"' in html and 'id="inject"' in html


@pytest.mark.parametrize(
    "name", ["run_pause", "run_resume", "run_cancel", "run_rerun", "run_fork", "run_inject"]
)
def test_a_viewer_cannot_steer(name, started_run, viewer_client):
    response = viewer_client.post(_url(name, started_run), {"text": "x", "step": 0}, **HTMX)
    assert response.status_code == 403
    run = Run.unscoped.get(pk=started_run.pk)
    assert run.status == RunStatus.QUEUED and not run.pause_requested
    assert not Stimulus.objects.filter(run=run).exists() and Run.unscoped.count() == 1


@pytest.mark.parametrize("name", ["run_pause", "run_cancel", "run_inject", "run_interview", "run_fork"])
def test_steering_urls_only_take_post(name, started_run, member_client):
    assert member_client.get(_url(name, started_run)).status_code == 405


def test_pause_then_resume_answer_with_the_controls_partial(started_run, member_client):
    response = member_client.post(_url("run_pause", started_run), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="run-controls"')
    assert Run.unscoped.get(pk=started_run.pk).status == RunStatus.PAUSED  # queued, not leased: at once
    assert 'id="resume-button"' in html and 'data-status="paused"' in html and "<html" not in html
    response = member_client.post(_url("run_resume", started_run), **HTMX)
    assert Run.unscoped.get(pk=started_run.pk).status == RunStatus.QUEUED
    assert 'id="pause-button"' in response.content.decode()


def test_pause_of_a_running_run_is_requested_until_the_step_ends(started_run, member_client):
    Run.unscoped.filter(pk=started_run.pk).update(status=RunStatus.RUNNING, lease_owner="worker")
    html = member_client.post(_url("run_pause", started_run), **HTMX).content.decode()
    assert 'id="pause-pending"' in html and 'id="resume-button"' in html
    assert Run.unscoped.get(pk=started_run.pk).pause_requested


def test_cancel_without_htmx_redirects_to_the_room(started_run, member_client):
    response = member_client.post(_url("run_cancel", started_run))
    assert response.status_code == 302 and response["Location"] == _url("run_detail", started_run)
    assert Run.unscoped.get(pk=started_run.pk).status == RunStatus.CANCELLED


def test_steering_a_finished_run_shows_why_not(finished_run, member_client):
    response = member_client.post(_url("run_pause", finished_run), **HTMX)
    assert response.status_code == 200 and "cannot pause any more" in response.content.decode()


def test_controls_refresh_returns_only_the_controls(started_run, member_client):
    response = member_client.get(_url("run_detail", started_run), HTTP_HX_TARGET="run-controls", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="run-controls"') and 'id="feed"' not in html


def test_fork_continues_from_a_step_and_redirects_there(finished_run, member_client):
    response = member_client.post(
        _url("run_fork", finished_run), {"step": 2, "stimulus_text": "A softer ad."}, **HTMX
    )
    fork = Run.unscoped.exclude(pk=finished_run.pk).get()
    assert response.status_code == 200 and response["HX-Redirect"] == _url("run_detail", fork)
    assert fork.parent_id == finished_run.pk and fork.fork_step == 2 and fork.next_step == 2


def test_a_fork_editing_a_stimulus_already_published_says_the_edit_was_not_applied(
    finished_run, member_client
):
    response = member_client.post(_url("run_fork", finished_run), {"step": 2, "stimulus_text": "A softer ad."})
    fork = Run.unscoped.exclude(pk=finished_run.pk).get()
    page = member_client.get(response["Location"]).content.decode()
    assert "The edited stimulus was not applied: the stimulus was already published before step 2" in page
    assert "A softer ad." not in set(Stimulus.objects.filter(scenario=fork.scenario).values_list("text", flat=True))


def test_a_fork_from_step_0_applies_the_edit_without_a_warning(finished_run, member_client):
    response = member_client.post(_url("run_fork", finished_run), {"step": 0, "stimulus_text": "A softer ad."})
    fork = Run.unscoped.exclude(pk=finished_run.pk).get()
    page = member_client.get(response["Location"]).content.decode()
    assert "was not applied" not in page
    assert list(Stimulus.objects.filter(scenario=fork.scenario).values_list("text", flat=True)) == ["A softer ad."]


def test_fork_from_a_step_not_reached_shows_the_error_in_the_form(started_run, member_client):
    response = member_client.post(_url("run_fork", started_run), {"step": 3}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<details id="fork"')
    assert "Ensure this value is less than or equal to 0" in html and Run.unscoped.count() == 1


def test_rerun_starts_the_scenario_with_another_seed(finished_run, member_client):
    response = member_client.post(_url("run_rerun", finished_run), **HTMX)
    rerun = Run.unscoped.exclude(pk=finished_run.pk).get()
    assert response["HX-Redirect"] == _url("run_detail", rerun)
    assert rerun.scenario_id == finished_run.scenario_id and rerun.seed != finished_run.seed


def test_inject_creates_a_live_stimulus_for_the_next_step(started_run, member_client):
    drive(started_run, steps=1)
    response = member_client.post(
        _url("run_inject", started_run),
        {"text": "Surprise!", "author_handle": "brand", "boost": "0.5"},
        **HTMX,
    )
    html = response.content.decode()
    stimulus = Stimulus.objects.filter(run=started_run).get()
    assert stimulus.step == 1 and stimulus.boost == 0.5 and stimulus.author_handle == "brand"
    assert 'id="inject-done"' in html and "enters feeds at step 1" in html
    assert RunEvent.objects.filter(run=started_run, kind="injected").exists()
    drive(started_run, steps=1)
    assert RunPost.objects.filter(run=started_run, text="Surprise!", is_stimulus=True).exists()


def test_inject_needs_text(started_run, member_client):
    response = member_client.post(_url("run_inject", started_run), {"text": "", "boost": "0"}, **HTMX)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Stimulus.objects.filter(run=started_run).exists()


def test_a_viewer_interviews_a_persona_and_sees_the_answer(finished_run, viewer_client):
    persona = run_personas(finished_run)[0]
    response = viewer_client.post(
        _url("run_interview", finished_run),
        {"agent_key": persona["id"], "question": "Why did you reply?"},
        **HTMX,
    )
    html = response.content.decode()
    interview = Interview.objects.filter(run=finished_run).get()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="interviews"')
    assert interview.handle == persona["handle"] and interview.answer
    assert f'id="interview-{interview.pk}"' in html and "Why did you reply?" in html


def test_interviewing_someone_outside_the_run_is_refused(finished_run, member_client):
    response = member_client.post(
        _url("run_interview", finished_run), {"agent_key": "999999", "question": "Hi"}, **HTMX
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Interview.objects.filter(run=finished_run).exists()


def test_imported_text_with_script_tags_is_escaped(finished_run, member_client):
    post = RunPost.objects.filter(run=finished_run).first()
    RunPost.objects.filter(run=finished_run, pk=post.pk).update(
        text='<script>alert("x")</script>', author_handle="<img src=x onerror=alert(1)>"
    )
    html = member_client.get(_url("run_detail", finished_run)).content.decode()
    assert (
        '<script>alert("x")</script>' not in html
        and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    )
    assert "<img src=x onerror" not in html


def test_filters_mark_the_feed_and_segments_come_from_traits(finished_run, member_client):
    panel = panel_data(finished_run)
    for i, persona in enumerate(panel["personas"]):
        persona["traits"] = {"age_group": "18-29" if i % 2 else "50+"}
    RunPanel.objects.filter(run=finished_run).update(data=panel)
    html = member_client.get(
        _url("run_detail", finished_run) + "?only=negative&segment=age_group--18-29"
    ).content
    html = html.decode()
    assert 'data-only="negative"' in html and 'data-segment="age_group--18-29"' in html
    assert '<option value="age_group--50">age group: 50+</option>' in html
    young = {p["id"] for i, p in enumerate(panel["personas"]) if i % 2}
    for post in RunPost.objects.filter(run=finished_run):
        marked = f'id="post-{post.post_key}" class="post kind-{post.kind}'
        start = html.index(marked)
        assert ("in-segment" in html[start : html.index(">", start)]) == (post.author_key in young)


def test_an_unknown_filter_is_ignored(finished_run, member_client):
    html = member_client.get(_url("run_detail", finished_run) + "?only=bogus&segment=nope").content.decode()
    assert 'data-only="" data-segment=""' in html


def test_roundtable_room_shows_transcript_speakers_and_minutes(roundtable_scenario, tenancy, member_client):
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=roundtable_scenario)[0])
    html = member_client.get(_url("run_detail", run)).content.decode()
    assert 'id="transcript"' in html and 'id="feed"' not in html
    assert "Agenda item 1: Approve the holiday ad" in html and "Chair" in html
    assert 'id="minutes"' in html and "<h2>Minutes</h2>" in html and "votes " in html


def test_stimulus_images_are_served_inside_the_organization_only(
    fake_scenario, member_client, outsider_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.simulations.scenarios.test_builder import tiny_png

    stimulus = fake_scenario.stimuli.get()
    stimulus.image = SimpleUploadedFile("ad.png", tiny_png(), content_type="image/png")
    stimulus.save()
    url = reverse("stimulus_image", args=[stimulus.pk])
    response = member_client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == tiny_png()
    assert outsider_client.get(url).status_code == 404


def test_an_interview_answers_without_changing_the_run(finished_run, member_client):
    from simulations.models import RunAction

    before = Run.unscoped.get(pk=finished_run.pk)
    snapshots_before = list(RunSnapshot.objects.filter(run=finished_run).values_list("step", "state"))
    actions = list(RunAction.objects.filter(run=finished_run).values_list("pk", "action", "text"))
    posts = list(RunPost.objects.filter(run=finished_run).values_list("pk", "likes", "replies"))
    persona = run_personas(finished_run)[1]
    member_client.post(
        _url("run_interview", finished_run),
        {"agent_key": persona["id"], "question": "What did you see?"},
        **HTMX,
    )
    after = Run.unscoped.get(pk=finished_run.pk)
    assert Interview.objects.filter(run=finished_run, agent_key=persona["id"]).get().answer
    snapshots = list(RunSnapshot.objects.filter(run=finished_run).values_list("step", "state"))
    assert (snapshots, after.next_step, after.last_event_seq, after.status) == (
        snapshots_before, before.next_step, before.last_event_seq, before.status,
    )  # fmt: skip
    assert list(RunAction.objects.filter(run=finished_run).values_list("pk", "action", "text")) == actions
    assert list(RunPost.objects.filter(run=finished_run).values_list("pk", "likes", "replies")) == posts


def test_a_handle_opens_the_personas_page(finished_run, member_client):
    post = RunPost.objects.filter(run=finished_run).exclude(persona=None).first()
    url = reverse(
        "persona_detail", kwargs={"panel_id": finished_run.scenario.panel_id, "persona_id": post.persona_id}
    )
    assert f'href="{url}"' in member_client.get(_url("run_detail", finished_run)).content.decode()
    page = member_client.get(url)
    assert page.status_code == 200 and f"@{post.author_handle}" in page.content.decode()


def test_the_concurrency_limit_holds_a_run_back_and_says_so(fake_scenario, tenancy, member_client):
    from simulations.runs import stepper

    tenancy.org_a.max_concurrent_runs = 1
    tenancy.org_a.save()
    first, second = run_start(
        organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario, seeds=[1, 2]
    )
    drive(first, steps=1)
    assert stepper.advance(run_id=second.pk) == "waiting for a free slot"
    assert Run.unscoped.get(pk=second.pk).next_step == 0
    html = member_client.get(_url("run_detail", second)).content.decode()
    assert "Waiting for a free slot: 1 of your organization&#x27;s runs are going (the limit is 1)" in html
    listing = member_client.get(reverse("run_list")).content.decode()
    row = listing[listing.index(f'id="run-row-{second.pk}"') :]
    assert "waiting for a free slot" in row[: row.index("</tr>")]
    assert drive(first).status == RunStatus.COMPLETED
    assert drive(second).status == RunStatus.COMPLETED  # the slot is free: it runs to the end
    assert "Waiting for a free slot" not in member_client.get(_url("run_detail", second)).content.decode()


def test_a_post_injected_while_a_step_is_taken_is_confirmed_at_the_step_it_lands_at(
    started_run, member_client, monkeypatch
):
    """The worker has read the feeds of step 1 when the user injects: the post lands at step 2,
    and the confirmation, the stored stimulus and the published post all say so."""
    from simulations.runs import stepper

    drive(started_run, steps=1)
    replies = []
    plan_step = stepper.plan_step

    def plan_then_inject(world):
        plan = plan_step(world)
        if not replies:
            form = {"text": "Mid-step", "boost": "0"}
            replies.append(member_client.post(_url("run_inject", started_run), form, **HTMX))
        return plan

    monkeypatch.setattr(stepper, "plan_step", plan_then_inject)
    drive(started_run, steps=2)
    html = replies[0].content.decode()
    post = RunPost.objects.get(run=started_run, text="Mid-step", is_stimulus=True)
    assert post.step == 2 and Stimulus.objects.get(run=started_run).step == 2
    assert "enters feeds at step 2" in html


def test_the_live_dot_shows_only_while_the_run_is_queued_or_running(started_run, member_client):
    Run.unscoped.filter(pk=started_run.pk).update(status=RunStatus.PAUSED)
    html = member_client.get(_url("run_detail", started_run)).content.decode()
    assert 'id="live-indicator"' in html and 'id="run-status" class="run-status" data-status="paused"' in html
    css = (settings.BASE_DIR / "static" / "css" / "simnet.css").read_text()
    assert (
        '.run-room:not(:has(#run-status[data-status="queued"], #run-status[data-status="running"]))'
        " .live-indicator { display: none; }"
    ) in css
