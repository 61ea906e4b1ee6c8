"""Runs list, the live run room with its steering controls, and experiments.

Thin, like simnet/tenancy/views.py: validate, call one service or selector, render. Every view
that takes an id looks the object up in the caller's organization first (404 otherwise) and
only then checks the method, so a foreign id is a 404 whatever the method. HTMX requests get
the page's named partial; every form also works as a plain POST followed by a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.forms import add_application_error
from simnet.tenancy.mixins import org_view
from simulations import selectors, services
from simulations.forms import ForkForm, InjectForm, InterviewForm, RunFilterForm
from simulations.models import FINAL_STATUSES, Run
from simulations.presenters import optional_url
from simulations.room import run_room

RUNS_PAGE_SIZE = 25
FEED_FILTERS = {"stimulus": "Stimulus threads", "negative": "Negative replies"}


def _post_only(request) -> HttpResponseNotAllowed | None:
    """Checked after the object lookup, so a foreign id is a 404 whatever the method."""
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _can_steer(request) -> bool:
    return roles.at_least(request.membership.role, roles.WRITE)


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
        "can_start": _can_steer(request),
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
        "can_steer": _can_steer(request),
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
        "can_steer": _can_steer(request),
        "fork_form": ForkForm(organization=request.organization, max_step=run.next_step),
        **extra,
    }


@org_view()
def run_detail(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if request.htmx and request.htmx.target == "run-controls":  # refreshed after a live status change
        return render(request, "simulations/run_detail.html#controls", _controls_context(request, run))
    return render(request, "simulations/run_detail.html", _room_context(request, run))


def _steer(request, run_id: int, action):
    """Shared shape of pause/resume/cancel: call the service, answer with the fresh controls."""
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := _post_only(request)) is not None:
        return not_allowed
    try:
        run = action(run)
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    if not request.htmx:
        return redirect("run_detail", run_id=run.pk)
    run.refresh_from_db()
    return render(
        request, "simulations/run_detail.html#controls", _controls_context(request, run, steered=True)
    )


@org_view(roles.WRITE)
def run_pause(request, run_id: int):
    def pause(run):
        run = services.run_pause(run=run, user=request.user)
        messages.success(
            request, "Paused." if run.status == "paused" else "The run pauses after the current step."
        )
        return run

    return _steer(request, run_id, pause)


@org_view(roles.WRITE)
def run_resume(request, run_id: int):
    def resume(run):
        run = services.run_resume(run=run, user=request.user)
        messages.success(request, "Resumed.")
        return run

    return _steer(request, run_id, resume)


@org_view(roles.WRITE)
def run_cancel(request, run_id: int):
    def cancel(run):
        run = services.run_cancel(run=run, user=request.user, ip=client_ip(request))
        messages.success(request, "Cancelled. What ran so far stays on this page.")
        return run

    return _steer(request, run_id, cancel)


def _go_to_run(request, run: Run):
    url = reverse("run_detail", args=[run.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@org_view(roles.WRITE)
def run_rerun(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := _post_only(request)) is not None:
        return not_allowed
    try:
        new_run = services.run_rerun(run=run, user=request.user)
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
        if not request.htmx:
            return redirect("run_detail", run_id=run.pk)
        return render(request, "simulations/run_detail.html#controls", _controls_context(request, run))
    messages.success(request, f"Run #{new_run.pk} started with seed {new_run.seed}.")
    return _go_to_run(request, new_run)


@org_view(roles.WRITE)
def run_fork(request, run_id: int):
    run = selectors.run_get(organization=request.organization, run_id=run_id)
    if (not_allowed := _post_only(request)) is not None:
        return not_allowed
    form = ForkForm(request.POST, organization=request.organization, max_step=run.next_step)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fork = services.run_fork(
                run=run, user=request.user, step=data["step"], stimulus_text=data["stimulus_text"] or None,
                provider=data["provider"],
            )  # fmt: skip
        except PermissionDeniedError:
            raise
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, f"Run #{fork.pk} continues run #{run.pk} from step {data['step']}.")
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
    if (not_allowed := _post_only(request)) is not None:
        return not_allowed
    form = InjectForm(request.POST)
    extra = {}
    if form.is_valid():
        data = form.cleaned_data
        try:
            stimulus = services.run_inject(
                run=run, user=request.user, text=data["text"], author_handle=data["author_handle"],
                boost=data["boost"] or 0.0,
            )  # fmt: skip
        except PermissionDeniedError:
            raise
        except ApplicationError as error:
            add_application_error(form, error)
        else:
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
    if (not_allowed := _post_only(request)) is not None:
        return not_allowed
    personas = (run.panel_snapshot or {}).get("personas", [])
    form = InterviewForm(request.POST, personas=personas)
    if form.is_valid():
        try:
            services.run_interview(
                run=run, user=request.user, agent_key=form.cleaned_data["agent_key"],
                question=form.cleaned_data["question"],
            )  # fmt: skip
        except PermissionDeniedError:
            raise
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            if not request.htmx:
                return redirect(f"{reverse('run_detail', args=[run.pk])}#interviews")
            form = InterviewForm(personas=personas, initial={"agent_key": form.cleaned_data["agent_key"]})
    if not request.htmx:
        return render(
            request, "simulations/run_detail.html", _room_context(request, run, interview_form=form)
        )
    context = {"run": run, "interview_form": form, "interviews": selectors.run_interviews(run)}
    return render(request, "simulations/run_detail.html#interviews", context)


# --- experiments -----------------------------------------------------------------------------


@org_view()
def experiment_list(request):
    experiments = selectors.experiment_list(organization=request.organization)
    page = Paginator(experiments, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "experiments", "page": page, "can_start": _can_steer(request)}
    return render(request, "simulations/experiment_list.html", context)


@org_view()
def experiment_detail(request, experiment_id: int):
    experiment = selectors.experiment_get(organization=request.organization, experiment_id=experiment_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    progress = services.experiment_progress(experiment)
    variants = selectors.experiment_runs_by_variant(experiment)
    context = {
        "nav": "experiments",
        "experiment": experiment,
        "progress": progress,
        "variants": variants,
        "refresh": any(run.status not in FINAL_STATUSES for _, runs in variants for run in runs),
        "compare_url": optional_url("experiment_compare", experiment.pk),
        "estimate": (experiment.result or {}).get("estimate"),
    }
    template = (
        "simulations/experiment_detail.html#progress"
        if request.htmx
        else "simulations/experiment_detail.html"
    )
    return render(request, template, context)
