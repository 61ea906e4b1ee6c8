"""Account, organization, member, token and audit-log pages (included at the site root)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from simnet.accounts import views
from simnet.accounts.forms import EmailAuthenticationForm

urlpatterns = [
    # accounts
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/confirm/<str:uidb64>/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    # organizations
    path("organizations/new/", views.org_create, name="org_create"),
    path("organizations/switch/", views.org_switch, name="org_switch"),
    path("settings/", views.org_settings, name="org_settings"),
    path("settings/leave/", views.org_leave, name="org_leave"),
    # members and invitations
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # API tokens and the audit log
    path("api-tokens/", views.token_list, name="token_list"),
    path("api-tokens/new/", views.token_create, name="token_create"),
    path("api-tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
]
