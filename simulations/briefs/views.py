"""Pages of briefs: paste or upload one (or pick a template offline), follow the extraction, edit
the draft, make it a world, ask its question.

Thin: look the brief up in the caller's organization (404 otherwise), call one service, render.
A page where no hosted model is set up says plainly that extraction is not possible and offers
the templates.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRefresh

from simnet.providers.selectors import hosted_provider_list
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form, submit_or_message
from simulations.briefs import services
from simulations.briefs.apply import brief_apply, brief_ask, brief_question
from simulations.briefs.forms import BriefForm, StarterForm, editor_rows, posted_draft
from simulations.briefs.starters import STARTERS
from simulations.models import BriefDraft
from simulations.runs.services import run_start

DETAIL = "simulations/brief_detail.html"


def _list_page(request, form: BriefForm, status: int = 200):
    context = {
        "briefs": BriefDraft.objects.for_org(request.organization).select_related("scenario")[:50],
        "form": form,
        "hosted": hosted_provider_list(organization=request.organization).exists(),
        "offline_reason": services.NEEDS_HOSTED_MODEL,
        "starters": STARTERS,
        "can_create": can_write(request),
        "nav": "briefs",
    }
    return render(request, "simulations/brief_list.html", context, status=status)


@org_view()
def brief_list(request):
    if refused := allow(request, "GET"):
        return refused
    return _list_page(request, BriefForm(organization=request.organization))


@org_view(roles.WRITE)
def brief_create(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = BriefForm(request.POST, request.FILES, organization=request.organization)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    brief = submit_form(
        form, services.brief_create, organization=request.organization, actor=actor(request),
        provider_config=form.cleaned_data["provider"], title=form.cleaned_data["title"],
        text=form.cleaned_data["text"], upload=form.cleaned_data["file"],
    )  # fmt: skip
    if brief is None:
        return _list_page(request, form, status=400)
    messages.success(request, "The brief is being read; this page updates when its draft is ready.")
    return redirect("brief_detail", brief_id=brief.pk)


@org_view(roles.WRITE)
def brief_from_starter(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = StarterForm(request.POST)
    starter = form.cleaned_data["starter"] if form.is_valid() else ""
    brief = submit_or_message(
        request, services.brief_from_starter, organization=request.organization, actor=actor(request),
        starter=starter,
    )  # fmt: skip
    return redirect("brief_detail", brief_id=brief.pk) if brief else redirect("brief_list")


def _detail(request, brief: BriefDraft, draft: dict | None = None, errors=None, status: int = 200):
    editable = can_write(request) and brief.scenario_id is None
    people, posts = editor_rows(draft if draft is not None else brief.draft or {}, editable=editable)
    context = {
        "brief": brief,
        "people": people,
        "posts": posts,
        "question": (draft or brief.draft or {}).get("question", ""),
        "summary": (draft or brief.draft or {}).get("summary", ""),
        "errors": errors or [],
        "can_write": can_write(request),
        "can_edit": editable,
        "brief_question": brief_question(brief.scenario) if brief.scenario_id else "",
        "nav": "briefs",
    }
    if request.htmx and request.method == "GET":  # the status poll: the whole page once there is a draft
        waiting = brief.status in (BriefDraft.Status.QUEUED, BriefDraft.Status.RUNNING)
        return render(request, f"{DETAIL}#status", context) if waiting else HttpResponseClientRefresh()
    return render(request, DETAIL, context, status=status)


def _brief(request, brief_id: int) -> BriefDraft:
    rows = BriefDraft.objects.select_related("scenario", "panel", "provider_config")
    return get_for_org(rows, request.organization, pk=brief_id)


@org_view()
def brief_detail(request, brief_id: int):
    brief = _brief(request, brief_id)
    if refused := allow(request, "GET"):
        return refused
    return _detail(request, brief)


def _readable(error: ApplicationError) -> list[str]:
    """Field errors of a draft ("stakeholders.2.name") as sentences naming the row."""
    lines = []
    for place, found in error.fields.items():
        parts = place.split(".")
        where = (
            f"{parts[0][:-1].capitalize()} {int(parts[1]) + 1}, {parts[2]}" if len(parts) == 3 else parts[0]
        )
        lines += [f"{where}: {message}" for message in found]
    return lines or [error.message]


@org_view(roles.WRITE)
def brief_save(request, brief_id: int):
    """Save the edited draft; with ``apply`` in the form, make it a world in the same request."""
    brief = _brief(request, brief_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    draft = posted_draft(request.POST)
    try:
        services.brief_update(
            brief=brief, organization=request.organization, actor=actor(request), draft=draft
        )
        if "apply" in request.POST:
            brief = brief_apply(brief=brief, organization=request.organization, actor=actor(request))
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        return _detail(request, brief, draft, _readable(error), status=error.status)
    if brief.scenario_id:
        messages.success(
            request, f"The world is ready: panel “{brief.panel.name}” and scenario “{brief.scenario.name}”."
        )
    else:
        messages.success(request, "Draft saved.")
    return redirect("brief_detail", brief_id=brief.pk)


@org_view(roles.WRITE)
def brief_ask_view(request, brief_id: int):
    brief = _brief(request, brief_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    asked = submit_or_message(
        request, brief_ask, brief=brief, organization=request.organization, actor=actor(request)
    )
    return (
        redirect("panel_question_detail", question_id=asked.pk)
        if asked
        else redirect("brief_detail", brief_id=brief.pk)
    )


@org_view(roles.WRITE)
def brief_run(request, brief_id: int):
    """Start one run of the world's scenario (its estimate and budget checked like any run)."""
    brief = _brief(request, brief_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    if brief.scenario_id is None:
        messages.error(request, "Make the draft a world first.")
        return redirect("brief_detail", brief_id=brief.pk)
    runs = submit_or_message(
        request, run_start, organization=request.organization, actor=actor(request), scenario=brief.scenario
    )
    return redirect("run_detail", run_id=runs[0].pk) if runs else redirect("brief_detail", brief_id=brief.pk)
