"""Insight pages: a run's report and exports, an experiment's comparison, backtests.

Thin: look the object up in the caller's organization (404 otherwise, before anything else,
so another organization cannot even learn which methods a URL accepts), call one service or
selector, render. Page data comes from ``reports``/``experiments``/``backtests``; charts and
the cascade tree from ``display``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form
from simulations.insight import backtests, comparison, display, forecast, reports, run_exports
from simulations.insight.calibration_svg import calibration_svg
from simulations.insight.forms import BacktestForm, PowerForm
from simulations.models import Backtest, Experiment, Run, RunPost

BACKTESTS_SHOWN = 100
RESPONSES_SHOWN = 300  # labelled replies listed on the page; the export has them all
EXPORT_LINKS = [(what, fmt) for what in reports.EXPORT_TABLES for fmt in reports.EXPORT_FORMATS]


def _segments(data: dict, chosen: str | None) -> tuple[list[str], dict | None]:
    keys = [s["trait_key"] for s in data["segments"]]
    if not keys:
        return keys, None
    segment = next((s for s in data["segments"] if s["trait_key"] == chosen), data["segments"][0])
    negativity = {row["segment"]: row for row in segment["negativity"]}
    rows = []
    for row in segment["engagement"]:
        negative = negativity.get(row["segment"], {})
        rows.append(
            {
                **row,
                "responses": negative.get("responses", 0),
                "negative_share": negative.get("negative_share"),
            }
        )
    return keys, {"trait_key": segment["trait_key"], "rows": rows}


def _cascades(run: Run, data: dict) -> list[dict]:
    posts = [reports.post_record(p) for p in RunPost.objects.filter(run=run).order_by("step", "id")]
    texts = {p.post_id: p.text for p in posts if p.is_stimulus}
    tones = {r["post_id"]: r["sentiment"] for r in data["responses"]}
    cascades = []
    for number, stimulus in enumerate(data["stimuli"]):
        root = stimulus["cascade"]["stimulus_post_id"]
        svg, hidden = display.cascade_svg(posts, root, tones, data["handles"])
        cascades.append(
            {
                "number": number + 1,
                "text": texts.get(root, ""),
                "stimulus": stimulus,
                "svg": svg,
                "hidden": hidden,
                "chart_id": f"chart-cascade-{number}",
            }
        )
    return cascades


@org_view()
def run_report(request, run_id: int):
    run = get_for_org(Run.objects.select_related("scenario"), request.organization, pk=run_id)
    if refused := allow(request, "GET"):
        return refused
    data = reports.run_report_data(run)
    if data.get("meeting"):  # a roundtable reports its meeting, not a feed's reach and replies
        context = {"nav": "simulations", "run": run, "report": data, "meeting": data["meeting"]}
        return render(request, "simulations/report_roundtable.html", {**context, "exports": EXPORT_LINKS})
    trait_keys, segment = _segments(data, request.GET.get("trait"))
    cascades = _cascades(run, data)
    themes = data["themes"]["themes"]
    charts = {
        "chart-steps": display.step_chart(data["steps"]),
        "chart-sentiment": display.sentiment_chart(data["sentiment"]),
        **({"chart-themes": display.theme_chart(themes)} if themes else {}),
        **({"chart-segment": display.segment_chart(segment["rows"])} if segment else {}),
        **{c["chart_id"]: display.cascade_chart(c["stimulus"]["cascade"]) for c in cascades},
    }
    context = {
        "nav": "simulations",
        "run": run,
        "report": data,
        "trust": data["trust"],
        "cascades": cascades,
        "trait_keys": trait_keys,
        "segment": segment,
        "accusations": [t for t in themes if t["is_accusation"]],
        "jokes": [t for t in themes if t["is_joke"]],
        "charts": charts,
        "exports": EXPORT_LINKS,
        "responses": [
            {**r, "handle": data["handles"].get(r["author_id"], r["author_id"])}
            for r in data["responses"][:RESPONSES_SHOWN]
        ],
        "responses_left_out": max(0, len(data["responses"]) - RESPONSES_SHOWN),
        "forecasts": forecast.run_stimulus_forecasts(run),
        **_panel_evidence(run),
    }
    return render(request, "simulations/report.html", context)


def _panel_evidence(run: Run) -> dict:
    """The latest completed reactions backtest of the run's panel: how far its reactions match reality."""
    backtest = backtests.latest_reactions_backtest(panel=run.scenario.panel)
    if backtest is None:
        return {"evidence": None}
    result = backtest.result
    return {
        "evidence": backtest,
        "evidence_table": _table_view(result["tables"][0]),
        "evidence_warnings": result.get("warnings", []),
        "evidence_svg": calibration_svg(result["calibration"]) if result.get("calibration") else None,
    }


@org_view()
def run_export(request, run_id: int, what: str, fmt: str):
    run = get_for_org(Run.objects, request.organization, pk=run_id)
    if refused := allow(request, "GET"):
        return refused
    if what not in reports.EXPORT_TABLES or fmt not in reports.EXPORT_FORMATS:
        raise Http404("No such export")
    name, content = run_exports.run_export(run, what=what, fmt=fmt)
    response = HttpResponse(content, content_type=reports.EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _metric_rows(comparison: dict) -> tuple[list[dict], dict]:
    labels = [v["label"] for v in comparison["variants"]]
    rows, charts = [], {}
    for metric in comparison["metrics"]:
        intervals = [comparison["per_variant"].get(label, {}).get(metric["name"]) for label in labels]
        chart_id = f"chart-metric-{metric['name']}"
        if any(intervals):
            charts[chart_id] = display.interval_chart(labels, intervals, metric["label"])
        rows.append({**metric, "chart_id": chart_id, "variants": list(zip(labels, intervals, strict=True))})
    return rows, charts


@org_view()
def experiment_compare(request, experiment_id: int):
    experiment = get_for_org(
        Experiment.objects.select_related("scenario"), request.organization, pk=experiment_id
    )
    if refused := allow(request, "GET"):
        return refused
    result = comparison.experiment_comparison(experiment)
    metric_rows, charts = _metric_rows(result)
    power = PowerForm(request.GET if "difference" in request.GET else None)
    needed = None
    if power.is_bound and power.is_valid():
        needed = comparison.replicates_needed(
            result, power.cleaned_data["metric"], power.cleaned_data["difference"]
        )
    context = {
        "nav": "experiments",
        "experiment": experiment,
        "comparison": result,
        "metric_rows": metric_rows,
        "charts": charts,
        "power": power,
        "needed": needed,
    }
    template = "simulations/experiment_compare.html"
    return render(request, f"{template}#comparison" if request.htmx else template, context)


def _headline(backtest: Backtest) -> list[str]:
    """The policies that beat every reference on some metric of a finished backtest (empty before)."""
    tables = (backtest.result or {}).get("tables", [])
    return sorted({row["name"] for t in tables for row in t["rows"] if row.get("beats_all_references")})


def _backtest_list_page(request, form: BacktestForm, status: int = 200):
    provider = request.GET.get("provider", "")
    listed = backtests.backtest_list(organization=request.organization, provider=provider)
    context = {
        "nav": "backtests",
        "backtests": [(b, _headline(b)) for b in listed[:BACKTESTS_SHOWN]],
        "providers": backtests.backtest_providers(organization=request.organization),
        "provider": provider,
        "form": form,
        "can_create": can_write(request),
    }
    return render(request, "simulations/backtest_list.html", context, status=status)


@org_view()
def backtest_list(request):
    if refused := allow(request, "GET"):
        return refused
    return _backtest_list_page(request, BacktestForm(organization=request.organization))


@org_view(roles.WRITE)
def backtest_create(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = BacktestForm(request.POST, organization=request.organization)
    if not form.is_valid():
        return _backtest_list_page(request, form, status=400)
    backtest = submit_form(
        form,
        backtests.backtest_create,
        organization=request.organization,
        actor=actor(request),
        **form.service_arguments(),
    )
    if backtest is None:
        return _backtest_list_page(request, form, status=400)
    messages.success(request, f"Backtest #{backtest.pk} is queued; this page updates when it is done.")
    return redirect("backtest_detail", backtest_id=backtest.pk)


def _table_view(table: dict) -> dict:
    """A stored ``honest.Table`` as the page lays it out: one cell per metric, in the table's order."""
    rows = [
        {**row, "ordered": [row["cells"].get(m) for m in table["metric_names"]]} for row in table["rows"]
    ]
    return {**table, "rows": rows}


@org_view()
def backtest_detail(request, backtest_id: int):
    backtest = get_for_org(Backtest.objects.select_related("panel"), request.organization, pk=backtest_id)
    if refused := allow(request, "GET"):
        return refused
    result = backtest.result or {}
    calibration = result.get("calibration")
    context = {
        "nav": "backtests",
        "backtest": backtest,
        "result": result,
        "tables": [_table_view(t) for t in result.get("tables", [])],
        "calibration_svg": calibration_svg(calibration) if calibration else None,
    }
    template = "simulations/backtest_detail.html"
    return render(request, f"{template}#result" if request.htmx else template, context)
