"""Persona pages, always seen through a panel: detail (card, summary, profile, history), add, edit,
remove, and the optional summary a hosted language model writes (write, remove).

A persona is reached as ``/panels/<panel>/personas/<persona>/``: the panel is looked up first
(own or shared for reading, own only for edits) and the persona must be one of its members, so
one lookup rule covers shared panels too.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from personas import selectors, summaries
from personas.models import HistoryKind, Panel, PanelMember, Persona
from personas.services import panels as services
from personas.web.forms import PersonaForm
from simnet.providers import selectors as provider_selectors
from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, can_write, post_only, submit_form, submit_or_message

HISTORY_PAGE_SIZE = 20
HELD_OUT = "held_out"  # the history tab of items kept back from the profile, to test predictions against


def _own_member(request, panel_id: int, persona_id: int) -> tuple[Panel, PanelMember]:
    """The organization's own panel and the persona's place on it (404 for a shared panel):
    what every edit of a persona starts from."""
    panel = selectors.panel_owned(organization=request.organization, panel_id=panel_id)
    return panel, selectors.panel_persona(panel=panel, persona_id=persona_id)


@org_view()
def persona_detail(request, panel_id: int, persona_id: int):
    panel = selectors.panel_get(organization=request.organization, panel_id=panel_id)
    member = selectors.panel_persona(panel=panel, persona_id=persona_id)
    persona = member.persona
    shown = request.GET.get("kind", "")
    shown = shown if shown in (*HistoryKind.values, HELD_OUT) else ""
    items = selectors.persona_history(
        persona=persona, kind="" if shown == HELD_OUT else shown, held_out_only=shown == HELD_OUT
    )
    history = Paginator(items, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    owned = panel.organization_id == request.organization.pk
    writable = owned and can_write(request)
    context = {
        "nav": "panels",
        "panel": panel,
        "member": member,
        "persona": persona,
        "history": history,
        "kind": shown,
        "kinds": [*HistoryKind.choices, (HELD_OUT, "Held out")],
        "profile": _profile_shown(persona),
        "explanations": selectors.profile_explanations(persona.profile or persona.sampler or {}),
        "can_write": writable,
        "editable": persona.origin in services.EDITABLE_ORIGINS,
        "summary_providers": _summary_providers(request) if writable else [],
    }
    if request.htmx and request.htmx.target == "history":
        return render(request, "personas/persona_detail.html#history", context)
    return render(request, "personas/persona_detail.html", context)


def _profile_shown(persona: Persona) -> dict:
    """The stored profile; one derived before self-engagement was left out may still name the persona."""
    profile = dict(persona.profile or {})
    own = persona.handle.lstrip("@").lower()
    if "engaged_accounts" in profile:
        profile["engaged_accounts"] = [
            e for e in profile["engaged_accounts"] if e["handle"].lstrip("@").lower() != own
        ]
    return profile


def _summary_providers(request) -> list:
    """The hosted models that may write a summary, the default first (the form's choices)."""
    return list(provider_selectors.hosted_provider_list(organization=request.organization))


def _form_context(panel: Panel, form, persona: Persona | None = None) -> dict:
    return {
        "nav": "panels",
        "panel": panel,
        "form": form,
        "persona": persona,
        "board": panel.kind == Panel.Kind.BOARD,
    }


@org_view(roles.WRITE)
def persona_create(request, panel_id: int):
    panel = selectors.panel_owned(organization=request.organization, panel_id=panel_id)
    form = PersonaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        persona = submit_form(
            form,
            services.persona_create,
            panel=panel,
            organization=request.organization,
            actor=actor(request),
            **form.service_fields(board=panel.kind == Panel.Kind.BOARD),
        )
        if persona is not None:
            messages.success(request, f"@{persona.handle} added.")
            return redirect("persona_detail", panel_id=panel.pk, persona_id=persona.pk)
    return render(
        request, "personas/persona_form.html", _form_context(panel, form), status=400 if form.errors else 200
    )


@org_view(roles.WRITE)
def persona_edit(request, panel_id: int, persona_id: int):
    panel, member = _own_member(request, panel_id, persona_id)
    form = PersonaForm(
        request.POST or None, initial=PersonaForm.initial_for(member.persona, member.role, member.is_chair)
    )
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form,
            services.persona_update,
            panel=panel,
            persona=member.persona,
            organization=request.organization,
            actor=actor(request),
            **form.service_fields(board=member.persona.origin == Persona.Origin.BOARD),
        )
        if saved is not None:
            messages.success(request, "Persona saved; its card was rebuilt.")
            return redirect("persona_detail", panel_id=panel.pk, persona_id=member.persona_id)
    return render(
        request,
        "personas/persona_form.html",
        _form_context(panel, form, member.persona),
        status=400 if form.errors else 200,
    )


@org_view(roles.WRITE)
def persona_remove(request, panel_id: int, persona_id: int):
    panel, member = _own_member(request, panel_id, persona_id)
    if refused := post_only(request):
        return refused
    services.persona_remove(
        panel=panel, persona=member.persona, organization=request.organization, actor=actor(request)
    )
    messages.success(request, f"@{member.persona.handle} removed from the panel.")
    return redirect("panel_detail", panel_id=panel.pk)


def _posted_provider(request):
    """The organization's provider config named by the form's ``provider`` field, else None."""
    try:
        provider_id = int(request.POST.get("provider", ""))
    except ValueError:
        return None
    configs = provider_selectors.provider_list(organization=request.organization)
    return configs.filter(pk=provider_id).first()


@org_view(roles.WRITE)
def persona_summarize(request, panel_id: int, persona_id: int):
    panel, member = _own_member(request, panel_id, persona_id)
    if refused := post_only(request):
        return refused
    persona = submit_or_message(
        request,
        summaries.persona_summarize,
        organization=request.organization,
        actor=actor(request),
        persona=member.persona,
        config=_posted_provider(request),
        ip=client_ip(request),
    )
    if persona is not None:
        messages.success(
            request, f"Summary written by {persona.summary_by}; runs started from now on read it."
        )
    return redirect("persona_detail", panel_id=panel.pk, persona_id=member.persona_id)


@org_view(roles.WRITE)
def persona_summary_clear(request, panel_id: int, persona_id: int):
    panel, member = _own_member(request, panel_id, persona_id)
    if refused := post_only(request):
        return refused
    summaries.persona_summary_clear(
        organization=request.organization,
        actor=actor(request),
        persona=member.persona,
        ip=client_ip(request),
    )
    messages.success(request, "Summary removed; runs started from now on read the card alone.")
    return redirect("persona_detail", panel_id=panel.pk, persona_id=member.persona_id)
