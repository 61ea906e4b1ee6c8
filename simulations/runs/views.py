"""Runs list and the live run room with its steering controls.

Thin, like simnet/accounts/views.py: validate, call one service or selector, render. Every view
that takes an id looks the object up in the caller's organization first (404 otherwise) and
only then checks the method, so a foreign id is a 404 whatever the method. HTMX requests get
the page's named partial; every form also works as a plain POST followed by a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form, submit_or_message
from simulations.models import Run
from simulations.runs import selectors, services, worlds
from simulations.runs.forms import ForkForm, InjectForm, InterviewForm, RunFilterForm
from simulations.runs.presenters import optional_url
from simulations.runs.room import run_room

RUNS_PAGE_SIZE = 25
FEED_FILTERS = {"stimulus": "Stimulus threads", "negative": "Negative replies"}


# --- runs list -------------------------------------------------------------------------------


@org_view()
def run_list(request):
    form = RunFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    page = Paginator(
        selectors.run_list(organization=request.organization, status=status), RUNS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    running = selectors.running_count(organization=request.organization)
    for run in page.object_list:
        run.wait_reason = selectors.slot_wait_reason(
            run, running=running, limit=request.organization.max_concurrent_runs
        )
    context = {
        "nav": "simulations",
        "form": form,
        "page": page,
        "status": status,
        "refresh": selectors.has_active_runs(page.object_list),
        "can_start": can_write(request),
    }
    template = "simulations/run_list.html#runs" if request.htmx else "simulations/run_list.html"
    return render(request, template, context)


# --- the run room ----------------------------------------------------------------------------


def _room_context(request, run: Run, **extra) -> dict:
    only = request.GET.get("only", "")
    segment = request.GET.get("segment", "")
    room = run_room(run, segment=segment)
    context = {
        "nav": "simulations",
        "run": run,
        "room": room,
        "only": only if only in FEED_FILTERS else "",
        "segment": segment if segment in {token for token, _ in room.segments} else "",
        "feed_filters": FEED_FILTERS,
        "can_steer": can_write(request),
        "inject_form": InjectForm(),
        "interview_form": InterviewForm(personas=room.personas),
        "fork_form": ForkForm(organization=request.organization, max_step=run.next_step),
        "interviews": room.interviews,
        "wait_reason": selectors.slot_wait_reason(
            run,
            running=selectors.running_count(organization=request.organization),
            limit=request.organization.max_concurrent_runs,
        ),
        "report_url": optional_url("run_report", run.pk),
        "experiment_url": reverse("experiment_detail", args=[run.experiment_id]) if run.experiment_id else "",
    }
    context.update(extra)
    return context


def _controls_context(request, run: Run, **extra) -> dict:
    return {
        "run": run,
        "can_steer": can_write(request),
        "fork_form": ForkForm(organization=request.organization, max_step=run.next_step),
        **extra,
    }


@org_view()
def run_detail(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := allow(request, "GET")) is not None:
        return not_allowed
    if request.htmx and request.htmx.target == "run-controls":  # refreshed after a live status change
        return render(request, "simulations/run_detail.html#controls", _controls_context(request, run))
    return render(request, "simulations/run_detail.html", _room_context(request, run))


def _steer(request, run_id: int, action):
    """Shared shape of pause/resume/cancel: call the service, answer with the fresh controls."""
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    submit_or_message(request, action, run=run)
    if not request.htmx:
        return redirect("run_detail", run_id=run.pk)
    run.refresh_from_db()
    return render(
        request, "simulations/run_detail.html#controls", _controls_context(request, run, steered=True)
    )


@org_view(roles.WRITE)
def run_pause(request, run_id: int):
    def pause(run):
        paused = services.run_pause(run=run, actor=actor(request))
        messages.success(
            request, "Paused." if paused.status == "paused" else "The run pauses after the current step."
        )

    return _steer(request, run_id, pause)


@org_view(roles.WRITE)
def run_resume(request, run_id: int):
    def resume(run):
        services.run_resume(run=run, actor=actor(request))
        messages.success(request, "Resumed.")

    return _steer(request, run_id, resume)


@org_view(roles.WRITE)
def run_cancel(request, run_id: int):
    def cancel(run):
        services.run_cancel(run=run, actor=actor(request), ip=client_ip(request))
        messages.success(request, "Cancelled. What ran so far stays on this page.")

    return _steer(request, run_id, cancel)


def _go_to_run(request, run: Run):
    url = reverse("run_detail", args=[run.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@org_view(roles.WRITE)
def run_rerun(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    new_run = submit_or_message(request, services.run_rerun, run=run, actor=actor(request))
    if new_run is None:
        if not request.htmx:
            return redirect("run_detail", run_id=run.pk)
        return render(request, "simulations/run_detail.html#controls", _controls_context(request, run))
    messages.success(request, f"Run #{new_run.pk} started with seed {new_run.seed}.")
    return _go_to_run(request, new_run)


@org_view(roles.WRITE)
def run_fork(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = ForkForm(request.POST, organization=request.organization, max_step=run.next_step)
    if form.is_valid():
        data = form.cleaned_data
        fork = submit_form(
            form, services.run_fork, run=run, actor=actor(request), step=data["step"],
            stimulus_text=data["stimulus_text"] or None, provider=data["provider"],
        )  # fmt: skip
        if fork is not None:
            messages.success(request, f"Run #{fork.pk} continues run #{run.pk} from step {data['step']}.")
            for warning in services.fork_warnings(fork):
                messages.warning(request, warning)
            return _go_to_run(request, fork)
    if request.htmx:
        return render(
            request, "simulations/run_detail.html#fork", {"run": run, "fork_form": form, "fork_open": True}
        )
    return render(
        request, "simulations/run_detail.html", _room_context(request, run, fork_form=form, fork_open=True)
    )


@org_view(roles.WRITE)
def run_inject(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = InjectForm(request.POST)
    extra = {}
    if form.is_valid():
        data = form.cleaned_data
        stimulus = submit_form(
            form, services.run_inject, run=run, actor=actor(request), text=data["text"],
            author_handle=data["author_handle"], boost=data["boost"] or 0.0,
        )  # fmt: skip
        if stimulus is not None:
            if not request.htmx:
                messages.success(request, f"Injected: it enters feeds at step {stimulus.step}.")
                return redirect("run_detail", run_id=run.pk)
            extra["injected"] = stimulus
            form = InjectForm()
    if not request.htmx:
        return render(request, "simulations/run_detail.html", _room_context(request, run, inject_form=form))
    context = {"run": run, "can_steer": True, "inject_form": form, **extra}
    return render(request, "simulations/run_detail.html#inject", context)


@org_view()
def run_interview(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    personas = worlds.run_personas(run)
    form = InterviewForm(request.POST, personas=personas)
    if form.is_valid():
        interview = submit_form(
            form, services.run_interview, run=run, actor=actor(request), agent_key=form.cleaned_data["agent_key"],
            question=form.cleaned_data["question"],
        )  # fmt: skip
        if interview is not None:
            if not request.htmx:
                return redirect(f"{reverse('run_detail', args=[run.pk])}#interviews")
            form = InterviewForm(personas=personas, initial={"agent_key": form.cleaned_data["agent_key"]})
    if not request.htmx:
        return render(
            request, "simulations/run_detail.html", _room_context(request, run, interview_form=form)
        )
    context = {"run": run, "interview_form": form, "interviews": selectors.run_interviews(run)}
    return render(request, "simulations/run_detail.html#interviews", context)
