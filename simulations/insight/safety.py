"""Trust & safety figures of stored runs and experiments: the bridge from rows to ``analysis.safety``.

Harm labels come from the organization's hosted model when the run used one (``LLMHarmJudge``;
what it pays is charged to the run like the sentiment judge), else from the offline lexicon,
and the figures always name the labeller. Labelling costs money with a hosted model, so only
safety scenarios get it: a content policy, or a bridging or downranking feed (in the scenario or
in an experiment's variants). A final run's figures are kept beside its cached report, and a
completed experiment's comparison in ``Experiment.result["safety"]``.
"""

from __future__ import annotations

from collections import Counter

from simnet.llm.base import ProviderError
from simnet.providers.build import provider_for
from simnet.providers.models import HOSTED_KINDS
from simulations.analysis.harm import HarmLabeller, LexiconHarmLabeller, LLMHarmJudge
from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.safety import RunSafety, compare_safety, run_safety
from simulations.analysis.tail_risk import PER, clopper_pearson
from simulations.insight import reports
from simulations.models import FINAL_STATUSES, Experiment, Run, RunEvent, RunReportCache, RunStatus, Scenario
from simulations.runs.charges import charge_run
from simulations.runs.moderation_settings import SETTINGS_KEY, describe, scenario_policy

SAFETY_RECOMMENDERS = ("bridging", "downranking")
SAFETY_VERSION = "1"


def is_safety_scenario(scenario: Scenario) -> bool:
    return scenario.format == Scenario.Format.FEED and (
        scenario.recommender in SAFETY_RECOMMENDERS or scenario_policy(scenario.settings).active
    )


def is_safety_experiment(experiment: Experiment) -> bool:
    overridden = any(
        {"recommender", SETTINGS_KEY} & set(v.get("overrides") or {}) for v in experiment.variants or []
    )
    return experiment.scenario.format == Scenario.Format.FEED and (
        overridden or is_safety_scenario(experiment.scenario)
    )


def labeller_for(run: Run) -> HarmLabeller:
    """The run's hosted model as judge once the run is final; the lexicon otherwise."""
    config = run.scenario.provider
    if run.status in FINAL_STATUSES and config is not None and config.kind in HOSTED_KINDS:
        return LLMHarmJudge(provider_for(config, organization_id=run.organization_id), seed=run.seed)
    return LexiconHarmLabeller()


def moderation_counts(run: Run) -> dict[str, int]:
    actions = RunEvent.objects.filter(run=run, kind="moderation").values_list("payload__action", flat=True)
    return dict(Counter(str(a) for a in actions))


def _label_with(run: Run, labeller: HarmLabeller, records) -> RunSafety:
    return run_safety(
        records.posts,
        records.actions,
        records.personas,
        records.impressions,
        labeller,
        moderation_counts(run),
    )


def _compute(run: Run) -> dict:
    records = reports.run_records(run)
    labeller = labeller_for(run)
    note = ""
    try:
        summary = _label_with(run, labeller, records)
    except ProviderError as error:
        note = f"the model judge failed ({error}); the lexicon labelled this run"
        labeller = LexiconHarmLabeller()
        summary = _label_with(run, labeller, records)
    if isinstance(labeller, LLMHarmJudge):
        charge_run(run, labeller.usage)
    return {
        "version": SAFETY_VERSION,
        "summary": to_jsonable(summary.to_dict()),
        "labeller": {"kind": labeller.kind, "name": labeller.name, "description": labeller.description},
        "labeller_note": note,
    }


def run_safety_data(run: Run) -> dict:
    """The run's safety figures; kept with the cached report of a final run (labelled once)."""
    final = run.status in FINAL_STATUSES
    cache = RunReportCache.objects.filter(run=run).first() if final else None
    stored = (cache.data or {}).get("safety") if cache is not None else None
    if stored and stored.get("version") == SAFETY_VERSION:
        return stored
    data = _compute(run)
    if cache is not None:
        RunReportCache.objects.filter(run=run).update(data={**(cache.data or {}), "safety": data})
    return data


def run_safety_view(run: Run) -> dict:
    """What the report shows: the policy in words, interventions, and harm per 10,000 actions."""
    data = run_safety_data(run)
    summary = data["summary"]
    n = summary["actions"]
    rows = []
    for harm_class, count in [*summary["harmful"].items(), ("any", summary["any_harm"])]:
        low, high = clopper_pearson(count, n) if n else (None, None)
        rows.append(
            {
                "harm_class": harm_class,
                "count": count,
                "per_10k": PER * count / n if n else None,
                "low": PER * low if low is not None else None,
                "high": PER * high if high is not None else None,
                "rule_of_three": PER * 3 / n if n and count == 0 else None,
            }
        )
    return {**data, "policy": describe(run.scenario.settings), "rows": rows, "actions": n}


def _runs_by_variant(experiment: Experiment) -> dict[str, list[Run]]:
    runs = Run.objects.filter(experiment=experiment, status=RunStatus.COMPLETED).select_related(
        "scenario", "scenario__provider"
    )
    grouped: dict[str, list[Run]] = {str(v["label"]): [] for v in experiment.variants}
    for run in runs.order_by("variant", "seed", "id"):
        grouped.setdefault(run.variant, []).append(run)
    return grouped


def experiment_safety(experiment: Experiment) -> dict | None:
    """The T&S comparison of a safety experiment's variants (None for other experiments)."""
    if not is_safety_experiment(experiment):
        return None
    stored = (experiment.result or {}).get("safety")
    if experiment.status == "completed" and stored and stored.get("version") == SAFETY_VERSION:
        return stored
    grouped = _runs_by_variant(experiment)
    per_run = {label: [run_safety_data(run) for run in runs] for label, runs in grouped.items()}
    summaries = {label: [RunSafety(**d["summary"]) for d in rows] for label, rows in per_run.items()}
    labels = [str(v["label"]) for v in experiment.variants]
    result = to_jsonable(compare_safety(summaries, labels[0] if labels else "", seed=experiment.pk or 0))
    overrides = {str(v["label"]): v.get("overrides") or {} for v in experiment.variants}
    for variant in result["variants"]:
        variant["overrides"] = overrides.get(variant["label"], {})
        variant["policy"] = (
            describe({SETTINGS_KEY: variant["overrides"].get(SETTINGS_KEY)})
            if (SETTINGS_KEY in variant["overrides"])
            else describe(experiment.scenario.settings)
        )
        variant["recommender"] = variant["overrides"].get("recommender", experiment.scenario.recommender)
    labellers = sorted({d["labeller"]["name"] for rows in per_run.values() for d in rows})
    result.update(version=SAFETY_VERSION, labellers=labellers)
    if experiment.status == "completed":
        Experiment.objects.filter(organization_id=experiment.organization_id, pk=experiment.pk).update(
            result={**(experiment.result or {}), "safety": result}
        )
    return result
