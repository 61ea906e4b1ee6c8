"""DRF authentication by organization API token: ``Authorization: Bearer snt_…``."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from simnet.tenancy.models import ApiToken
from simnet.tenancy.secrets import hash_token

TOKEN_PREFIX = "snt"
# ``last_used_at`` is advisory: written at most this often, so reads rarely need the write lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)

logger = logging.getLogger(__name__)


class TokenPrincipal:
    """The 'user' of a token-authenticated request: acts for one organization with one role."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None
    id = None
    email = ""

    def __init__(self, token: ApiToken):
        self.token = token

    def __str__(self) -> str:
        return f"API token {self.token.name}"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        token = (
            ApiToken.unscoped.select_related("organization")
            .filter(token_hash=hash_token(parts[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        _note_use(token)
        request._request.organization = token.organization
        request._request.api_token = token
        return TokenPrincipal(token), token

    def authenticate_header(self, request):
        return self.keyword


def _note_use(token: ApiToken) -> None:
    """Record when the token was last used, at most once a minute, never failing the request.

    Under SQLite every write waits for the database lock; a busy database must not turn a
    read into a 500 ("database is locked"), so a failed write is logged and skipped.
    """
    now = timezone.now()
    stale_before = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale_before:
        return
    try:
        with transaction.atomic():  # a savepoint, so a failure leaves an outer transaction usable
            ApiToken.unscoped.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before), pk=token.pk
            ).update(last_used_at=now)  # the condition keeps concurrent requests to one write
    except DatabaseError:
        logger.warning("Could not record the use of API token %s; skipped", token.pk, exc_info=True)
