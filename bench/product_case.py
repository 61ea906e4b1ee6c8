"""One product-path case, in its own process on its own database (``DATABASE_URL``): prints JSON.

``python -m bench.product_case --personas N --steps S --timeout T`` bulk-creates N synthetic
personas (the engine's ``demo_panel``, seed 1, with its follow graph) as a panel, a scenario with
the rule-baseline provider and the benchmark's ad at step 1, and starts a run through
``run_start``, as a user's click does. Before any worker runs, the engine steps the very same world
(panel, config, seed, stimulus and the run's own provider) in this process with
``bench.engine_bench.time_steps``: the figure the product is compared with. Then one real
``manage.py qcluster`` (one worker) takes the run's steps while this process watches
``Run.next_step``; the first step (cluster start, world built from the panel) is a warm-up, the
next S are timed. Peak RSS is the largest ``VmHWM`` among the qcluster's processes, read from
/proc (psutil has no peak figure on Linux).
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WARMUP_STEPS = 1
POLL_S = 0.02


def _setup_django() -> None:
    """Before anything of the project's Django side is imported, hence the imports in functions."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simnet.settings")
    import django

    django.setup()


def start_run(personas: int, steps: int):
    """The panel, scenario and run a user would have made, rows bulk-created; the queued run."""
    from bench.engine_bench import AD
    from personas.models import FollowEdge, Panel, PanelMember
    from personas.models import Persona as PersonaRow
    from simnet.providers.models import ProviderConfig
    from simnet.tenancy.actors import SYSTEM
    from simnet.tenancy.models import Organization
    from simulations.engine import demo_panel
    from simulations.models import Scenario, Stimulus
    from simulations.runs.services import run_start

    org = Organization.objects.create(name="Benchmark", slug="benchmark")
    demo = demo_panel(personas, seed=1)
    rows = PersonaRow.objects.bulk_create([_persona_row(org, p) for p in demo.personas], batch_size=2000)
    pk = {p.id: row.pk for p, row in zip(demo.personas, rows, strict=True)}
    panel = Panel.objects.create(
        organization=org, name=f"{personas} synthetic personas", kind=Panel.Kind.POPULATION
    )
    PanelMember.objects.bulk_create(
        [PanelMember(organization=org, panel=panel, persona_id=pk[p.id]) for p in demo.personas],
        batch_size=5000,
    )
    FollowEdge.objects.bulk_create(
        [
            FollowEdge(organization=org, panel=panel, follower_id=pk[a], followee_id=pk[b])
            for a, b in demo.follows
        ],
        batch_size=5000,
    )
    provider = ProviderConfig.objects.create(organization=org, name="Rule baseline", kind="baseline")
    scenario = Scenario.objects.create(
        organization=org, panel=panel, name="Product-path benchmark", steps=WARMUP_STEPS + steps,
        provider=provider, seed=1,
    )  # fmt: skip
    Stimulus.objects.create(
        organization=org, scenario=scenario, text=AD.text, author_handle=AD.author_handle,
        step=AD.at_step, boost=AD.boost,
    )  # fmt: skip
    return run_start(organization=org, actor=SYSTEM, scenario=scenario)[0]


def _persona_row(org, persona):
    from personas.models import Persona

    return Persona(
        organization=org, handle=persona.handle, display_name=persona.display_name, card=persona.card,
        origin=Persona.Origin.SAMPLED, sampler={"source": "engine demo_panel", "seed": 1},
        traits=persona.traits, propensities=persona.propensities, activity_rate=persona.activity_rate,
        active_hours=sorted(persona.active_hours), interests=persona.interests,
    )  # fmt: skip


def engine_figure(run, steps: int):
    """``time_steps`` on the world the worker builds for ``run`` (``new_world``: the panel frozen on
    the run, its scenario's config and stimuli), with the provider the worker uses."""
    from bench.engine_bench import TimedProvider, time_steps
    from simulations.runs.policy import policy_provider
    from simulations.runs.worlds import new_world

    return time_steps(new_world(run), TimedProvider(policy_provider(run)), warmup=WARMUP_STEPS, steps=steps)


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    return f"{connection.display_name} {connection.Database.sqlite_version}"


def _children(pid: int) -> set[int]:
    """``pid`` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or it ended meanwhile
        parents[int(entry.name)] = int(fields[1])
    tree, grew = {pid}, True
    while grew:
        below = {child for child, parent in parents.items() if parent in tree}
        grew = not below <= tree
        tree |= below
    return tree


def _peak_rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


class Worker:
    """One ``manage.py qcluster`` with one worker, in its own process group."""

    def __init__(self) -> None:
        from bench.throwaway_db import child_env

        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - a pipe nobody reads would block the worker
        env = child_env(os.environ["DATABASE_URL"], Q_WORKERS="1")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.peaks: dict[int, int] = {}

    def sample_memory(self) -> None:
        for pid in _children(self.process.pid):
            self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss_kb(pid))

    def peak_rss_mb(self) -> float:
        return max(self.peaks.values(), default=0) / 1024

    def stop(self) -> None:
        self.sample_memory()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def watch_steps(
    run_id: int, last_step: int, worker: Worker, timeout_s: float
) -> tuple[dict[int, float], str]:
    """When each ``next_step`` value was first seen (monotonic seconds), and how watching ended."""
    from simulations.models import Run, RunStatus

    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout_s
    next_sample = 0.0
    while time.monotonic() < deadline:
        next_step, status, reason = (
            Run.unscoped.filter(pk=run_id).values_list("next_step", "status", "status_reason").get()
        )
        now = time.monotonic()
        for step in range(next_step + 1):
            seen.setdefault(step, now)
        if next_step >= last_step:
            return seen, "ok"
        if status in (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.PAUSED):
            return seen, f"run {status}: {reason}"
        if worker.process.poll() is not None:
            return seen, f"qcluster exited with code {worker.process.returncode}"
        if now >= next_sample:
            worker.sample_memory()
            next_sample = now + 1.0
            if failed := _failed_task():
                return seen, failed
        time.sleep(POLL_S)
    return seen, f"timed out after {timeout_s:g} s"


def _failed_task() -> str:
    """What the worker's last failed task raised ('' when none failed): a broken step never
    advances the run, and waiting out the timeout would hide why."""
    from django_q.models import Failure

    failure = Failure.objects.values_list("func", "result").first()
    return f"worker task {failure[0]} failed: {str(failure[1])[-300:]}" if failure else ""


def product_figures(run_id: int, seen: dict[int, float], engine) -> dict[str, Any]:
    """Seconds and decisions over the timed steps that finished (none: the figures are None)."""
    from django.db.models import Count

    from simulations.models import RunAction

    done = list(range(WARMUP_STEPS + 1, max(seen, default=0) + 1))  # next_step values reached in time
    per_step = dict(
        RunAction.unscoped.filter(run_id=run_id, step__gte=WARMUP_STEPS, step__lt=WARMUP_STEPS + len(done))
        .values_list("step")
        .annotate(n=Count("id"))
    )
    decisions = [per_step.get(WARMUP_STEPS + i, 0) for i in range(len(done))]
    seconds = [seen[s] - seen[s - 1] for s in done]
    engine_ms = 1000 * (engine.engine_seconds + engine.provider_seconds) / max(1, engine.decisions)
    figures: dict[str, Any] = {
        "steps": len(done),
        "step_seconds": [round(s, 3) for s in seconds],
        "decisions": sum(decisions),
        "engine_ms_per_decision": round(engine_ms, 4),
        "decisions_match_engine": decisions == list(engine.decisions_per_step[: len(done)]),
        "seconds_per_step": None, "ms_per_decision": None, "ratio_to_engine": None,
    }  # fmt: skip
    if done and sum(decisions):
        ms = 1000 * sum(seconds) / sum(decisions)
        figures.update(
            seconds_per_step=round(sum(seconds) / len(done), 3),
            ms_per_decision=round(ms, 3),
            ratio_to_engine=round(ms / engine_ms, 2),
        )
    return figures


def measure_case(personas: int, steps: int, timeout_s: float) -> dict[str, Any]:
    _setup_django()
    started = time.monotonic()
    run = start_run(personas, steps)
    setup_s = time.monotonic() - started
    engine = engine_figure(run, steps)
    worker = Worker()
    try:
        seen, status = watch_steps(run.pk, WARMUP_STEPS + steps, worker, timeout_s)
    finally:
        worker.stop()
    return {
        "personas": personas,
        "database_version": database_version(),
        "status": status,
        **product_figures(run.pk, seen, engine),
        "worker_peak_rss_mb": round(worker.peak_rss_mb(), 1),
        "setup_s": round(setup_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.product_case", description=__doc__)
    parser.add_argument("--personas", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True, help="timed steps, after one warm-up step")
    parser.add_argument("--timeout", type=float, required=True, help="seconds the worker may take")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so ``finally`` stops the worker
    print(json.dumps(measure_case(args.personas, args.steps, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
