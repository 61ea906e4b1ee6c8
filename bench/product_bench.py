"""The product path users take, timed per step and per decision next to the engine alone.

For each database (SQLite; PostgreSQL when its binaries are installed) and each size, a fresh
migrated database and one ``bench.product_case`` process: synthetic personas bulk-created, a
rule-baseline scenario with an ad, a run started through ``run_start`` and stepped by a real
``manage.py qcluster`` (one worker, django-q2's ORM broker). ``ratio_to_engine`` is the product's
milliseconds per decision over the engine's on the same world with the same provider, so it is
what the database, the queue and the worker add. A case that takes longer than its timeout says
"timed out after X s" and keeps the steps it finished.

With a ``Writer`` the cases are hybrid crowds instead (``product_path_hybrid`` in the JSON): the
rule policy decides every persona and a loopback OpenAI-compatible model writes at most N texts a
step (``bench.product_case``'s docstring says how its calls are counted).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import throwaway_db
from bench.product_case import POLL_S, WARMUP_STEPS, WRITER_CONCURRENCY, Writer

SIZES = (1_000, 10_000, 100_000)
TIMEOUT_S = 600.0  # per case, for the worker's steps; setup has its own allowance below
FIGURES = (
    "seconds_per_step",
    "ms_per_decision",
    "engine_ms_per_decision",
    "ratio_to_engine",
    "worker_peak_rss_mb",
)


def timed_steps(personas: int) -> int:
    """Enough steps for a stable mean where steps are short, few where one takes minutes."""
    return 4 if personas <= 1_000 else 3 if personas <= 10_000 else 2


def setup_allowance_s(personas: int) -> float:
    """Seconds for creating the rows, starting the run and timing the engine before the worker
    starts (about 1 s per 1,000 personas today), generously: only a hang should reach it."""
    return 120 + personas * 0.01


def machine() -> str:
    meminfo = Path("/proc/meminfo").read_text().split()
    gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    return f"{os.cpu_count()} cores, {gib:.0f} GiB, {platform.machine()}, Python {platform.python_version()}"


def load_average() -> float:
    """The 1-minute load average: above 0 the machine was doing other work too."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def policy_text(writer: Writer | None) -> str:
    if writer is None:
        return "rule-baseline provider"
    return (
        f"hybrid policy (rules decide every persona, a model writes at most {writer.max_calls} texts a step: "
        f'settings["words"]["max_calls"]); the model is a loopback OpenAI-compatible server '
        f"(bench/writer_server.py, a process of its own) answering after {writer.latency_s * 1000:g} ms"
        + (" (so the figures are simnet's own overhead, no model time)" if not writer.latency_s else "")
        + f", max_concurrency {WRITER_CONCURRENCY}, behind the decision cache, emptied between the engine and "
        "the worker so both ask the server for every text; model calls counted at the server, per step by "
        "the requests' seeds (derived from agent and step)"
    )


def method(personas: int, steps: int, writer: Writer | None = None) -> str:
    return (
        f"{personas} synthetic personas (engine demo_panel, seed 1, with its follows) bulk-created; "
        f"{policy_text(writer)}, an ad at step 1; run started with run_start and stepped by one `manage.py qcluster` "
        f"(Q_WORKERS=1, django-q2 ORM broker); {steps} steps timed after {WARMUP_STEPS} warm-up step by "
        f"watching Run.next_step every {POLL_S * 1000:.0f} ms, so the queue's pickup is included; engine: "
        "bench.engine_bench.time_steps on the same world with the same provider, in one process, "
        + ("no database; " if writer is None else "no database but the decision cache's; ")
        + "peak RSS: the largest VmHWM among the qcluster's processes"
    )


def empty_entry(personas: int, status: str) -> dict[str, Any]:
    return {"personas": personas, "status": status, "steps": 0, **dict.fromkeys(FIGURES)}


def case_options(writer: Writer | None) -> list[str]:
    if writer is None:
        return []
    return [
        "--policy=hybrid",
        f"--writer-calls={writer.max_calls}",
        f"--writer-latency-ms={writer.latency_s * 1000:g}",
    ]


def run_case(
    database_url: str, personas: int, steps: int, timeout_s: float, writer: Writer | None = None
) -> dict[str, Any]:
    """``bench.product_case`` in its own process group, so that nothing it started outlives it."""
    command = [
        sys.executable, "-m", "bench.product_case", f"--personas={personas}", f"--steps={steps}",
        *case_options(writer),
    ]  # fmt: skip
    case = subprocess.Popen(
        [*command, f"--timeout={timeout_s}"], cwd=throwaway_db.REPO, env=throwaway_db.child_env(database_url),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    allowance = setup_allowance_s(personas) + timeout_s
    try:
        out, err = case.communicate(timeout=allowance)
    except subprocess.TimeoutExpired:
        case.send_signal(signal.SIGTERM)  # the case stops its worker on SIGTERM
        try:
            case.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(case.pid, signal.SIGKILL)
            case.communicate()
        return empty_entry(personas, f"timed out after {allowance:.0f} s (setup included)")
    if case.returncode != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return empty_entry(personas, f"failed (exit {case.returncode}): {last}")
    return json.loads(out.strip().splitlines()[-1])


def measure_product_path(
    sizes: Sequence[int] = SIZES,
    *,
    databases: Sequence[str] | None = None,
    steps: int | None = None,
    timeout_s: float = TIMEOUT_S,
    writer: Writer | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """``{"product_path": {database: {size: entry}}}`` and the table's lines; with a ``writer``,
    the hybrid cases under ``"product_path_hybrid"``."""
    figures: dict[str, dict[str, Any]] = {}
    decides = (
        "rule-baseline provider"
        if writer is None
        else f"hybrid (rules decide, model writes ≤{writer.max_calls} texts a step, "
        f"loopback model answering in {writer.latency_s * 1000:g} ms)"
    )
    lines = [
        (
            f"product path: run_start, one `manage.py qcluster` worker (ORM broker), {decides}, an "
            f"ad; steps timed after {WARMUP_STEPS} warm-up; engine = same world and provider, one process, "
            + (
                "no database"
                if writer is None
                else "no database but the decision cache, the model server apart"
            )
        ),
        (
            f"{'database':>10} {'personas':>8} {'steps':>5} {'s/step':>7} {'decisions':>9} {'ms/decision':>11} "
            f"{'engine ms/dec':>13} {'ratio':>6} {'worker peak RSS':>15}"
        ),
    ]
    for kind in databases or throwaway_db.available_databases():
        figures[kind] = {}
        try:
            with throwaway_db.databases(kind) as new_database:
                for size in sizes:
                    n = steps or timed_steps(size)
                    load = load_average()
                    entry = run_case(new_database(f"bench_{size}"), size, n, timeout_s, writer)
                    entry["measured"] = {
                        "machine": machine(), "load_average_before": load, "steps": n,
                        "method": method(size, n, writer), "command": case_command(size, kind, n, writer),
                    }  # fmt: skip
                    figures[kind][str(size)] = entry
                    lines.append(table_row(kind, entry))
        except subprocess.CalledProcessError as error:
            reason = f"not measured: {' '.join(map(str, error.cmd))} failed: {(error.stderr or b'').decode()[-200:]}"
            for size in sizes:
                figures[kind].setdefault(str(size), empty_entry(size, reason))
            lines.append(f"{kind:>10} {reason}")
    return {"product_path_hybrid" if writer else "product_path": figures}, lines


def case_command(size: int, kind: str, steps: int, writer: Writer | None) -> str:
    hybrid = (
        f" --hybrid --writer-calls={writer.max_calls} --writer-latency-ms={writer.latency_s * 1000:g}"
        if writer
        else ""
    )
    return f"python -m bench --product{hybrid} --sizes={size} --databases={kind} --steps={steps}"


def table_row(kind: str, entry: dict[str, Any]) -> str:
    row = f"{kind:>10} {entry['personas']:>8} {entry['steps']:>5} "
    if entry["ms_per_decision"] is None:
        return row + f"no step measured: {entry['status']}"
    row += (
        f"{entry['seconds_per_step']:>7.2f} {entry['decisions']:>9} {entry['ms_per_decision']:>11.3f} "
        f"{entry['engine_ms_per_decision']:>13.3f} {entry['ratio_to_engine']:>5.1f}x "
        f"{entry['worker_peak_rss_mb']:>12.0f} MB"
    )
    if "model_calls_per_step" in entry:
        row += f"  model calls/step {', '.join(map(str, entry['model_calls_per_step']))}"
        if not entry["model_calls_match_engine"]:
            row += f" (engine's: {', '.join(map(str, entry['engine_model_calls_per_step']))})"
    if not entry["decisions_match_engine"]:
        row += "  (decisions differ from the engine's: not the same world)"
    return row if entry["status"] == "ok" else f"{row}  ({entry['status']})"
