"""Health endpoint: database, broker and worker liveness, for load balancers and people.

Anyone may ask whether the service is up and gets ``{"status": "ok"}`` (200) or
``{"status": "down"}`` (503), nothing more: versions, queue kinds, worker counts and error
texts help an attacker. Staff (signed in) and monitors sending the ``HEALTH_TOKEN`` as
``Authorization: Bearer <token>`` also get each check and the ``degraded`` status.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

WORKER_STALE_AFTER = timedelta(seconds=90)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - report, don't crash: the endpoint describes failures
        return {"ok": False, "error": str(exc)[:200]}


def _broker() -> dict:
    from django_q.brokers import get_broker

    try:
        broker = get_broker()
        return {"ok": bool(broker.ping()), "kind": type(broker).__name__}
    except Exception as exc:  # noqa: BLE001 - any broker failure is a failed check
        return {"ok": False, "error": str(exc)[:200]}


def _workers() -> dict:
    from django_q.status import Stat

    try:
        clusters = Stat.get_all()
    except Exception as exc:  # noqa: BLE001 - any broker failure is a failed check
        return {"ok": False, "error": str(exc)[:200], "clusters": 0}
    now = timezone.now()
    alive = [c for c in clusters if c.timestamp and now - c.timestamp < WORKER_STALE_AFTER]
    return {"ok": bool(alive), "clusters": len(alive), "workers": sum(len(c.workers or []) for c in alive)}


def _sees_details(request) -> bool:
    """Staff, or a monitor presenting the configured health token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    expected = settings.HEALTH_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


@require_GET
def health(request):
    checks = {"database": _database(), "broker": _broker(), "worker": _workers()}
    healthy = checks["database"]["ok"] and checks["broker"]["ok"]
    http_status = 200 if healthy else 503
    if not _sees_details(request):
        return JsonResponse({"status": "ok" if healthy else "down"}, status=http_status)
    status = "ok" if healthy and checks["worker"]["ok"] else ("degraded" if healthy else "down")
    return JsonResponse({"status": status, "checks": checks}, status=http_status)
