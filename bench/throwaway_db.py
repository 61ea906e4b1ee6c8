"""Empty, migrated databases for the product-path benchmark, thrown away afterwards.

Migrating takes about 10 s, so each kind is migrated once into a template and every case gets a
copy: a file copy for SQLite, ``createdb --template`` for PostgreSQL. The PostgreSQL server is a
private cluster in a temporary directory on a free loopback port (as ``scripts/test_all.sh``
starts it for the tests), with the server's default durability settings.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
DATABASES = ("sqlite", "postgresql")

NewDatabase = Callable[[str], str]  # case name -> DATABASE_URL of a fresh migrated copy


def available_databases() -> tuple[str, ...]:
    """SQLite always; PostgreSQL when its server binaries are installed."""
    return DATABASES if (PGBIN / "initdb").exists() else ("sqlite",)


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process on ``database_url`` with django-q2's ORM broker (no Redis)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="simnet.settings", **extra)
    return env


def _migrate(database_url: str) -> None:
    for command in (["migrate", "--no-input", "-v0"], ["createcachetable"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO, env=child_env(database_url), check=True, capture_output=True, timeout=300,
        )  # fmt: skip


@contextmanager
def databases(kind: str) -> Iterator[NewDatabase]:
    """Yield a function that makes a fresh migrated database of ``kind`` and returns its URL."""
    with tempfile.TemporaryDirectory(prefix=f"simnet-bench-{kind}-") as tmp:
        if kind == "sqlite":
            yield _sqlite_copies(Path(tmp))
        elif kind == "postgresql":
            with _postgres_server(Path(tmp)) as port:
                yield _postgres_copies(port)
        else:
            raise ValueError(f"unknown database kind {kind!r}; known: {', '.join(DATABASES)}")


def _sqlite_copies(tmp: Path) -> NewDatabase:
    template = tmp / "template.sqlite3"
    _migrate(f"sqlite:///{template}")

    def new(name: str) -> str:
        path = tmp / f"{name}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    return new


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server() -> Iterator[str]:
    """A private ``redis-server`` on a free loopback port, nothing saved; yields its URL."""
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:g} s")


@contextmanager
def _postgres_server(tmp: Path) -> Iterator[int]:
    """A private PostgreSQL cluster (run as the ``postgres`` user when we are root)."""
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    tmp.chmod(0o755)
    if as_postgres:
        shutil.chown(tmp, "postgres")
    data, port = tmp / "pg", _free_port()
    _run([*as_postgres, PGBIN / "initdb", "-D", data, "-U", "simnet", "--auth=trust"])
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp}"
    _run([*as_postgres, PGBIN / "pg_ctl", "-D", data, "-o", options, "-l", tmp / "pg.log", "-w", "start"])
    try:
        yield port
    finally:
        _run([*as_postgres, PGBIN / "pg_ctl", "-D", data, "-m", "immediate", "stop"])


def _run(command: list) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _postgres_copies(port: int) -> NewDatabase:
    def createdb(*args: str) -> None:
        _run([PGBIN / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "simnet", *args])

    createdb("bench_template")
    _migrate(f"postgres://simnet@127.0.0.1:{port}/bench_template")

    def new(name: str) -> str:
        createdb("--template", "bench_template", name)
        return f"postgres://simnet@127.0.0.1:{port}/{name}"

    return new
