"""The sign-in backend: Django's email + password check behind the failed sign-in locks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from simnet.tenancy import login_throttle
from simnet.tenancy.audit import client_ip


class ThrottledModelBackend(ModelBackend):
    """Refuses every password, right or wrong, while the email or the client address is locked.

    Enforced here rather than in the sign-in form so every caller of ``authenticate`` obeys it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        if email is None or password is None:
            return None
        ip = client_ip(request)
        if login_throttle.locked_until(email=email, ip=ip) is not None:
            return None
        user = super().authenticate(request, username=email, password=password)
        if user is None:
            login_throttle.record_failure(email=email, ip=ip)
        else:
            login_throttle.record_success(email=email)
        return user
