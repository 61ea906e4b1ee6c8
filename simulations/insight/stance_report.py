"""The opinion-dynamics report of one run: built from its stored stance readings and exposures.

Everything here reads the database and hands plain lists to ``simulations.analysis``; the
numbers come from there. The honesty reference is the survey the panel was sampled from
(``Panel.settings["source"]``): its respondents' left-right self-placement, weighted, on the
poll's -3..+3 width.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from personas.builders.population_data import SourceUnavailable, load_source
from simnet.llm.stance_rules import IDEOLOGY_POSITION
from simulations.analysis.stance_dynamics import (
    Exposure,
    Reading,
    influence,
    over_time,
    shifts_by_segment,
    who_moved_whom,
)
from simulations.analysis.stance_honesty import agree_check, spread_check
from simulations.models import Run, RunAction, RunPost, StanceReading
from simulations.runs import worlds
from simulations.runs.stance_readings import StancePollError, poll_settings

SEGMENT_FIELDS = (("party", "Party"), ("ideology", "Ideology"), ("age_group", "Age band"))
TOP_MOVES = 20
TOP_AUTHORS = 10


def question_of(run: Run) -> tuple[str, str] | None:
    """(question, agreeing side) of a deliberation or of a run with stance polls."""
    settings = run.scenario.settings or {}
    if run.scenario.format == "deliberation":
        raw = settings.get("deliberation") or {}
        return str(raw.get("question") or ""), str(raw.get("agree_side") or "left")
    try:
        polls = poll_settings(settings)
    except StancePollError:
        return None
    return (polls.question.text, polls.question.agree_side) if polls else None


def _personas(run: Run) -> dict[str, dict[str, Any]]:
    return {str(p["id"]): p for p in worlds.run_personas(run)}


def _exposures(run: Run) -> list[Exposure]:
    authors = dict(RunPost.objects.filter(run=run).values_list("post_key", "author_key"))
    rows = RunAction.objects.filter(run=run).exclude(seen=None).values_list("step", "agent_key", "seen")
    return [
        Exposure(step, viewer, authors[post], post)
        for step, viewer, seen in rows
        for post in seen or ()
        if post in authors
    ]


def survey_reference(run: Run, agree_side: str) -> dict[str, Any] | None:
    """The sampled-from survey's left-right positions (and weights); None for a panel not sampled."""
    source = (run.scenario.panel.settings or {}).get("source")
    if not source:
        return None
    try:
        table = load_source(source)
    except SourceUnavailable:
        return None
    labels = table.table["ideology_detail"].str.lower().map(IDEOLOGY_POSITION)
    known = labels.notna().to_numpy()
    positions = labels[known].to_numpy(dtype=float)
    sides = -positions if agree_side == "left" else positions
    return {
        "source": table.title,
        "positions": positions,
        "sides": sides,
        "weights": table.base_weights[known],
    }


def honesty(run: Run, readings: list[Reading], agree_side: str) -> dict[str, Any]:
    """Variance collapse and agreeableness of the last reading against the survey (or why not)."""
    reference = survey_reference(run, agree_side)
    if reference is None:
        return {"available": False, "why": "the panel was not sampled from survey data: no reference spread"}
    last = max(r.step for r in readings)
    values = [r.value for r in readings if r.step == last]
    spread = spread_check(values, reference["positions"], reference["weights"], seed=run.seed)
    agree = agree_check(values, reference["sides"])
    return {
        "available": True,
        "source": reference["source"],
        "step": last,
        "reference_item": "left-right self-placement (a related item, not this question)",
        "spread": asdict(spread) if spread else None,
        "agree": asdict(agree) if agree else None,
    }


def stance_report(run: Run) -> dict[str, Any]:
    """The dynamics report as JSON-able data; ``available`` False (with why) when nothing was read."""
    asked = question_of(run)
    stored = list(StanceReading.objects.filter(run=run).values_list("step", "agent_key", "value", "source"))
    if not stored:
        why = "no stance question set" if not asked else "no stance readings yet"
        return {"available": False, "why": why, "question": asked[0] if asked else ""}
    readings = [Reading(step, agent, value) for step, agent, value, _ in stored]
    personas = _personas(run)

    def segment(field: str) -> Mapping[str, str]:
        return {pid: str((p.get("traits") or {}).get(field) or "unknown") for pid, p in personas.items()}

    moves = who_moved_whom(readings, _exposures(run))
    handles = {pid: p.get("handle", pid) for pid, p in personas.items()}
    return {
        "available": True,
        "question": asked[0] if asked else "",
        "agree_side": asked[1] if asked else "left",
        "sources": sorted({source for *_, source in stored}),
        "steps": sorted({r.step for r in readings}),
        "n": len({r.agent_id for r in readings}),
        "shifts": [
            {
                "field": field,
                "label": label,
                "rows": [asdict(s) for s in shifts_by_segment(readings, segment(field))],
            }
            for field, label in SEGMENT_FIELDS
        ],
        "over_time": over_time(readings, segment("party")),
        "moves": _moves_section(moves, handles),
        "honesty": honesty(run, readings, asked[1] if asked else "left"),
    }


def _moves_section(moves: list, handles: Mapping[str, str]) -> dict[str, Any]:
    """The first changes of stance with what preceded them, and the authors most often seen before one."""
    examples = [
        {
            "agent": handles.get(m.agent_id, m.agent_id),
            "from_step": m.from_step,
            "to_step": m.to_step,
            "before": m.before,
            "after": m.after,
            "exposures": len(m.exposures),
            "towards": [handles.get(a, a) for a in m.towards],
        }
        for m in moves[:TOP_MOVES]
    ]
    authors = [
        {"author": handles.get(a, a), "seen_before_changes": seen, "towards_own_side": towards}
        for a, seen, towards in influence(moves)[:TOP_AUTHORS]
    ]
    return {"count": len(moves), "examples": examples, "authors": authors}
