"""Input validation for the account and organization pages.

Forms only check shape; the rules (who may grant which role, duplicate emails, last
owner) live in ``services`` and come back as ``ApplicationError`` that views put on the
form with ``simnet.web.submit_form``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from simnet.tenancy import login_throttle, roles
from simnet.tenancy.audit import Actions, client_ip
from simnet.tenancy.roles import Role


def roles_up_to(role: str | None) -> list[tuple[str, str]]:
    """Role choices someone with ``role`` may hand out (theirs and below)."""
    if role is None:
        return []
    return [(value, label) for value, label in Role.choices if roles.rank(value) <= roles.rank(role)]


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for an email and saying plainly when it does not match."""

    error_messages: ClassVar[dict[str, str]] = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong email or password. Check both, or reset your password.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update(type="email", autocomplete="email")

    def clean_username(self) -> str:
        return (self.cleaned_data.get("username") or "").strip().lower()

    def clean(self):
        """Say so when sign-in is locked (the backend refuses even the right password meanwhile)."""
        try:
            return super().clean()
        except ValidationError:
            until = login_throttle.locked_until(
                email=self.cleaned_data.get("username") or "", ip=client_ip(self.request)
            )
            if until is None:
                raise
            minutes = login_throttle.minutes_left(until)
            raise ValidationError(
                f"Too many failed sign-ins for this email or from your network. Sign-in is locked: "
                f"try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                code="locked",
            ) from None


class SignupForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common or all-numeric password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    organization_name = forms.CharField(
        label="Organization name", max_length=120, help_text="Your team or company; you can rename it later."
    )

    def __init__(self, *args, joining: bool = False, **kwargs):
        """``joining``: signing up to accept an invitation, so no organization of one's own."""
        super().__init__(*args, **kwargs)
        if joining:
            del self.fields["organization_name"]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return cleaned


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autofocus": True}))


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    monthly_budget_usd = forms.DecimalField(
        label="Monthly budget (USD)",
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        help_text="Runs pause when the month's model spending reaches this.",
    )
    max_concurrent_runs = forms.IntegerField(label="Max concurrent runs", min_value=1, max_value=1000)


class RoleForm(forms.Form):
    """A role; accepts any valid one, offers only those the actor may grant (``grantable``)."""

    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, grantable: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if grantable is not None:
            self.fields["role"].widget.choices = grantable


class InvitationForm(RoleForm):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"placeholder": "name@example.com"}))
    field_order = ("email", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Role.MEMBER


class ApiTokenForm(RoleForm):
    name = forms.CharField(max_length=80, widget=forms.TextInput(attrs={"placeholder": "CI pipeline"}))
    field_order = ("name", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Role.MEMBER


def _action_choices() -> list[tuple[str, str]]:
    actions = sorted(value for name, value in vars(Actions).items() if name.isupper())
    return [("", "Any action"), *((action, action) for action in actions)]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, choices=_action_choices)
    actor = forms.ModelChoiceField(required=False, queryset=None, empty_label="Anyone")

    def __init__(self, *args, actors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = actors
