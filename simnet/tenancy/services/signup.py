"""Sign-up from the public page: never says whether an email already has an account.

Every valid sign-up gets the same answer ("check your email"). A new email gets an inactive
account and a confirmation link (again, for an account whose first link was never used; its
first password stays); an email that already has an account gets a notice mail instead (sign in,
or reset the password). Only the owner of the mailbox learns which.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.services.accounts import (
    DUPLICATE_EMAIL,
    checked_candidate,
    normalized_email,
    save_account,
)

User = get_user_model()
logger = logging.getLogger(__name__)


@transaction.atomic
def user_signup_request(
    *, email: str, password: str, name: str, organization_name: str, next_url: str = "", ip: str | None = None
) -> None:
    """Start a sign-up; mails a confirmation link, or a notice when the email is taken.

    The password is checked and hashed before the email is looked up, so both paths cost
    the same and a weak password is refused whether or not the email exists.
    """
    candidate = checked_candidate(email=normalized_email(email), name=name, password=password)
    candidate.is_active = False  # until the link in the mail proves the address
    existing = User.objects.filter(email__iexact=candidate.email).first()
    if existing is None:
        try:
            save_account(candidate, organization_name=organization_name, ip=ip)
        except ApplicationError as error:
            if error.code != DUPLICATE_EMAIL:
                raise
            existing = User.objects.get(email__iexact=candidate.email)  # signed up a moment ago
    if existing is None:
        transaction.on_commit(lambda: _send_confirmation(candidate, next_url))
    elif not existing.is_active and existing.last_login is None:  # never confirmed: the link again
        transaction.on_commit(lambda: _send_confirmation(existing, next_url))
    else:
        transaction.on_commit(lambda: _send_notice(existing))


@transaction.atomic
def user_signup_confirm(*, uidb64: str, token: str) -> User:
    """Activate the account a confirmation link was mailed for; a link works once."""
    user = _user_from_uid(uidb64)
    if user is None or user.is_active or not default_token_generator.check_token(user, token):
        raise ApplicationError(
            "This confirmation link is not valid any more. Sign in, or sign up again.",
            code="signup_link_invalid",
        )
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def signup_confirm_url(user, next_url: str = "") -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("signup_confirm", args=[uidb64, default_token_generator.make_token(user)])
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return settings.SITE_URL.rstrip("/") + path + query


def _user_from_uid(uidb64: str):
    try:
        return User.objects.filter(pk=int(urlsafe_base64_decode(uidb64).decode())).first()
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def _site_url(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def _send_confirmation(user, next_url: str) -> None:
    context = {"user": user, "confirm_url": signup_confirm_url(user, next_url)}
    _send("signup_confirm", context, user.email)
    logger.info("Sign-up confirmation emailed for user %s", user.pk)


def _send_notice(user) -> None:
    context = {"user": user, "login_url": _site_url("login"), "reset_url": _site_url("password_reset")}
    _send("signup_notice", context, user.email)
    logger.info("Sign-up attempt for existing user %s; notice emailed", user.pk)


def _send(template: str, context: dict, to: str) -> None:
    subject = render_to_string(f"tenancy/emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"tenancy/emails/{template}_body.txt", context)
    send_mail(subject, body, None, [to])
