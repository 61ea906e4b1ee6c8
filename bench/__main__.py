"""``python -m bench`` prints a table; ``python -m bench --json`` prints the same figures as JSON;
``--fidelity`` prints the honest backtest on the demo data instead of the speeds; ``--models``
prints only the comparison of the installed offline models (``offline_models`` in the JSON: per
model ``gate_reject_share``, ``valid_share``, ``seconds_per_decision``). The product path (a real
worker on SQLite and PostgreSQL, ``product_path`` in the JSON) is part of the speeds; ``--product``
prints only it, ``--sizes`` chooses its panel sizes; ``--hybrid`` times its cases as hybrid crowds
instead (rules decide, a loopback model writes at most ``--writer-calls`` texts a step;
``product_path_hybrid``); ``--speedup`` adds one run's speedup with 1, 2 and 4 workers
(``worker_speedup``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bench.engine_bench import SIZES, measure_overhead, measure_prompts, measure_snapshot
from bench.fidelity import measure_fidelity
from bench.model_comparison import ModelFigures, compare_models, verdict
from bench.offline_bench import OfflineFigures, measure_offline
from bench.product_bench import SIZES as PRODUCT_SIZES
from bench.product_bench import TIMEOUT_S, measure_product_path
from bench.product_case import Writer
from bench.worker_speedup import speedup
from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL

WARMUP_AND_STEPS = {100: (4, 8), 1_000: (3, 4), 10_000: (2, 2)}


def collect() -> tuple[dict[str, Any], list[str]]:
    figures: dict[str, Any] = {"overhead_ms_per_agent_step": {}, "overhead_ms_per_panel_agent_step": {}}
    lines = ["engine overhead (instant fake provider; time inside the provider excluded)",
             f"{'agents':>8} {'decisions':>10} {'ms/agent-step':>14} {'ms/panel agent/step':>20} {'posts':>7}"]  # fmt: skip
    snapshot: dict[str, float] = {}
    for size in SIZES:
        warmup, steps = WARMUP_AND_STEPS[size]
        overhead, world, panel = measure_overhead(size, warmup=warmup, steps=steps)
        figures["overhead_ms_per_agent_step"][str(size)] = round(overhead.ms_per_decision, 4)
        figures["overhead_ms_per_panel_agent_step"][str(size)] = round(overhead.ms_per_panel_agent_step, 4)
        lines.append(
            f"{size:>8} {overhead.decisions:>10} {overhead.ms_per_decision:>14.3f} "
            f"{overhead.ms_per_panel_agent_step:>20.4f} {overhead.posts:>7}"
        )
        if size == max(SIZES):
            snapshot = measure_snapshot(world, panel)
    figures["snapshot_at_max_agents"] = {k: round(v, 4) for k, v in snapshot.items()}
    lines.append(
        f"snapshot at {max(SIZES)} agents (without panel): {snapshot['state_mb']:.1f} MB, "
        f"save {snapshot['save_s']:.2f} s, load {snapshot['load_s']:.2f} s"
    )

    prompts = measure_prompts()
    figures.update({k: round(v, 4) for k, v in prompts.items()})
    lines.append(
        f"prompt per decision: {prompts['input_tokens_per_decision']:.0f} input tokens "
        f"(prefix {prompts['prefix_tokens_per_decision']:.0f} + suffix {prompts['suffix_tokens_per_decision']:.0f}), "
        f"cached share {prompts['cached_prompt_share']:.0%}, output {prompts['output_tokens_per_decision']:.0f} tokens (fake answers)"
    )

    offline = measure_offline()
    if isinstance(offline, OfflineFigures):
        per_decision = max(1, offline.decisions)
        figures.update(
            offline_decisions_per_s=round(offline.decisions_per_s, 3),
            offline_cold_decisions_per_s=round(offline.cold_decisions_per_s, 3),
            offline_warm_decisions_per_s=round(offline.warm_decisions_per_s, 3),
            offline_valid_rate=round(offline.valid_rate, 4),
            offline_applied_ok_rate=round(offline.applied_ok / per_decision, 4),
            offline_input_tokens_per_decision=round(offline.input_tokens / per_decision, 1),
            offline_cached_input_share=round(offline.cached_input_tokens / max(1, offline.input_tokens), 4),
            offline_output_tokens_per_decision=round(offline.output_tokens / per_decision, 1),
            offline_load_s=round(offline.load_seconds, 2),
            offline_status=f"ok ({offline.model}, {offline.decisions} decisions)",
        )
        lines.append(
            f"offline ({offline.model}): {offline.decisions_per_s:.2f} decisions/s over {offline.decisions} decisions "
            f"({offline.cold_decisions_per_s:.2f}/s in the first step, evaluating every persona's prefix; "
            f"{offline.warm_decisions_per_s:.2f}/s after it), usable on first try {offline.valid_rate:.0%}, "
            f"accepted by the world {offline.applied_ok / per_decision:.0%}; per decision "
            f"{offline.input_tokens / per_decision:.0f} input tokens "
            f"({offline.cached_input_tokens / max(1, offline.input_tokens):.0%} from the prefix cache) and "
            f"{offline.output_tokens / per_decision:.0f} output; loading took {offline.load_seconds:.1f} s"
        )
    else:
        figures.update(
            offline_decisions_per_s=None, offline_valid_rate=None, offline_status=f"not available ({offline})"
        )
        lines.append(f"offline: not available ({offline})")
    comparison, comparison_lines = offline_models()
    figures |= comparison
    lines += comparison_lines
    return figures, lines


def offline_models() -> tuple[dict[str, Any], list[str]]:
    """Every installed offline model on the same fixed decisions, scored by the quality gate, and
    which one should be the default (none when the difference is within noise)."""
    figures: dict[str, Any] = {}
    lines = ["offline models on the same decisions (bench/model_comparison.py), first attempts scored by the gate",
             f"{'model':>28} {'gate rejects':>13} {'valid':>7} {'s/decision':>11} {'decisions':>10}"]  # fmt: skip
    results = compare_models()
    for name, result in results.items():
        if not isinstance(result, ModelFigures):
            figures[name] = {"gate_reject_share": None, "status": f"not available ({result})"}
            lines.append(f"{name:>28} not available ({result})")
            continue
        figures[name] = result.to_json()
        lines.append(
            f"{name:>28} {result.gate.reject_share:>13.0%} {result.valid_share:>7.0%} "
            f"{result.seconds_per_decision:>11.2f} {result.decisions:>10}"
        )
    chosen = verdict(results, DEFAULT_OFFLINE_MODEL)
    lines.append(f"verdict (default now {DEFAULT_OFFLINE_MODEL}): {chosen.text}")
    summary = {"default": DEFAULT_OFFLINE_MODEL, "better": chosen.better, "text": chosen.text}
    return {"offline_models": figures, "offline_model_verdict": summary}, lines


def worker_speedup() -> tuple[dict[str, Any], list[str]]:
    """One run's seconds per step with 1, 2 and 4 workers when the model answers in fixed time."""
    figures = speedup(workers=(1, 2, 4))
    title = (
        f"worker speedup, one run: {figures['agents']} agents, {figures['steps']} steps, the model answering in "
        f"{figures['latency_s'] * 1000:.0f} ms, shards of {figures['shard_turns']} turns, {figures['broker']} broker"
    )
    lines = [title, f"{'workers':>8} {'s/step':>7} {'speedup':>8}"]
    lines += [
        f"{n:>8} {seconds:>7.2f} {figures['speedup'][n]:>7.2f}x"
        for n, seconds in figures["seconds_per_step"].items()
    ]
    return {"worker_speedup": figures}, lines


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(size) for size in text.split(","))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--fidelity", action="store_true", help="the honest backtest on the demo data instead of the speeds"
    )
    parser.add_argument(
        "--models", action="store_true", help="only the comparison of the installed offline models"
    )
    parser.add_argument("--product", action="store_true", help="only the product path")
    parser.add_argument(
        "--sizes", type=_sizes, default=PRODUCT_SIZES, help="the product path's panel sizes, e.g. 1000,10000"
    )
    parser.add_argument(
        "--databases", type=lambda text: tuple(text.split(",")), default=None,
        help="the product path's databases: sqlite,postgresql (default: those installed)",
    )  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="the product path's timed steps per case")
    parser.add_argument(
        "--product-timeout", type=float, default=TIMEOUT_S, help="seconds a product-path case may step"
    )
    parser.add_argument(
        "--hybrid",
        action="store_true",
        help="the product path's cases as hybrid crowds (rules decide, a model writes)",
    )
    parser.add_argument(
        "--writer-calls", type=int, default=500, help="with --hybrid: texts the model writes a step, at most"
    )
    parser.add_argument(
        "--writer-latency-ms", type=float, default=0.0,
        help="with --hybrid: the loopback model's time per text (0: only simnet's own overhead)",
    )  # fmt: skip
    parser.add_argument(
        "--speedup", action="store_true", help="also one run's speedup with 1, 2 and 4 workers"
    )
    args = parser.parse_args(argv)
    if args.models:
        figures, lines = offline_models()
    elif args.fidelity:
        figures, lines = measure_fidelity()
    else:
        figures, lines = ({}, []) if args.product else collect()
        writer = Writer(args.writer_calls, args.writer_latency_ms / 1000) if args.hybrid else None
        product, product_lines = measure_product_path(
            args.sizes,
            databases=args.databases,
            steps=args.steps,
            timeout_s=args.product_timeout,
            writer=writer,
        )
        figures, lines = figures | product, lines + product_lines
        if args.speedup:
            speedup, speedup_lines = worker_speedup()
            figures, lines = figures | speedup, lines + speedup_lines
    print(json.dumps(figures, indent=2) if args.json else "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
