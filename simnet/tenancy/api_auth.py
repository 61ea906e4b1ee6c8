"""DRF authentication by organization API token: ``Authorization: Bearer snt_…``."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .secrets import hash_token

TOKEN_PREFIX = "snt"


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
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 30:
            ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=now)
        request._request.organization = token.organization
        request._request.api_token = token
        return TokenPrincipal(token), token

    def authenticate_header(self, request):
        return self.keyword
