"""Django admin for staff. Staff span organizations, so tenant tables are read through
``Model.unscoped`` here (system code); secrets and the audit log are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from simnet.tenancy.models import ApiToken, AuditEvent, Invitation, Membership, Organization, User


class UnscopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = self.model.unscoped.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at", "monthly_budget_usd", "max_concurrent_runs")
    search_fields = ("name", "slug")
    inlines = (MembershipInline,)


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("email", "organization__name")
    readonly_fields = ("token_hash", "invited_by", "accepted_by", "created_at", "accepted_at")


@admin.register(ApiToken)
class ApiTokenAdmin(UnscopedAdmin):
    list_display = ("name", "prefix", "organization", "role", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("name", "prefix", "organization__name")
    readonly_fields = ("prefix", "token_hash", "created_by", "created_at", "last_used_at")


@admin.register(AuditEvent)
class AuditEventAdmin(UnscopedAdmin):
    list_display = ("created_at", "organization", "actor_label", "action", "target_label", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "target_label", "organization__name")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
