"""One run's step time with 1, 2 and 4 worker processes, when the model answers in a fixed time.

A loopback OpenAI-compatible server sleeps ``latency_s`` (200 ms) before each chat completion and
then answers a valid decision (the fake provider's, derived from the prompt), and the provider
sends one request at a time: a worker's pace is fixed, so the speedup measures how well a step
spreads across workers, not the CPU. Each measurement is a fresh run of the same seeded scenario
(the ``llm`` policy, every persona acts every step, the decision cache emptied before it) with
N ``qcluster`` processes of one worker each, as on N machines, sharing one database and one
broker: django-q2's ORM broker on SQLite (the embedded default), or with ``--scale-out`` the
Redis broker on PostgreSQL (a private server of each, started for the measurement). A step's time
is read from the run's own events: the time between the first and the last step's commit,
divided by the steps between them (start-up excluded).

``speedup()`` runs all of it in a child process on a throwaway database, so the caller's Django
settings and database are left alone; ``python -m bench.worker_speedup`` prints the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import throwaway_db
from bench.writer_server import FixedLatencyServer

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = (1, 2, 4)
AGENTS = 128  # turns a step: eight shards of 16, so four workers get two each
STEPS = 3
LATENCY_S = 0.2
SHARD_TURNS = 16
RUN_TIMEOUT_S = 600


def speedup(
    workers: tuple[int, ...] = WORKERS,
    *,
    agents: int = AGENTS,
    steps: int = STEPS,
    latency_s: float = LATENCY_S,
    shard_turns: int = SHARD_TURNS,
    scale_out: bool = False,
) -> dict[str, Any]:
    """Seconds per step of one run with each number of workers, and the speedup over the first
    number (``{"seconds_per_step": {"1": ..}, "speedup": {"2": ..}, ...}`` with the set-up)."""
    with _backend(scale_out) as env:
        command = [
            sys.executable, "-m", "bench.worker_speedup", "--workers", ",".join(map(str, workers)),
            "--agents", str(agents), "--steps", str(steps), "--latency", str(latency_s),
            "--shard-turns", str(shard_turns), "--in-throwaway-database",
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=3600, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"worker speedup failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def _backend(scale_out: bool) -> Iterator[dict[str, str]]:
    """The child's environment: a throwaway SQLite file and the ORM broker, or (``scale_out``) a
    throwaway PostgreSQL database and a private Redis as the broker."""
    if not scale_out:
        with tempfile.TemporaryDirectory(prefix="simnet-speedup-") as tmp:
            yield throwaway_db.child_env(f"sqlite:///{tmp}/speedup.sqlite3")
        return
    with throwaway_db.databases("postgresql") as new_database, throwaway_db.redis_server() as redis_url:
        yield {**throwaway_db.child_env(new_database("speedup")), "REDIS_URL": redis_url}


def _scenario(base_url: str, agents: int, steps: int):
    from personas.models import FollowEdge, Panel, PanelMember
    from simnet.providers.models import ProviderConfig
    from simnet.tenancy.models import Membership, Organization, User
    from simulations.scenarios.services import scenario_create

    org = Organization.objects.create(name="Speedup", slug="speedup", monthly_budget_usd=10_000)
    user = User.objects.create_user(email="bench@speedup.example", password="speedup-bench-only")
    Membership.objects.create(organization=org, user=user, role="owner")
    panel = Panel.objects.create(organization=org, name="Speedup panel")
    personas = [_persona(org, i) for i in range(agents)]
    for persona in personas:
        PanelMember.objects.create(organization=org, panel=panel, persona=persona)
    for a, b in zip(personas, personas[1:] + personas[:1]):
        FollowEdge.objects.create(organization=org, panel=panel, follower=a, followee=b)
    provider = ProviderConfig.objects.create(
        organization=org, name="fixed latency", kind="openai_compat", model="fixed-latency",
        base_url=base_url, max_concurrency=1,
    )  # fmt: skip
    scenario = scenario_create(
        organization=org, actor=user, panel=panel, name="Speedup", steps=steps, provider=provider, policy="llm",
        stimuli=[{"text": "The gift that will change her life.", "author_handle": "PelotonBrand", "boost": 0.5}],
    )  # fmt: skip
    return scenario, user


def _persona(org, i: int):
    from personas.models import Persona

    return Persona.objects.create(
        organization=org, handle=f"p{i}", display_name=f"Person {i}", activity_rate=1.0,
        card=f"You are Person {i}, who likes cycling and cooking.", interests="cycling cooking fitness",
    )  # fmt: skip


def _start_workers(count: int, shard_turns: int) -> list[subprocess.Popen]:
    env = {**os.environ, "Q_WORKERS": "1", "SIMNET_SHARD_TURNS": str(shard_turns)}
    command = [sys.executable, "manage.py", "qcluster"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return [
        subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True, **quiet)
        for _ in range(count)
    ]


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def _seconds_per_step(scenario, user, workers: int, shard_turns: int) -> float:
    from django_q.models import Task

    from simnet.providers.models import DecisionCacheEntry
    from simulations.models import Run, RunEvent, RunStatus
    from simulations.runs.services import run_start

    DecisionCacheEntry.unscoped.all().delete()  # every measurement asks the server for every decision
    processes = _start_workers(workers, shard_turns)
    try:
        run = run_start(organization=scenario.organization, actor=user, scenario=scenario, seeds=[1])[0]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while Run.unscoped.get(pk=run.pk).status != RunStatus.COMPLETED:
            failed = Task.objects.filter(success=False, func__startswith="simulations.tasks.").first()
            if failed is not None:
                raise RuntimeError(
                    f"{failed.func} failed with {workers} worker(s): {str(failed.result)[-500:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the run with {workers} worker(s) did not complete: {Run.unscoped.get(pk=run.pk).status}"
                )
            time.sleep(0.2)
    finally:
        _stop(processes)
    commits = list(
        RunEvent.unscoped.filter(run=run, kind="step_done")
        .order_by("seq")
        .values_list("created_at", flat=True)
    )
    if len(commits) < 2:
        raise RuntimeError("a run of at least two steps is needed to time a step")
    return (commits[-1] - commits[0]).total_seconds() / (len(commits) - 1)


def measure(
    workers: tuple[int, ...], agents: int, steps: int, latency_s: float, shard_turns: int
) -> dict[str, Any]:
    """Only in ``speedup()``'s child, whose DATABASE_URL is a throwaway database: it migrates it."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the database cache, which workers share (no Redis)
    broker = f"redis ({connection.display_name})" if os.environ.get("REDIS_URL") else "orm (SQLite)"
    with FixedLatencyServer(latency_s) as server:
        scenario, user = _scenario(server.url, agents, steps)
        seconds = {n: _seconds_per_step(scenario, user, n, shard_turns) for n in workers}
    return {
        "latency_s": latency_s,
        "agents": agents,
        "steps": steps,
        "shard_turns": shard_turns,
        "broker": broker,
        "seconds_per_step": {str(n): round(s, 3) for n, s in seconds.items()},
        "speedup": {str(n): round(seconds[workers[0]] / s, 2) for n, s in seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--agents", type=int, default=AGENTS)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--latency", type=float, default=LATENCY_S)
    parser.add_argument("--shard-turns", type=int, default=SHARD_TURNS)
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="PostgreSQL and the Redis broker instead of SQLite and the ORM one",
    )
    parser.add_argument(
        "--in-throwaway-database", action="store_true", help=argparse.SUPPRESS
    )  # speedup()'s child
    args = parser.parse_args()
    workers = tuple(int(n) for n in args.workers.split(","))
    if args.in_throwaway_database:
        print(json.dumps(measure(workers, args.agents, args.steps, args.latency, args.shard_turns)))
    else:
        figures = speedup(
            workers,
            agents=args.agents,
            steps=args.steps,
            latency_s=args.latency,
            shard_turns=args.shard_turns,
            scale_out=args.scale_out,
        )
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
