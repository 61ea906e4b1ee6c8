"""Health endpoint, production hardening and settings from the environment."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_health_reports_database_broker_and_worker(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))  # anonymous callers get only ok / not ok
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["status"] in {"ok", "degraded"}  # "degraded": no worker is running in this test
    assert body["checks"]["worker"]["ok"] is (body["status"] == "ok")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # the caller checks the exit code
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "SIMNET_PRODUCTION": "1",
    "SECRET_KEY": "x9!kQ2v#Lr8@pZ4m$Tn6^Wb1&Yc7*Hd3(Jf5)Ge0_Ua2+Sq8=Vx4-Rz6~Ek1",
    "ALLOWED_HOSTS": "simnet.example.com",
    "DATABASE_URL": "sqlite:////tmp/simnet-deploy-check.sqlite3",
}


@pytest.mark.slow  # manage.py in a child process
def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "override, message",
    [({"SECRET_KEY": ""}, "SECRET_KEY must be set"), ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must name real hosts")],
)
def test_production_refuses_unsafe_settings(override, message):
    result = _manage("check", **{**PRODUCTION, **override})
    assert result.returncode != 0 and message in result.stderr


def test_sqlite_uses_wal_and_immediate_transactions():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite-only setting")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_htmx_requests_carry_the_csrf_token(client, tenancy, client_for):
    page = client_for(tenancy.member).get("/")
    assert b'hx-headers=\'{"X-CSRFToken": "' in page.content
