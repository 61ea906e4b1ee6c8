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

``--policy hybrid --writer-calls N`` times a crowd instead: the rule policy decides every persona
(a sampled panel has no history to learn from) and a model writes the words of at most N of them a
step (``settings["words"]["max_calls"]``). The model is ``bench.writer_server``, a loopback
OpenAI-compatible server in a process of its own answering after ``--writer-latency-ms`` (0 by
default, so the figures are our own overhead, not a model's), behind the organization's decision
cache as for any provider. The engine's figure asks the same server through the same provider; the cache
is emptied after it, so the worker asks the server for every text again. The server's calls are
counted per step, the engine's and the worker's, by their requests' seeds (derived from agent and
step) among the seeds of the writers the budget admitted in the engine's steps; the run's actions
say which decisions got the model's words and which lost them to the quality gate.
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
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WARMUP_STEPS = 1
POLL_S = 0.02
REFUSED = "without words:"  # in the reason of a hybrid decision whose text the quality gate refused
WRITER_MODEL = "loopback-writer"
WRITER_CONCURRENCY = 8  # the provider's requests in flight at once, as a hosted model's default allows


@dataclass(frozen=True)
class Writer:
    """The hybrid case's model: at most ``max_calls`` texts a step, each answered after ``latency_s``."""

    max_calls: int
    latency_s: float = 0.0


def _setup_django() -> None:
    """Before anything of the project's Django side is imported, hence the imports in functions."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simnet.settings")
    import django

    django.setup()


def start_run(personas: int, steps: int, *, writer: Writer | None = None, writer_url: str = ""):
    """The panel, scenario and run a user would have made, rows bulk-created; the queued run.
    With a ``writer``: a hybrid scenario whose words come from the server at ``writer_url``."""
    from bench.engine_bench import AD
    from personas.models import FollowEdge, Panel, PanelMember
    from personas.models import Persona as PersonaRow
    from simnet.providers.models import ProviderConfig
    from simnet.tenancy.actors import SYSTEM
    from simnet.tenancy.models import Organization
    from simulations.engine import demo_panel
    from simulations.learning.words_budget import SETTINGS_KEY, WordsBudget
    from simulations.models import Policy, Scenario, Stimulus
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
    if writer is None:
        provider = ProviderConfig.objects.create(organization=org, name="Rule baseline", kind="baseline")
        policy, settings = "", {}
    else:
        provider = ProviderConfig.objects.create(
            organization=org, name="Loopback writer", kind="openai_compat", model=WRITER_MODEL,
            base_url=writer_url, max_concurrency=WRITER_CONCURRENCY,
        )  # fmt: skip
        budget = WordsBudget(max_calls=writer.max_calls)
        policy, settings = Policy.HYBRID, {SETTINGS_KEY: budget.to_settings()}
    scenario = Scenario.objects.create(
        organization=org, panel=panel, name="Product-path benchmark", steps=WARMUP_STEPS + steps,
        provider=provider, seed=1, policy=policy, settings=settings,
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
    the run, its scenario's config and stimuli), with the provider the worker uses. A hybrid
    provider with a words budget picks each step's writers from the whole plan first, as the worker
    does; their requests' seeds are returned (seed -> step) to count each step's model calls by."""
    from bench.engine_bench import TimedProvider, time_steps
    from simulations.learning.hybrid import HybridProvider
    from simulations.runs.policy import policy_provider
    from simulations.runs.worlds import new_world

    provider = policy_provider(run)
    writers: dict[int, int] = {}

    def before_decide(requests) -> None:
        admitted = provider.plan_words(requests)
        writers.update((r.seed, r.situation.step) for r in requests if r.key in admitted)

    limited = isinstance(provider, HybridProvider) and provider.budget.limited
    engine = time_steps(
        new_world(run), TimedProvider(provider), warmup=WARMUP_STEPS, steps=steps,
        before_decide=before_decide if limited else None,
    )  # fmt: skip
    return engine, writers


def forget_cached_texts() -> None:
    """Empty the decision cache the engine's figure filled, so the worker asks the server again."""
    from simnet.providers.models import DecisionCacheEntry

    DecisionCacheEntry.unscoped.all().delete()


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


def calls_per_step(seeds: list[int], writers: dict[int, int], steps: int) -> tuple[list[int], int]:
    """Model calls in each timed step, by the seeds the server answered; and how many answered
    seeds were no admitted writer's (a call the words budget did not allow, or another world's)."""
    counted = Counter(writers.get(seed) for seed in seeds)
    return [counted[WARMUP_STEPS + i] for i in range(steps)], counted[None]


def writer_figures(
    run_id: int, steps: int, steps_done: int, server, writers: dict[int, int], engine_served: int
) -> dict[str, Any]:
    """The model calls the server answered in each timed step, the worker's next to the engine's;
    how many decisions got the model's words or lost them to the quality gate, and how many
    distinct personas got them."""
    from simulations.learning.hybrid import MODEL_WORDS
    from simulations.models import RunAction

    engine_calls, _ = calls_per_step(server.seeds()[:engine_served], writers, steps)
    calls, unattributed = calls_per_step(server.seeds(engine_served), writers, steps_done)
    actions = RunAction.unscoped.filter(
        run_id=run_id, step__gte=WARMUP_STEPS, step__lt=WARMUP_STEPS + steps_done
    )
    worded = actions.filter(reason__contains=MODEL_WORDS)
    return {
        "model_calls_per_step": calls,
        "engine_model_calls_per_step": engine_calls,
        "model_calls_match_engine": calls == engine_calls[:steps_done],
        "model_calls_unattributed": unattributed,
        "model_worded_per_step": _per_step(worded, steps_done),
        "model_refused_per_step": _per_step(actions.filter(reason__contains=REFUSED), steps_done),
        "model_worded_personas": worded.values("persona_id").distinct().count(),
    }


def _per_step(actions, steps: int) -> list[int]:
    from django.db.models import Count

    counted = dict(actions.values_list("step").annotate(n=Count("id")))
    return [counted.get(WARMUP_STEPS + i, 0) for i in range(steps)]


def measure_case(personas: int, steps: int, timeout_s: float, writer: Writer | None = None) -> dict[str, Any]:
    """The case's JSON; with a ``writer``, the hybrid case with its server running throughout."""
    from bench.writer_server import FixedLatencyServer

    _setup_django()
    with FixedLatencyServer(writer.latency_s) if writer else nullcontext() as server:
        started = time.monotonic()
        run = start_run(personas, steps, writer=writer, writer_url=server.url if server else "")
        setup_s = time.monotonic() - started
        engine, writers = engine_figure(run, steps)
        engine_served = server.served if server else 0
        if server:
            forget_cached_texts()
        worker = Worker()
        try:
            seen, status = watch_steps(run.pk, WARMUP_STEPS + steps, worker, timeout_s)
        finally:
            worker.stop()
        figures = {
            "personas": personas,
            "policy": "hybrid" if writer else "rules",
            "database_version": database_version(),
            "status": status,
            **product_figures(run.pk, seen, engine),
            "worker_peak_rss_mb": round(worker.peak_rss_mb(), 1),
            "setup_s": round(setup_s, 1),
        }
        if server:
            figures |= {
                "writer_max_calls": writer.max_calls,
                "writer_latency_ms": round(writer.latency_s * 1000, 1),
            }
            figures |= writer_figures(run.pk, steps, figures["steps"], server, writers, engine_served)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.product_case", description=__doc__)
    parser.add_argument("--personas", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True, help="timed steps, after one warm-up step")
    parser.add_argument("--timeout", type=float, required=True, help="seconds the worker may take")
    parser.add_argument("--policy", choices=("rules", "hybrid"), default="rules")
    parser.add_argument("--writer-calls", type=int, default=500, help="hybrid: texts the model writes a step")
    parser.add_argument(
        "--writer-latency-ms", type=float, default=0.0, help="hybrid: the model's time a text"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so ``finally`` stops the worker
    writer = Writer(args.writer_calls, args.writer_latency_ms / 1000) if args.policy == "hybrid" else None
    print(json.dumps(measure_case(args.personas, args.steps, args.timeout, writer)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
