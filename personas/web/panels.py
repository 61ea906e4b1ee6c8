"""Panel pages: list, create (custom, population, board), detail, edit, delete, copy, share.

Thin: validate, call one service or selector, render. Every view with an id looks the panel up
first (``panel_get`` for reads: own or shared; ``panel_owned`` for edits: own only, so a shared
panel is a 404 on every edit path) and only then checks the method. HTMX requests get the page's
named partial; every form also works as a plain POST followed by a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from personas import selectors
from personas.models import Panel
from personas.services import demo, population_jobs, synthetic
from personas.services import panels as services
from personas.web.forms import (
    BoardForm,
    BoardMemberFormSet,
    CopyForm,
    MemberFilterForm,
    PanelForm,
    PopulationForm,
    ShareForm,
)
from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, attempt, can_write, post_only, submit_form, submit_or_message

MEMBERS_PAGE_SIZE = 25


@org_view()
def panel_list(request):
    panels = list(selectors.panel_list(organization=request.organization))
    context = {
        "nav": "panels",
        "panels": panels,
        "has_demo": any(p.is_demo and p.organization_id == request.organization.pk for p in panels),
        "can_write": can_write(request),
    }
    return render(request, "personas/panel_list.html", context)


@org_view(roles.WRITE)
def panel_demo(request):
    """Add the labelled demo panels (sampled voters, a board), so a new organization has something to run."""
    if refused := post_only(request):
        return refused
    demo.ensure_demo_panels(organization=request.organization, actor=actor(request))
    messages.success(request, "Demo panels added: sampled US voters and a seven-person board.")
    return redirect("panel_list")


@org_view(roles.WRITE)
def panel_create(request):
    form = PanelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        panel = submit_form(
            form,
            services.panel_create,
            organization=request.organization,
            actor=actor(request),
            **form.cleaned_data,
        )
        if panel is not None:
            messages.success(
                request, f"Panel “{panel.name}” created. Add personas or import accounts into it."
            )
            return redirect("panel_detail", panel_id=panel.pk)
    return render(
        request,
        "personas/panel_form.html",
        {"nav": "panels", "form": form, "title": "New custom panel"},
        status=400 if form.errors else 200,
    )


@org_view(roles.WRITE)
def panel_create_population(request):
    form = PopulationForm(
        request.POST or None, initial={"source": request.GET.get("source", synthetic.DEFAULT_SOURCE)}
    )
    if request.htmx and request.method == "GET":
        return render(request, "personas/population_form.html#quotas", {"form": form})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = submit_form(
            form,
            population_jobs.population_job_start,
            organization=request.organization,
            actor=actor(request),
            n=data["n"],
            seed=data["seed"],
            name=data["name"],
            source=data["source"],
            quotas=form.quotas(),
            description=data["description"],
            avg_following=data["avg_following"],
            homophily=data["homophily"],
        )
        if job is not None:
            return redirect("population_job", job_id=job.pk)
    return render(
        request,
        "personas/population_form.html",
        {"nav": "panels", "form": form},
        status=400 if form.errors else 200,
    )


@org_view()
def population_job(request, job_id: int):
    """A background sampling job: its progress (the partial polls itself until the job ends)."""
    job = selectors.population_job_get(organization=request.organization, job_id=job_id)
    context = {"nav": "panels", "job": job}
    if request.htmx:
        return render(request, "personas/population_job.html#progress", context)
    return render(request, "personas/population_job.html", context)


@org_view(roles.WRITE)
def panel_create_board(request):
    form = BoardForm(request.POST or None)
    formset = BoardMemberFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid():
        mode = form.cleaned_data["mode"]
        members = None
        if mode == "form":
            if formset.is_valid():
                members = [member for member_form in formset if (member := member_form.member())]
            else:
                form.add_error(None, "Some members below need fixing.")
        if not form.errors:
            panel = submit_form(
                form,
                synthetic.panel_create_board,
                organization=request.organization,
                actor=actor(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                members=members,
                bios=form.cleaned_data["bios"] if mode == "bios" else "",
            )
            if panel is not None:
                messages.success(request, f"Board “{panel.name}” created.")
                return redirect("panel_detail", panel_id=panel.pk)
    context = {"nav": "panels", "form": form, "formset": formset}
    return render(request, "personas/board_form.html", context, status=400 if form.errors else 200)


def _members_page(request, panel: Panel):
    filters = MemberFilterForm(request.GET or None)
    members = selectors.panel_members(panel=panel, **filters.filters())
    page = Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return filters, page


@org_view()
def panel_detail(request, panel_id: int):
    panel = selectors.panel_get(organization=request.organization, panel_id=panel_id)
    filters, page = _members_page(request, panel)
    owned = panel.organization_id == request.organization.pk
    context = {
        "nav": "panels",
        "panel": panel,
        "owned": owned,
        "filters": filters,
        "active": filters.filters(),
        "page": page,
        "can_write": owned and can_write(request),
        "can_copy": can_write(request),
        "can_share": owned and roles.at_least(request.membership.role, roles.MANAGE),
        "can_add": owned and panel.kind in services.HAND_MADE_KINDS and can_write(request),
    }
    if request.htmx and request.htmx.target == "members":
        return render(request, "personas/panel_detail.html#members", context)
    charts = selectors.panel_trait_charts(panel=panel)
    context.update(
        charts=charts,
        chart_data=[chart.to_dict() for chart in charts],
        graph=selectors.panel_graph_summary(panel=panel),
        shares=selectors.panel_shares(panel=panel) if owned else [],
        share_form=ShareForm(),
        copy_form=CopyForm(initial={"name": f"Copy of {panel.name}"[:120]}),
    )
    return render(request, "personas/panel_detail.html", context)


@org_view(roles.WRITE)
def panel_edit(request, panel_id: int):
    panel = selectors.panel_owned(organization=request.organization, panel_id=panel_id)
    form = PanelForm(request.POST or None, initial={"name": panel.name, "description": panel.description})
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form,
            services.panel_update,
            panel=panel,
            organization=request.organization,
            actor=actor(request),
            **form.cleaned_data,
        )
        if saved is not None:
            messages.success(request, "Panel saved.")
            return redirect("panel_detail", panel_id=panel.pk)
    context = {"nav": "panels", "form": form, "panel": panel, "title": f"Edit {panel.name}"}
    return render(request, "personas/panel_form.html", context, status=400 if form.errors else 200)


@org_view(roles.WRITE)
def panel_delete(request, panel_id: int):
    panel = selectors.panel_owned(organization=request.organization, panel_id=panel_id)
    if refused := post_only(request):
        return refused
    if not attempt(
        request, services.panel_delete, panel=panel, organization=request.organization, actor=actor(request)
    ):
        return redirect("panel_detail", panel_id=panel.pk)
    messages.success(request, f"Panel “{panel.name}” deleted.")
    return redirect("panel_list")


@org_view(roles.WRITE)
def panel_copy(request, panel_id: int):
    panel = selectors.panel_get(organization=request.organization, panel_id=panel_id)
    if refused := post_only(request):
        return refused
    form = CopyForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    copy = submit_or_message(
        request,
        services.panel_copy,
        panel=panel,
        organization=request.organization,
        actor=actor(request),
        name=name,
    )
    if copy is None:
        return redirect("panel_detail", panel_id=panel.pk)
    messages.success(request, f"Copied into “{copy.name}”; this copy is yours to edit.")
    return redirect("panel_detail", panel_id=copy.pk)


def _share_action(request, panel_id: int, service, done: str):
    panel = selectors.panel_owned(organization=request.organization, panel_id=panel_id)
    if refused := post_only(request):
        return refused
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the slug of the other organization.")
        return redirect("panel_detail", panel_id=panel.pk)
    if attempt(
        request,
        service,
        panel=panel,
        organization=request.organization,
        actor=actor(request),
        ip=client_ip(request),
        organization_slug=form.cleaned_data["organization"],
    ):
        messages.success(request, done.format(slug=form.cleaned_data["organization"]))
    return redirect("panel_detail", panel_id=panel.pk)


@org_view(roles.MANAGE)
def panel_share(request, panel_id: int):
    return _share_action(
        request,
        panel_id,
        services.panel_share,
        "Shared with {slug}: they can view, simulate and copy this panel, never edit it.",
    )


@org_view(roles.MANAGE)
def panel_unshare(request, panel_id: int):
    return _share_action(request, panel_id, services.panel_unshare, "No longer shared with {slug}.")
