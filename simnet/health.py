"""Health endpoint: database, broker and worker liveness, for load balancers and people."""

from __future__ import annotations

from datetime import timedelta

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


@require_GET
def health(request):
    checks = {"database": _database(), "broker": _broker(), "worker": _workers()}
    healthy = checks["database"]["ok"] and checks["broker"]["ok"]
    status = "ok" if healthy and checks["worker"]["ok"] else ("degraded" if healthy else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
