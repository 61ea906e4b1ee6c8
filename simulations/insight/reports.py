"""A run's report: its stored rows mapped into analysis records, analysed, cached once final.

The analysis package (``simulations.analysis``) knows nothing of Django; this module is the
bridge. Personas and follows come from the panel snapshot frozen on the run (the panel as it
was when the run started), falling back to the panel itself for runs without one. Impressions
are per view: each action row keeps the feed its agent read (``RunAction.seen``), which gives
engagement rates per segment and each stimulus's distinct viewers. For rows stored before that,
impressions per step are rebuilt from the run's events (every step's commit records the posts'
running impression counters before its ``step_done`` event); when those do not add up to the
posts' counters either, each post's impressions are counted at the step it was written. The
personas' real history (imported ``HistoryItem`` rows) feeds the honesty diagnostics.

A final run (completed, failed or cancelled) never changes again, so its report is stored in
``RunReportCache`` on first use (or when ``run_report_store`` is called as the run ends);
``REPORT_VERSION`` invalidates caches written by older analysis code.

Replies and quotes are labelled by VADER, except in the final report of a run on a hosted
language model (Anthropic, OpenAI-compatible): the run's own provider judges them
(``analysis.judge``), through the usual retry and decision-cache wrappers, and what the judge
paid is added to the run's cost so budgets see it. The offline model is too small to judge and
the rule baseline is no language model. Live reports of running runs always use VADER (they are
rebuilt on every view); a judge that fails leaves VADER's labels and a note saying so.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction

from personas.models import FollowEdge as FollowEdgeRow
from personas.models import HistoryItem, Persona
from simnet.llm.base import ProviderError
from simnet.providers.build import provider_for
from simnet.providers.models import HOSTED_KINDS
from simulations.analysis.exports import export_records
from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.judge import LLMJudge
from simulations.analysis.meeting_records import meeting_records
from simulations.analysis.meeting_report import build_meeting_report
from simulations.analysis.metrics import EngagementCounts
from simulations.analysis.records import (
    ActionKind,
    ActionRecord,
    FollowEdge,
    ImpressionRecord,
    PersonaRecord,
    PostKind,
    PostRecord,
    Reaction,
)
from simulations.analysis.report import MAX_SEGMENTS, RunReport, build_report, segment_keys
from simulations.analysis.sentiment import ResponseRow, response_rows
from simulations.engine.persona import PanelSnapshot
from simulations.insight.model_driven import model_driven_summary
from simulations.insight.trust import assess_trust
from simulations.models import FINAL_STATUSES, Run, RunAction, RunEvent, RunPost, RunReportCache, Scenario
from simulations.runs import worlds
from simulations.runs.charges import charge_run

REPORT_VERSION = "5"  # 2: the classifier that labelled the replies is recorded; 3: backlash label; 4: meeting; 5: model-driven personas
# The feed report's readings of replies to a stimulus: a roundtable's report leaves them out.
FEED_ONLY_KEYS = frozenset(
    {"stimuli", "sentiment", "backlash", "themes", "segments", "responses", "diagnostics", "trust"}
)
HISTORY_PER_PERSONA = 200  # recent real items per persona the diagnostics compare with
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
EXPORT_TABLES = ("actions", "posts", "metrics", "responses")


@dataclass(frozen=True)
class RunRecords:
    """Everything the analysis needs about one run, as neutral records."""

    posts: tuple[PostRecord, ...]
    actions: tuple[ActionRecord, ...]
    personas: tuple[PersonaRecord, ...]
    follows: tuple[FollowEdge, ...]
    impressions: tuple[ImpressionRecord, ...]
    real_history: tuple[Reaction, ...]
    handles: dict[str, str]  # agent key -> handle, outside accounts (the brand) included


def post_record(row: RunPost) -> PostRecord:
    return PostRecord(
        post_id=row.post_key,
        author_id=row.author_key,
        kind=PostKind(row.kind),
        text=row.text,
        step=row.step,
        parent_id=row.parent_key or None,
        root_id=row.root_key or None,
        is_stimulus=row.is_stimulus,
        stimulus_id=row.stimulus_key or None,
    )


def _action_record(row: RunAction) -> ActionRecord:
    return ActionRecord(
        step=row.step,
        persona_id=row.agent_key,
        action=ActionKind(row.action),
        target_post_id=row.target_post_key or None,
        created_post_id=row.created_post_key or None,
        text=row.text,
        outcome=row.outcome,
        target_persona_id=row.target_agent_key or None,
    )


def _panel_people(run: Run) -> tuple[tuple[PersonaRecord, ...], tuple[FollowEdge, ...]]:
    """Personas and follows as the run saw them: its frozen snapshot, else its panel today."""
    if stored := worlds.panel_data(run):
        snapshot = PanelSnapshot.from_dict(stored)
        personas = tuple(PersonaRecord(p.id, p.handle, dict(p.traits)) for p in snapshot.personas)
        return personas, tuple(FollowEdge(a, b) for a, b in snapshot.follows)
    panel = run.scenario.panel
    members = panel.memberships.select_related("persona").order_by("persona__handle", "persona_id")
    personas = tuple(
        PersonaRecord(str(m.persona_id), m.persona.handle, dict(m.persona.traits or {})) for m in members
    )
    edges = FollowEdgeRow.objects.filter(panel=panel).values_list("follower_id", "followee_id")
    return personas, tuple(FollowEdge(str(a), str(b)) for a, b in edges)


def impressions_from_events(run: Run) -> list[ImpressionRecord] | None:
    """Per-step, per-post impressions from the running counters in the run's events.

    None when the events cannot account for every counted impression (a fork, pruned events).
    """
    cumulative: dict[str, int] = {}
    pending: Counter[str] = Counter()
    rows: list[ImpressionRecord] = []
    events = RunEvent.objects.filter(run=run, kind__in=("post", "counters", "step_done")).order_by("seq")
    for kind, payload in events.values_list("kind", "payload"):
        if kind == "step_done":
            rows += [
                ImpressionRecord(payload["step"], n, post_id=key) for key, n in sorted(pending.items()) if n
            ]
            pending.clear()
            continue
        for update in [payload] if kind == "post" else payload.get("posts", []):
            seen = int(update.get("impressions", 0))
            pending[update["post_key"]] += seen - cumulative.get(update["post_key"], 0)
            cumulative[update["post_key"]] = seen
    return None if any(pending.values()) else rows


def _views(rows: list[RunAction]) -> list[ImpressionRecord] | None:
    """One record per feed item an agent read (who saw what, at which step); None when a row
    predates ``RunAction.seen``."""
    if any(row.seen is None for row in rows):
        return None
    return [
        ImpressionRecord(row.step, 1, persona_id=row.agent_key, post_id=key)
        for row in rows
        for key in row.seen
    ]


def _impressions(run: Run, posts: list[RunPost], rows: list[RunAction]) -> tuple[ImpressionRecord, ...]:
    """The finest impressions that add up to the posts' counters: per view, else per post and
    step from the events, else per post at the step it was written."""
    total = sum(p.impressions for p in posts)
    views = _views(rows)
    if views is not None and len(views) == total:
        return tuple(views)
    rebuilt = impressions_from_events(run)
    if rebuilt is not None and sum(i.count for i in rebuilt) == total:
        return tuple(rebuilt)
    return tuple(ImpressionRecord(p.step, p.impressions, post_id=p.post_key) for p in posts if p.impressions)


def real_history(run: Run, persona_ids: list[str]) -> tuple[Reaction, ...]:
    """The imported history of the run's personas (their own organization's rows only)."""
    ids = [int(pid) for pid in persona_ids if pid.isdigit()]
    accounts = dict(
        Persona.objects.filter(
            organization_id=run.organization_id, pk__in=ids, source_account__isnull=False
        ).values_list("source_account_id", "pk")
    )
    if not accounts:
        return ()
    items = (
        HistoryItem.objects.filter(organization_id=run.organization_id, account_id__in=accounts)
        .order_by("account_id", "-created_at", "-id")
        .values_list("account_id", "kind", "text")
    )
    taken: Counter[int] = Counter()
    reactions = []
    for account_id, kind, text in items:
        if taken[account_id] < HISTORY_PER_PERSONA:
            taken[account_id] += 1
            reactions.append(Reaction(str(accounts[account_id]), ActionKind(kind), text))
    return tuple(reactions)


def run_records(run: Run) -> RunRecords:
    posts = list(RunPost.objects.filter(run=run).order_by("step", "id"))
    rows = list(RunAction.objects.filter(run=run).order_by("step", "id"))
    actions = tuple(_action_record(a) for a in rows)
    personas, follows = _panel_people(run)
    handles = {p.persona_id: p.handle for p in personas}
    handles.update({p.author_key: p.author_handle for p in posts if p.author_handle})
    return RunRecords(
        posts=tuple(post_record(p) for p in posts),
        actions=actions,
        personas=personas,
        follows=follows,
        impressions=_impressions(run, posts, rows),
        real_history=real_history(run, [p.persona_id for p in personas]),
        handles=handles,
    )


def report_segments(personas: tuple[PersonaRecord, ...]) -> list[str]:
    """Every trait that splits the panel into a few groups, list traits (interests) included."""
    listed: dict[str, set[str]] = {}
    for persona in personas:
        for key, value in persona.traits.items():
            if isinstance(value, (list, tuple)):
                listed.setdefault(key, set()).update(str(v) for v in value)
    lists = [k for k, values in listed.items() if 2 <= len(values) <= MAX_SEGMENTS]
    return sorted({*segment_keys(personas), *lists})


def build_run_report(run: Run, records: RunRecords | None = None, judge: LLMJudge | None = None) -> RunReport:
    records = records or run_records(run)
    return build_report(
        records.posts,
        records.actions,
        records.personas,
        impressions=records.impressions,
        follows=records.follows,
        segments=report_segments(records.personas),
        real_history=records.real_history or None,
        steps_taken=run.next_step,
        classifier=judge,
        seed=run.seed,
        run_id=str(run.pk),
        variant=run.variant or None,
    )


def is_roundtable(run: Run) -> bool:
    return run.scenario.format == Scenario.Format.ROUNDTABLE


def meeting_report_data(run: Run) -> dict | None:
    """A roundtable's own report (minutes, votes, moves, action items); None for other formats."""
    if not is_roundtable(run):
        return None
    records = meeting_records(worlds.load_world(run))
    return build_meeting_report(records, in_progress=run.status not in FINAL_STATUSES).to_dict()


def judge_for(run: Run) -> LLMJudge | None:
    """The language-model judge of a final run's replies: its own hosted provider, else None.
    A roundtable has none: its report reads votes and positions, so judging its tone would be paid for nothing."""
    config = run.scenario.provider
    if is_roundtable(run):
        return None
    if run.status not in FINAL_STATUSES or config is None or config.kind not in HOSTED_KINDS:
        return None
    return LLMJudge(provider_for(config, organization_id=run.organization_id))


def _labelled_report(run: Run, records: RunRecords) -> tuple[RunReport, dict]:
    """The run's report with replies labelled by the judge when it has one, and what labelled them."""
    judge = judge_for(run)
    lexicon = {"kind": "lexicon", "name": "VADER with a backlash vocabulary"}
    if judge is None:
        return build_run_report(run, records), lexicon
    try:
        report = build_run_report(run, records, judge)
    except ProviderError as error:
        return build_run_report(run, records), {**lexicon, "judge_error": str(error)}
    finally:
        charge_run(run, judge.usage)
    labelled = {
        "kind": "llm",
        "name": judge.provider.model or judge.provider.name,
        "judged": judge.judged,
        "fallbacks": judge.fallbacks,
        "calls": judge.usage.calls,
        "cost_usd": judge.usage.cost_usd,
    }
    return report, labelled


def _report_data(run: Run) -> tuple[dict, dict]:
    """(report JSON with the page's extras, outcome metrics) of ``run`` as it stands."""
    records = run_records(run)
    report, classifier = _labelled_report(run, records)
    data = report.to_dict()
    outcomes = Counter(a.outcome or "ok" for a in records.actions)
    data["version"] = REPORT_VERSION
    data["handles"] = records.handles
    data["meta"] = {
        "run_id": run.pk,
        "status": run.status,
        "final": run.status in FINAL_STATUSES,
        "next_step": run.next_step,
        "total_steps": run.total_steps,
        "provider": run.reproducibility.get("provider", ""),
        "model": run.reproducibility.get("model", ""),
        "personas": len(records.personas),
        "personas_with_history": len({r.persona_id for r in records.real_history}),
        "actions": len(records.actions),
        "outcomes": dict(outcomes),
        "classifier": classifier,
    }
    data["trust"] = assess_trust(data)
    data["model_driven"] = model_driven_summary(run, records.handles)
    data["meeting"] = meeting_report_data(run)
    if data["meeting"] is not None:  # replies to a stimulus, their tone and reach say nothing of a meeting
        data = {key: value for key, value in data.items() if key not in FEED_ONLY_KEYS}
    return data, to_jsonable(report.outcome_metrics())  # NaN-free, as a JSON column needs


def run_report_data(run: Run, *, rebuild: bool = False) -> dict:
    """The report JSON of ``run``: from the cache for a final run, built fresh otherwise."""
    if run.status not in FINAL_STATUSES:
        return _report_data(run)[0]
    cached = None if rebuild else RunReportCache.objects.filter(run=run).first()
    if cached is not None and cached.version == REPORT_VERSION:
        return cached.data
    return _store(run).data


def run_outcome_metrics(run: Run) -> dict[str, float | None]:
    """What an experiment compares for this run (cached with the report once final)."""
    if run.status not in FINAL_STATUSES:
        return _report_data(run)[1]
    cached = RunReportCache.objects.filter(run=run).first()
    if cached is not None and cached.version == REPORT_VERSION:
        return cached.metrics
    return _store(run).metrics


def _store(run: Run) -> RunReportCache:
    data, metrics = _report_data(run)
    fields = {
        "organization_id": run.organization_id,
        "version": REPORT_VERSION,
        "data": data,
        "metrics": metrics,
    }
    try:
        with transaction.atomic():
            cache, _ = RunReportCache.objects.update_or_create(run=run, defaults=fields)
    except IntegrityError:  # another request stored the same (deterministic) report first
        cache = RunReportCache.objects.get(run=run)
    return cache


def run_report_store(*, run_id: int) -> bool:
    """Build and keep the report of a run that just became final (call it as a run ends).

    Returns False when the run is missing or not final (nothing stored)."""
    run = Run.unscoped.select_related("scenario").filter(pk=run_id).first()
    if run is None or run.status not in FINAL_STATUSES:
        return False
    _store(run)
    return True


def _export_rows(run: Run, what: str) -> tuple[list, type]:
    if what == "posts":
        return [post_record(p) for p in RunPost.objects.filter(run=run).order_by("step", "id")], PostRecord
    if what == "actions":
        return [
            _action_record(a) for a in RunAction.objects.filter(run=run).order_by("step", "id")
        ], ActionRecord
    data = run_report_data(run)  # the numbers and labels the report shows (the judge's, if one judged)
    if what == "responses":
        return response_rows(data["responses"], data["handles"]), ResponseRow
    return [EngagementCounts(**row) for row in [*data["steps"], data["totals"]]], EngagementCounts


def run_export(run: Run, *, what: str, fmt: str) -> tuple[str, bytes]:
    """(file name, contents) of one table of a run: ``actions``, ``posts``, ``metrics`` (one row
    per step, then the run's totals with an empty step) or ``responses`` (every reply and quote
    with its sentiment, stance and the reasons), as ``csv``, ``jsonl`` or ``parquet``.

    The files read back into the same records with ``analysis.exports.load_records``."""
    if what not in EXPORT_TABLES or fmt not in EXPORT_FORMATS:
        raise ValueError(f"cannot export {what!r} as {fmt!r}")
    rows, record_type = _export_rows(run, what)
    name = f"run-{run.pk}-{what}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        export_records(path, rows, record_type)
        return name, path.read_bytes()
