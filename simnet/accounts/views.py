"""Account and organization pages. Thin: validate, call one service or selector, render.

Conventions: ``PermissionDeniedError`` always propagates (403 through the error
middleware); other ``ApplicationError``s land on the form the user just submitted, or
propagate when there is no form. HTMX requests get the page's named partial, with the
flash messages swapped out of band; every form also works as a plain POST.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from simnet.accounts.forms import (
    ApiTokenForm,
    AuditFilterForm,
    InvitationForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    RoleForm,
    SignupForm,
    roles_up_to,
)
from simnet.tenancy import roles, selectors, services
from simnet.tenancy.access import require_role
from simnet.tenancy.audit import client_ip
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.middleware import SESSION_KEY
from simnet.tenancy.mixins import org_view
from simnet.tenancy.roles import Role
from simnet.web import post_only, submit_form, submit_or_message

AUDIT_PAGE_SIZE = 25
API_BASE_PATH = "/api/v1/"


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else ""


def _is_invitation_url(url: str) -> bool:
    try:
        return resolve(urlsplit(url).path).url_name == "invitation_accept"
    except Resolver404:
        return False


def _partial(request, template: str, partial: str) -> str:
    return f"{template}#{partial}" if request.htmx else template


# --- accounts --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """The same answer for every valid sign-up, so the page never tells which emails exist."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    joining = _is_invitation_url(next_url)
    form = SignupForm(request.POST or None, joining=joining, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submit_form(
            form,
            services.user_signup_request,
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            organization_name=data.get("organization_name", ""),
            next_url=next_url,
            ip=client_ip(request),
        )
        if not form.errors:  # the service added none
            return redirect("signup_sent")
    return render(request, "registration/signup.html", {"form": form, "next": next_url, "joining": joining})


@require_safe
def signup_sent(request):
    return render(request, "registration/signup_sent.html")


@require_safe
def signup_confirm(request, uidb64: str, token: str):
    """The link from the confirmation mail: activates the account and signs in."""
    user = submit_or_message(request, services.user_signup_confirm, uidb64=uidb64, token=token)
    if user is None:
        return redirect("login")
    login(request, user)
    messages.success(request, "Welcome to simnet.")
    return redirect(_safe_next(request) or "home")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view; links in the email use SITE_URL, never the request's Host header."""

    @property
    def extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL.rstrip("/")}


# --- organizations ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def org_create(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = submit_form(
            form,
            services.organization_create,
            name=form.cleaned_data["name"],
            owner=request.user,
            ip=client_ip(request),
        )
        if organization is not None:
            request.session[SESSION_KEY] = organization.pk
            messages.success(request, f"{organization.name} is ready; you are its owner.")
            return redirect("home")
    return render(request, "tenancy/org_create.html", {"form": form})


@login_required
@require_POST
def org_switch(request):
    organization = selectors.organization_get_for_user(
        user=request.user, organization_id=request.POST.get("organization")
    )
    request.session[SESSION_KEY] = organization.pk
    return redirect(_safe_next(request) or "home")


@org_view()
@require_http_methods(["GET", "HEAD", "POST"])
def org_settings(request):
    organization = request.organization
    can_manage = roles.at_least(request.membership.role, roles.MANAGE)
    if request.method == "POST":
        require_role(request.membership.role, roles.MANAGE, "change the organization's settings")
        form = OrganizationSettingsForm(request.POST)
        if form.is_valid() and submit_form(
            form,
            services.organization_update,
            organization=organization,
            actor=request.user,
            ip=client_ip(request),
            **form.cleaned_data,
        ):
            messages.success(request, "Settings saved.")
            return redirect("org_settings")
    else:
        fields = ["name", "monthly_budget_usd", "max_concurrent_runs"]
        form = OrganizationSettingsForm(initial={field: getattr(organization, field) for field in fields})
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {"nav": "settings", "form": form, "can_manage": can_manage}
    return render(request, "tenancy/org_settings.html", context)


@org_view()
@require_POST
def org_leave(request):
    organization = request.organization
    services.organization_leave(organization=organization, user=request.user, ip=client_ip(request))
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"You left {organization.name}.")
    if request.htmx:  # a whole-page change: let htmx navigate instead of swapping the form
        return HttpResponseClientRedirect(reverse("home"))
    return redirect("home")


# --- members and invitations -----------------------------------------------------------------


def _members_context(request, *, invite_form: InvitationForm | None = None) -> dict:
    organization = request.organization
    membership = selectors.membership_get_for_user(organization=organization, user=request.user)
    role = membership.role if membership else None
    can_manage = role is not None and roles.at_least(role, roles.MANAGE)
    grantable = roles_up_to(role)
    members = list(selectors.membership_list(organization=organization))
    for member in members:
        member.editable = can_manage and (role == Role.OWNER or member.role != Role.OWNER)
    return {
        "nav": "members",
        "members": members,
        "invitations": list(selectors.invitation_open_list(organization=organization)) if can_manage else [],
        "invite_form": invite_form or InvitationForm(grantable=grantable),
        "grantable_roles": grantable,
        "can_manage": can_manage,
        "now": timezone.now(),
    }


@org_view()
def member_list(request):
    return render(request, "tenancy/member_list.html", _members_context(request))


@org_view(roles.MANAGE)
@require_POST
def member_invite(request):
    form = InvitationForm(request.POST, grantable=roles_up_to(request.membership.role))
    if form.is_valid():
        created = submit_form(
            form,
            services.invitation_create,
            organization=request.organization,
            actor=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            ip=client_ip(request),
        )
        if created is not None:
            messages.success(request, f"Invitation sent to {created[0].email}.")
            if not request.htmx:
                return redirect("member_list")
            form = None
    context = _members_context(request, invite_form=form)
    return render(request, _partial(request, "tenancy/member_list.html", "invitations"), context)


@org_view(roles.MANAGE)
def invitation_revoke(request, invitation_id: int):
    invitation = selectors.invitation_get(organization=request.organization, invitation_id=invitation_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    services.invitation_revoke(invitation=invitation, actor=request.user, ip=client_ip(request))
    messages.success(request, f"Invitation for {invitation.email} revoked.")
    if not request.htmx:
        return redirect("member_list")
    return render(request, "tenancy/member_list.html#invitations", _members_context(request))


@org_view(roles.MANAGE)
def member_role(request, membership_id: int):
    membership = selectors.membership_get(organization=request.organization, membership_id=membership_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("Choose a valid role.", fields={"role": ["Choose a valid role."]})
    services.membership_change_role(
        membership=membership, actor=request.user, role=form.cleaned_data["role"], ip=client_ip(request)
    )
    messages.success(
        request, f"{membership.user.email} is now {Role(form.cleaned_data['role']).label.lower()}."
    )
    if not request.htmx:
        return redirect("member_list")
    return render(request, "tenancy/member_list.html#members", _members_context(request))


@org_view(roles.MANAGE)
def member_remove(request, membership_id: int):
    membership = selectors.membership_get(organization=request.organization, membership_id=membership_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    services.membership_remove(membership=membership, actor=request.user, ip=client_ip(request))
    messages.success(request, f"{membership.user.email} was removed.")
    if not request.htmx:
        return redirect("member_list")
    return render(request, "tenancy/member_list.html#members", _members_context(request))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request, token: str):
    """The emailed link. Anyone with it sees what it offers; only the invited address may accept."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        membership = services.invitation_accept(raw_token=token, user=request.user, ip=client_ip(request))
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"You joined {membership.organization.name} as {membership.role}.")
        return redirect("home")
    invitation = selectors.invitation_get_by_token(raw_token=token)
    problem = services.invitation_problem(invitation)
    if problem is not None:
        return render(
            request, "tenancy/invitation_accept.html", {"problem": problem.message}, status=problem.status
        )
    user = request.user
    context = {
        "invitation": invitation,
        "email_matches": user.is_authenticated and user.email.lower() == invitation.email.lower(),
        "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
        "signup_url": f"{reverse('signup')}?{urlencode({'next': request.path, 'email': invitation.email})}",
    }
    return render(request, "tenancy/invitation_accept.html", context)


# --- API tokens ------------------------------------------------------------------------------


def _tokens_context(request, *, form: ApiTokenForm | None = None, new_token=None, new_raw: str = "") -> dict:
    role = request.membership.role
    site = settings.SITE_URL.rstrip("/")
    return {
        "nav": "api",
        "tokens": selectors.api_token_list(organization=request.organization),
        "form": form or ApiTokenForm(grantable=roles_up_to(role)),
        "can_manage": roles.at_least(role, roles.MANAGE),
        "new_token": new_token,
        "new_token_raw": new_raw,
        "api_base": site + API_BASE_PATH,
        "example_url": site + reverse("api_organization"),
    }


@org_view()
def token_list(request):
    return render(request, "tenancy/token_list.html", _tokens_context(request))


@never_cache
@org_view(roles.MANAGE)
@require_POST
def token_create(request):
    """Creates a token and shows its secret in this response only (no redirect could carry it)."""
    form = ApiTokenForm(request.POST, grantable=roles_up_to(request.membership.role))
    created = None
    if form.is_valid():
        created = submit_form(
            form,
            services.api_token_create,
            organization=request.organization,
            actor=request.user,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            ip=client_ip(request),
        )
    if created is not None:
        token, raw = created
        context = _tokens_context(request, new_token=token, new_raw=raw)
    else:
        context = _tokens_context(request, form=form)
    return render(request, _partial(request, "tenancy/token_list.html", "tokens"), context)


@org_view(roles.MANAGE)
def token_revoke(request, token_id: int):
    token = selectors.api_token_get(organization=request.organization, token_id=token_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    services.api_token_revoke(token=token, actor=request.user, ip=client_ip(request))
    messages.success(request, f"Token {token.name} revoked; requests using it now get 401.")
    if not request.htmx:
        return redirect("token_list")
    return render(request, "tenancy/token_list.html#tokens", _tokens_context(request))


# --- audit log -------------------------------------------------------------------------------


@org_view(roles.MANAGE)
def audit_log(request):
    organization = request.organization
    form = AuditFilterForm(
        request.GET or None, actors=selectors.audit_actor_choices(organization=organization)
    )
    filters = {"action": "", "actor": None}
    if form.is_bound and form.is_valid():
        filters = {"action": form.cleaned_data["action"], "actor": form.cleaned_data["actor"]}
    events = selectors.audit_event_list(organization=organization, **filters)
    if form.is_bound and not form.is_valid():
        events = events.none()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "audit", "form": form, "page": page}
    return render(request, _partial(request, "tenancy/audit_log.html", "results"), context)
