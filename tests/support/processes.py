"""Helpers for tests that start real servers and workers as subprocesses on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(found: Callable[[], T], timeout: float, what: str, *, every: float = 0.1) -> T:
    """The first truthy value of ``found()``; fails the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def start_logged(command: list[str], **popen: object) -> subprocess.Popen:
    """``command`` started with its output in an unnamed temporary file, ``process.log``: a pipe
    that nobody reads fills up after 64 KiB (a server's request log) and then blocks the server."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process, read after it
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    process.log = log
    return process


def logged_output(process: subprocess.Popen, last: int = 2000) -> str:
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-last:]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Returns once ``process`` (started by ``start_logged``) listens on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early: {logged_output(process)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listened on {port} within {timeout}s")


def stop_group(process: subprocess.Popen) -> None:
    """TERM, then KILL after 10 s, to the process group of ``process`` (started in a new session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
