"""Per-organization rate limits: one budget for reads, one for writes, shared by all its credentials.

The organization comes from the credential (API token or session membership), never the
body. Counting is a fixed window in Django's cache (``cache.add`` + ``cache.incr``), so
every web process shares it through the DB cache (embedded) or Redis (scale-out); Redis
counts atomically, the DB cache approximately under heavy concurrency. Rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["org_read" | "org_write"]`` (e.g. "600/min");
``None`` switches a limit off. A refused request gets 429 with ``Retry-After`` set to the
seconds left in the window.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from simnet.tenancy.permissions import request_organization

DEFAULT_RATES = {"org_read": "600/min", "org_write": "60/min"}
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/min"`` -> (60, 60): requests allowed per window of seconds."""
    try:
        count, period = rate.split("/")
        return int(count), _PERIOD_SECONDS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(f"Bad throttle rate {rate!r}; use e.g. '600/min' or '10/s'.") from exc


class OrganizationRateThrottle(BaseThrottle):
    """Base class: counts the requests of one organization (or, unauthenticated, one address)."""

    scope = ""
    counts_safe_methods = True
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self._wait: float | None = None

    def applies_to(self, request) -> bool:
        return (request.method in SAFE_METHODS) == self.counts_safe_methods

    def rate(self) -> tuple[int, int] | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        configured = rates.get(self.scope, DEFAULT_RATES[self.scope])
        return None if configured is None else parse_rate(configured)

    def ident(self, request) -> str:
        organization = request_organization(request)
        return f"org:{organization.pk}" if organization is not None else f"addr:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        rate = self.rate()
        if rate is None or not self.applies_to(request):
            return True
        limit, window_seconds = rate
        now = self.timer()
        window = math.floor(now / window_seconds)
        key = f"simnet:throttle:{self.scope}:{self.ident(request)}:{window}"
        if self._count(key, window_seconds) <= limit:
            return True
        self._wait = (window + 1) * window_seconds - now
        return False

    @staticmethod
    def _count(key: str, window_seconds: int) -> int:
        cache.add(key, 0, timeout=window_seconds + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_seconds + 1)
            return 1

    def wait(self) -> float | None:
        return self._wait


class OrganizationReadThrottle(OrganizationRateThrottle):
    """GET, HEAD and OPTIONS."""

    scope = "org_read"
    counts_safe_methods = True


class OrganizationWriteThrottle(OrganizationRateThrottle):
    """POST, PUT, PATCH and DELETE: the requests that change things or start work."""

    scope = "org_write"
    counts_safe_methods = False
