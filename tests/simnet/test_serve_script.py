"""`make run`'s supervisor (scripts/serve.sh): a worker or web server that dies is replaced while
the other stays up, and stopping it leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.processes import free_port, wait_for

pytestmark = pytest.mark.slow


def _pids(log: Path, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"{name} pid (\d+)", log.read_text())]


def _alive(pid: int, *, group: bool = False) -> bool:
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return response.status in (200, 503)
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    env.pop("REDIS_URL", None)
    for command in (["migrate", "--no-input", "-v0"], ["createcachetable"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env, check=True, timeout=180
        )
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "scripts/serve.sh", "127.0.0.1", str(port)],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    yield process, port, log
    for pid in [process.pid, *_pids(log, "worker")]:  # whatever a failed test left running
        if _alive(pid, group=True):
            os.killpg(pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_a_killed_worker_is_replaced_and_a_stop_leaves_nothing_running(served):
    process, port, log = served
    [first] = wait_for(lambda: _pids(log, "worker"), 60, "the first worker")
    [web] = _pids(log, "web")
    wait_for(lambda: _answers(port), 60, "the web server")

    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: _pids(log, "worker")[1:], 30, "a second worker")[0]
    assert second != first and _alive(second)
    assert not _alive(first, group=True), "the dead worker's child processes were cleaned up"
    assert process.poll() is None and _answers(port), "the web server stayed up"

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=40)
    assert not _alive(web) and not _alive(second, group=True), log.read_text()[-2000:]


def test_a_killed_web_server_is_replaced_while_the_worker_stays_up(served):
    process, port, log = served
    [worker] = wait_for(lambda: _pids(log, "worker"), 60, "the worker")
    [first] = wait_for(lambda: _pids(log, "web"), 60, "the web server")
    wait_for(lambda: _answers(port), 60, "the web server to answer")

    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: _pids(log, "web")[1:], 30, "a second web server")[0]
    wait_for(lambda: _answers(port), 60, "the second web server to answer")

    assert second != first and not _alive(first)
    assert process.poll() is None and _alive(worker) and _pids(log, "worker") == [worker], (
        "the worker stayed up"
    )
