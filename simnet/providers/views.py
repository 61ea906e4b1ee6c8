"""Provider settings pages: list, add, delete."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from simnet.providers import selectors, services
from simnet.providers.build import OFFLINE_MODEL
from simnet.providers.forms import ProviderConfigForm
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, attempt, post_only, submit_form


def _providers_context(request, form: ProviderConfigForm | None = None, created=None) -> dict:
    can_manage = roles.at_least(request.membership.role, roles.MANAGE)
    return {
        "nav": "settings",
        "providers": selectors.provider_list(organization=request.organization),
        "form": form or ProviderConfigForm(initial=_kind_asked(request)),
        "can_manage": can_manage,
        "created": created,
        "offline_default": OFFLINE_MODEL,
    }


def _kind_asked(request) -> dict:
    """``?kind=anthropic`` preselects the kind (the offline-model notice links here)."""
    kind = request.GET.get("kind", "")
    return {"kind": kind} if kind in ProviderConfig.Kind.values else {}


@org_view()
def provider_list(request):
    return render(request, "simulations/provider_list.html", _providers_context(request))


@org_view(roles.MANAGE)
def provider_create(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = ProviderConfigForm(request.POST)
    created = None
    if form.is_valid():
        created = submit_form(
            form,
            services.provider_config_create,
            organization=request.organization,
            actor=actor(request),
            ip=client_ip(request),
            **form.cleaned_data,
        )
        if created is not None:
            if not request.htmx:
                messages.success(request, f"Provider “{created.name}” saved.")
                return redirect("provider_list")
            form = None
    template = (
        "simulations/provider_list.html#providers" if request.htmx else "simulations/provider_list.html"
    )
    return render(request, template, _providers_context(request, form=form, created=created))


@org_view(roles.MANAGE)
def provider_delete(request, provider_id: int):
    """Remove a provider and its secret; refused (with the reason) while unfinished runs use it."""
    config = get_for_org(ProviderConfig.objects, request.organization, pk=provider_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    if attempt(
        request, services.provider_config_delete, config=config, actor=actor(request), ip=client_ip(request)
    ):
        messages.success(
            request, f"Provider “{config.name}” deleted; its scenarios now use the offline model."
        )
    if not request.htmx:
        return redirect("provider_list")
    return render(request, "simulations/provider_list.html#providers", _providers_context(request))
