"""Writes for accounts, organizations, members, invitations and API tokens.

Every function is keyword-only and atomic, checks the actor's role itself (views check
too, but a service must be safe to call from anywhere) and records its audit event in
the same transaction. Business-rule failures raise ``ApplicationError`` (403 ones raise
``PermissionDeniedError``); nothing is written when they do.

Membership changes lock the organization row first, so two owners demoting each other
at the same moment cannot leave the organization without an owner.
"""

from simnet.tenancy.services.accounts import (
    organization_create,
    organization_leave,
    organization_update,
    user_sign_in_failed_record,
    user_sign_in_record,
    user_sign_out_record,
    user_signup,
)
from simnet.tenancy.services.invitations import (
    invitation_accept,
    invitation_accept_url,
    invitation_create,
    invitation_problem,
    invitation_revoke,
)
from simnet.tenancy.services.members import membership_change_role, membership_remove
from simnet.tenancy.services.signup import user_signup_confirm, user_signup_request
from simnet.tenancy.services.tokens import api_token_create, api_token_revoke

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "invitation_accept",
    "invitation_accept_url",
    "invitation_create",
    "invitation_problem",
    "invitation_revoke",
    "membership_change_role",
    "membership_remove",
    "organization_create",
    "organization_leave",
    "organization_update",
    "user_sign_in_failed_record",
    "user_sign_in_record",
    "user_sign_out_record",
    "user_signup",
    "user_signup_confirm",
    "user_signup_request",
]
