"""Webhook settings pages (/settings/webhooks/…), admins and owners only.

Thin: look up inside the caller's organization (404 otherwise), then check the method,
call one service, redirect or render. The signing secret appears in the create response
only, which is never cached.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, post_only, submit_form, submit_or_message
from simnet.webhooks import selectors, services
from simnet.webhooks.forms import WebhookEndpointEditForm, WebhookEndpointForm
from simnet.webhooks.transport import EXCERPT_BYTES

DELIVERY_PAGE_SIZE = 25


def _list_context(request, *, form=None, new_endpoint=None, new_secret: str = "") -> dict:
    return {
        "nav": "api",
        "endpoints": selectors.webhook_endpoint_list(organization=request.organization),
        "form": form or WebhookEndpointForm(),
        "new_endpoint": new_endpoint,
        "new_secret": new_secret,
        "production": settings.PRODUCTION,
    }


@org_view(roles.MANAGE)
def webhook_list(request):
    return render(request, "webhooks/webhook_list.html", _list_context(request))


@never_cache
@org_view(roles.MANAGE)
def webhook_create(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = WebhookEndpointForm(request.POST)
    created = None
    if form.is_valid():
        created = submit_form(
            form,
            services.webhook_endpoint_create,
            organization=request.organization,
            actor=actor(request),
            ip=client_ip(request),
            **form.cleaned_data,
        )
    if created is None:
        return render(request, "webhooks/webhook_list.html", _list_context(request, form=form))
    endpoint, secret = created
    context = _list_context(request, new_endpoint=endpoint, new_secret=secret)
    return render(request, "webhooks/webhook_list.html", context)


@org_view(roles.MANAGE)
def webhook_detail(request, endpoint_id: int):
    endpoint = selectors.webhook_endpoint_get(organization=request.organization, endpoint_id=endpoint_id)
    if (not_allowed := allow(request, "GET", "POST")) is not None:
        return not_allowed
    fields = ["url", "description", "events", "is_active"]
    form = WebhookEndpointEditForm(
        request.POST or None, initial={field: getattr(endpoint, field) for field in fields}
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and submit_form(
            form,
            services.webhook_endpoint_update,
            endpoint=endpoint,
            actor=actor(request),
            ip=client_ip(request),
            **form.cleaned_data,
        )
    ):
        messages.success(request, "Webhook endpoint saved.")
        return redirect("webhook_detail", endpoint_id=endpoint.pk)
    deliveries = selectors.delivery_list(organization=request.organization, endpoint=endpoint)
    page = Paginator(deliveries, DELIVERY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "api", "endpoint": endpoint, "form": form, "page": page}
    return render(request, "webhooks/webhook_detail.html", context)


@org_view(roles.MANAGE)
def webhook_delete(request, endpoint_id: int):
    endpoint = selectors.webhook_endpoint_get(organization=request.organization, endpoint_id=endpoint_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    services.webhook_endpoint_delete(endpoint=endpoint, actor=actor(request), ip=client_ip(request))
    messages.success(request, f"Webhook endpoint {endpoint.url} deleted.")
    return redirect("webhook_list")


@org_view(roles.MANAGE)
def webhook_delivery(request, endpoint_id: int, delivery_id: int):
    endpoint = selectors.webhook_endpoint_get(organization=request.organization, endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(
        organization=request.organization, delivery_id=delivery_id, endpoint=endpoint
    )
    context = {
        "nav": "api",
        "endpoint": endpoint,
        "delivery": delivery,
        "attempts": delivery.attempts.order_by("number"),
        "excerpt_bytes": EXCERPT_BYTES,
    }
    return render(request, "webhooks/webhook_delivery.html", context)


@org_view(roles.MANAGE)
def webhook_redeliver(request, endpoint_id: int, delivery_id: int):
    endpoint = selectors.webhook_endpoint_get(organization=request.organization, endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(
        organization=request.organization, delivery_id=delivery_id, endpoint=endpoint
    )
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    again = submit_or_message(
        request, services.delivery_redeliver, delivery=delivery, actor=actor(request), ip=client_ip(request)
    )
    if again is None:
        return redirect("webhook_delivery", endpoint_id=endpoint.pk, delivery_id=delivery.pk)
    messages.success(request, f"Redelivery #{again.pk} queued.")
    return redirect("webhook_delivery", endpoint_id=endpoint.pk, delivery_id=again.pk)
