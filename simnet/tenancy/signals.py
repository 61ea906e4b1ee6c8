"""Sign-in, sign-out and failed sign-in go to the audit log of the person's organizations.

Connected in ``TenancyConfig.ready``. Django cleanses the password out of the failed
sign-in credentials before sending the signal; only the email is read from them.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from simnet.tenancy import services
from simnet.tenancy.audit import client_ip


@receiver(user_logged_in, dispatch_uid="tenancy.audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    services.user_sign_in_record(user=user, ip=client_ip(request))


@receiver(user_logged_out, dispatch_uid="tenancy.audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.is_authenticated:
        services.user_sign_out_record(user=user, ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="tenancy.audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    email = credentials.get("username") or credentials.get("email") or ""
    services.user_sign_in_failed_record(email=email, ip=client_ip(request))
