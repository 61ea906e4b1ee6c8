"""Helpers for tests that start other processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def database_url_for_subprocess() -> str:
    """DATABASE_URL that points a child process at the database this test is using."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for_subprocess()
    env["DJANGO_SETTINGS_MODULE"] = "simnet.settings"
    env.update(extra)
    return env


def run_django_code(code: str, timeout: float = 60, **extra_env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python process with Django set up on the test database."""
    prelude = "import django; django.setup()\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=BASE_DIR,
        env=subprocess_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def start_qcluster(**extra_env: str) -> subprocess.Popen:
    """A real django-q2 worker process on the test database (caller stops it).

    Its output goes to an unnamed temporary file, ``process.log``: a pipe that nobody reads fills
    up after 64 KiB of log lines and then blocks the worker mid-task, silently.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process, read after it
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=subprocess_env(**extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    return process
