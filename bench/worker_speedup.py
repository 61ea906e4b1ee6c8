"""One run's step time with 1, 2 and 4 worker processes, when the model answers in a fixed time.

A loopback OpenAI-compatible server sleeps ``latency_s`` (200 ms) before each chat completion and
then answers a valid decision (the fake provider's, derived from the prompt), and the provider
sends one request at a time: a worker's pace is fixed, so the speedup measures how well a step
spreads across workers, not the CPU. Each measurement is a fresh run of the same seeded scenario
(the ``llm`` policy, every persona acts every step, the decision cache emptied before it) with
N ``qcluster`` processes of one worker each, as on N machines, sharing one database and
django-q2's ORM broker. A step's time is read from the run's own events: the time between the
first and the last step's commit, divided by the steps between them (start-up excluded).

``speedup()`` runs all of it in a child process on a throwaway SQLite database, so the caller's
Django settings and database are left alone; ``python -m bench.worker_speedup`` prints the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

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
) -> dict[str, Any]:
    """Seconds per step of one run with each number of workers, and the speedup over the first
    number (``{"seconds_per_step": {"1": ..}, "speedup": {"2": ..}, ...}`` with the set-up)."""
    with tempfile.TemporaryDirectory(prefix="simnet-speedup-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "simnet.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/speedup.sqlite3",
        }
        env.pop("REDIS_URL", None)  # the ORM broker of the throwaway database, no shared queue
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


class FixedLatencyServer:
    """``POST /v1/chat/completions`` answered after ``latency_s`` with the fake provider's decision."""

    def __init__(self, latency_s: float) -> None:
        from simnet.llm.testing import FakeProvider

        fake, lock = FakeProvider(), threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                time.sleep(latency_s)
                with lock:
                    content = _answer(fake, body)
                payload = json.dumps(
                    {
                        "choices": [
                            {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 400, "completion_tokens": 40},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _answer(fake, body: dict) -> str:
    from simnet.llm.base import LLMRequest

    messages = body["messages"]
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    format_ = body.get("response_format") or {}
    schema = (format_.get("json_schema") or {}).get("schema") or ({} if format_ else None)
    request = LLMRequest(
        key="agent", system=system, user=messages[-1]["content"], schema=schema, seed=body.get("seed", 0)
    )
    return fake.generate([request])[0].text


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

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the database cache, which workers share
    with FixedLatencyServer(latency_s) as server:
        scenario, user = _scenario(server.url, agents, steps)
        seconds = {n: _seconds_per_step(scenario, user, n, shard_turns) for n in workers}
    return {
        "latency_s": latency_s,
        "agents": agents,
        "steps": steps,
        "shard_turns": shard_turns,
        "broker": "orm (SQLite)",
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
        )
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
