"""The view and DRF mixins every customer endpoint uses (PostHog's TeamAndOrgViewSetMixin idea).

The organization always comes from the credential (session membership or API token),
never from the URL or the body. Querysets are scoped here, once.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from rest_framework import serializers

from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.permissions import request_organization, request_role


def org_view(minimum: str = roles.READ):
    """Decorator for HTML views: signed in, has an organization, role at least ``minimum``.

    A user without any organization is sent to create one; a role too low gets 403 (the
    object exists in *their* organization, so hiding it would only confuse them).
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.organization is None:
                return redirect("org_create")
            require_role(request.membership.role, minimum)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class OrganizationScopedMixin:
    # For DRF views: ``scoped_queryset`` is the only way to the model's rows. (A comment, not a
    # docstring: drf-spectacular would publish it as the description of every operation.)

    write_role = roles.WRITE

    @property
    def organization(self):
        org = request_organization(self.request)
        if org is None:
            raise Http404
        return org

    @property
    def role(self) -> str | None:
        return request_role(self.request)

    def get_queryset(self):
        return self.scoped_queryset(self.queryset.model.objects.for_org(self.organization))

    def scoped_queryset(self, queryset):
        """Hook for views that need select_related/filters; receives the scoped queryset."""
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = request_organization(self.request)
        return context


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id in a request body resolves only inside the caller's organization."""

    def get_queryset(self):
        organization = self.context.get("organization")
        if organization is None:
            raise serializers.ValidationError("No organization in context.")
        return self.queryset.model.objects.for_org(organization)
