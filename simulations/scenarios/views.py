"""The scenario builder (runs, replicates, experiments), its estimate, experiment pages, stimulus images.

Start creates the scenario and its runs in one transaction: a run refused for quota leaves no
orphan scenario behind, and the runs' tasks are enqueued only once everything is committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from personas.models import Panel, Persona
from simnet.providers.spend import budget_left
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.audit import client_ip
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form
from simulations.insight import forecast
from simulations.models import FINAL_STATUSES, Scenario, Stimulus
from simulations.runs import services as run_services
from simulations.runs.presenters import optional_url
from simulations.scenarios import experiments as experiment_services
from simulations.scenarios import safety, selectors, services
from simulations.scenarios.experiments import MAX_VARIANTS
from simulations.scenarios.forms import (
    MAX_STIMULI,
    ExperimentForm,
    ReplicatesForm,
    ScenarioForm,
    StimulusForm,
    StimulusFormSet,
    VariantForm,
    VariantFormSet,
)
from simulations.scenarios.media import form_pictures
from simulations.scenarios.stance_fields import stance_settings

TEMPLATE = "simulations/scenario_builder.html"
MAX_HANDLES = 300
EXPERIMENTS_PAGE_SIZE = 25
ROWS = {"stimuli": (StimulusForm, MAX_STIMULI), "variants": (VariantForm, MAX_VARIANTS)}
STIMULUS_PREFIX = re.compile(r"stimuli-\d{1,3}")


@dataclass
class Builder:
    """The forms of one builder page; ``extra`` is the experiment's or the replicates' form."""

    mode: str
    scenario: ScenarioForm
    stimuli: forms.BaseFormSet
    extra: forms.Form
    variants: forms.BaseFormSet | None

    def is_valid(self) -> bool:
        parts = [self.scenario, self.stimuli, self.extra] + (
            [self.variants] if self.variants is not None else []
        )
        validity = [part.is_valid() for part in parts]  # every part validated, so each shows its errors
        return all(validity)

    def stimuli_data(self) -> list[dict]:
        panel = self.scenario.cleaned_data["panel"]
        return [form.stimulus(panel) for form in self.stimuli if form.cleaned_data]

    def replicate_count(self) -> int:
        replicates = self.extra.cleaned_data["replicates"]
        if self.variants is None:
            return replicates
        return replicates * max(2, len(self.variants.variants()))

    def error_list(self) -> list[str]:
        """Every error of the parts the estimate needs, each named by where it is on the page."""
        errors = _form_errors(self.scenario) + _form_errors(self.extra)
        if self.variants is not None:
            errors += [str(e) for e in self.variants.non_form_errors()]
            for form in self.variants:
                label = form["label"].value() or f"row {form.prefix.rsplit('-', 1)[-1]}"
                errors += [f"Variant {label}, {e}" for e in _form_errors(form)]
        return errors


def _form_errors(form: forms.Form) -> list[str]:
    """ "Field label: message" for each error of ``form`` (the message alone for a form-wide one)."""
    lines = []
    for name, messages_ in form.errors.items():
        prefix = f"{form[name].label}: " if name in form.fields else ""
        lines += [f"{prefix}{message}" for message in messages_]
    return lines


def _with_control_text(data):
    """Variant A, the control, says what the post says: its text is filled in from the single
    stimulus when left empty (with several stimuli, empty keeps each one as written)."""
    stimuli = [
        value for key, value in data.items() if re.fullmatch(r"stimuli-\d{1,3}-text", key) and value.strip()
    ]
    if len(stimuli) != 1 or (data.get("variants-0-stimulus_text") or "").strip():
        return data
    data = data.copy()
    data["variants-0-stimulus_text"] = stimuli[0]
    return data


def _builder(request, mode: str, data=None, files=None) -> Builder:
    organization = request.organization
    initial = {}
    panel_id = request.GET.get("panel", "")
    if panel_id.isdigit() and Panel.objects.visible_to(organization).filter(pk=int(panel_id)).exists():
        initial["panel"] = int(panel_id)
    variants = None
    if mode == "experiment":
        extra = ExperimentForm(data)
        initial_variants = [{"label": "A"}, {"label": "B"}]
        data = _with_control_text(data) if data else data
        variants = VariantFormSet(data, prefix="variants", initial=None if data else initial_variants)
    else:
        extra = ReplicatesForm(data)
    return Builder(
        mode=mode,
        scenario=ScenarioForm(data, organization=organization, initial=initial),
        stimuli=StimulusFormSet(data, files, prefix="stimuli"),
        extra=extra,
        variants=variants,
    )


def _panel_handles(request, builder: Builder | None = None, panel_id: str = "") -> list[str]:
    """Handles of the chosen panel's personas, suggested as stimulus authors."""
    if builder is not None:
        form = builder.scenario
        panel_id = str(form["panel"].value() or "")
        if not panel_id:
            first = form.fields["panel"].queryset.first()
            panel_id = str(first.pk) if first else ""
    if not panel_id.isdigit():
        return []
    panel = Panel.objects.visible_to(request.organization).filter(pk=int(panel_id)).first()
    if panel is None:
        return []
    personas = Persona.objects.filter(panel_memberships__panel=panel).order_by("handle")
    return list(personas.values_list("handle", flat=True)[:MAX_HANDLES])


def _render_builder(request, builder: Builder, **extra):
    context = {
        "nav": "simulations",
        "builder": builder,
        "mode": builder.mode,
        "handles": _panel_handles(request, builder),
        "providers_url": reverse("provider_list"),
        "max_stimuli": MAX_STIMULI,
        "max_variants": MAX_VARIANTS,
        **extra,
    }
    return render(request, TEMPLATE, context)


def _estimate_context(request, builder: Builder) -> dict:
    """The estimate partial's context: the range and the month's remaining budget, or the
    builder alone (its errors say what to fix first). Nothing is saved."""
    context = {"builder": builder, "estimate_checked": True}
    parts = [builder.scenario, builder.extra] + ([builder.variants] if builder.variants is not None else [])
    validity = [part.is_valid() for part in parts]  # every part validated, so each lists its errors
    if not all(validity):
        return {**context, "fix_these": builder.error_list()}
    kwargs = builder.scenario.scenario_kwargs()
    settings = services.format_settings(kwargs["format"], kwargs.pop("communities"), kwargs.pop("forum_sort"))
    settings |= services.words_settings(kwargs.pop("words_max_calls"), kwargs.pop("words_share"))
    settings |= services.media_settings(kwargs["provider"], kwargs.pop("sees_images"))
    settings |= safety.moderation_settings(kwargs.pop("moderation"))
    settings |= stance_settings(kwargs["format"], kwargs.pop("stance_polls"), kwargs.pop("deliberation"))
    scenario = Scenario(
        organization=request.organization,
        settings=settings,
        **{k: v for k, v in kwargs.items() if k != "name"},
    )
    texts = [form.cleaned_data.get("text", "") for form in builder.stimuli if form.is_valid()]
    estimate = run_services.run_estimate(
        scenario=scenario, replicates=builder.replicate_count(), stimulus_texts=texts,
        stimulus_pictures=form_pictures(builder.stimuli),
    )  # fmt: skip
    remaining = budget_left(request.organization)
    return {
        **context,
        "estimate": estimate,
        "remaining": remaining,
        "over_quota": estimate["cost_usd"]["expected"] > float(remaining),
    }


@transaction.atomic
def _create_and_start(request, builder: Builder):
    """The new scenario, and its experiment or its list of runs."""
    organization, who = request.organization, actor(request)
    scenario = services.scenario_create(
        organization=organization,
        actor=who,
        stimuli=builder.stimuli_data(),
        **builder.scenario.scenario_kwargs(),
    )
    if builder.mode == "experiment":
        extra = builder.extra.cleaned_data
        experiment = experiment_services.experiment_start(
            organization=organization, actor=who, scenario=scenario, name=extra["experiment_name"],
            variants=builder.variants.variants(),
            replicates=extra["replicates"], ip=client_ip(request),
        )  # fmt: skip
        return scenario, experiment
    runs = run_services.run_start(
        organization=organization, actor=who, scenario=scenario,
        replicates=builder.extra.cleaned_data["replicates"], ip=client_ip(request),
    )  # fmt: skip
    return scenario, runs


def _start(request, builder: Builder):
    """Create the scenario and start it; the response, or None when a rule refused (shown on the form)."""
    started = submit_form(builder.scenario, _create_and_start, request=request, builder=builder)
    if started is None:
        return None
    if builder.mode == "experiment":
        _, experiment = started
        messages.success(
            request, f"Experiment “{experiment.name}” started: {experiment.runs.count()} runs queued."
        )
        return redirect("experiment_detail", experiment_id=experiment.pk)
    scenario, runs = started
    if len(runs) == 1:
        return redirect("run_detail", run_id=runs[0].pk)
    messages.success(request, f"{len(runs)} replicates of “{scenario.name}” queued.")
    return redirect("run_list")


def _builder_view(request, mode: str):
    if (not_allowed := allow(request, "GET", "POST")) is not None:
        return not_allowed
    if request.htmx and request.htmx.target == "panel-handles":
        handles = _panel_handles(request, panel_id=request.GET.get("panel", ""))
        return render(request, f"{TEMPLATE}#panel_handles", {"handles": handles})
    if request.method == "POST":
        data = request.POST
        if data.get("add_row") in ROWS:  # "add another" without JavaScript: the same form, one row more
            data = data.copy()
            key = f"{data['add_row']}-TOTAL_FORMS"
            data[key] = str(int(data.get(key) or 0) + 1)
            return _render_builder(request, _builder(request, mode, data, request.FILES))
        builder = _builder(request, mode, data, request.FILES)
        if "estimate" in data:  # the Estimate button without JavaScript: the same form, with the range
            estimate = {k: v for k, v in _estimate_context(request, builder).items() if k != "builder"}
            return _render_builder(request, builder, **estimate)
        if builder.is_valid() and (response := _start(request, builder)) is not None:
            return response
        return _render_builder(request, builder)
    return _render_builder(request, _builder(request, mode))


@org_view(roles.WRITE)
def scenario_create(request):
    return _builder_view(request, "run")


@org_view(roles.WRITE)
def experiment_create(request):
    return _builder_view(request, "experiment")


@org_view(roles.WRITE)
def scenario_formset_row(request):
    """One more stimulus or variant row ("add another"), with the formset's new total out of band."""
    kind = request.GET.get("formset", "")
    if kind not in ROWS:
        raise Http404("No such formset")
    form_class, maximum = ROWS[kind]
    raw_total = request.GET.get(f"{kind}-TOTAL_FORMS", "")
    index = int(raw_total) if raw_total.isdigit() else 1
    if index >= maximum:
        messages.info(request, f"At most {maximum} {kind} in one scenario.")
        return render(request, f"{TEMPLATE}#row_limit", {})
    initial = {"label": chr(ord("A") + index)} if kind == "variants" else None
    form = form_class(prefix=f"{kind}-{index}", initial=initial, use_required_attribute=False)
    context = {"form": form, "kind": kind, "total": index + 1}
    return render(request, f"{TEMPLATE}#{'variant' if kind == 'variants' else 'stimulus'}_row", context)


@org_view(roles.WRITE)
def scenario_estimate(request):
    """The pre-run range (calls, tokens, dollars, time) for the builder's current values."""
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    mode = "experiment" if request.POST.get("mode") == "experiment" else "run"
    builder = _builder(request, mode, request.POST)
    return render(request, f"{TEMPLATE}#estimate", _estimate_context(request, builder))


@org_view()
def stimulus_forecast(request):
    """The forecast cell of one stimulus row: how the draft would do for its author's real account.

    Empty unless the author is one of the organization's imported personas; reads the row's fields
    by their form prefix (``?prefix=stimuli-0&stimuli-0-text=…&stimuli-0-author=…``)."""
    if (not_allowed := allow(request, "GET")) is not None:
        return not_allowed
    prefix = request.GET.get("prefix", "")
    if not STIMULUS_PREFIX.fullmatch(prefix):
        raise Http404("No such stimulus row")
    text = request.GET.get(f"{prefix}-text", "").strip()
    account = forecast.persona_account(
        organization=request.organization, handle=request.GET.get(f"{prefix}-author", "")
    )
    context = {"account": account, "text": text}
    if account is not None and text:
        try:
            context["forecast"] = forecast.forecast_post(
                organization=request.organization, account=account, text=text
            )
        except ApplicationError as error:
            context["not_enough_data"] = error.message
    return render(request, f"{TEMPLATE}#forecast_cell", context)


# --- provider settings -----------------------------------------------------------------------


# --- stimulus images -------------------------------------------------------------------------


@org_view()
def stimulus_image(request, stimulus_id: int):
    """An uploaded stimulus image, served only inside its organization."""
    stimulus = get_for_org(Stimulus.objects, request.organization, pk=stimulus_id)
    if (not_allowed := allow(request, "GET")) is not None:
        return not_allowed
    if not stimulus.image:
        raise Http404("No image")
    try:
        image = stimulus.image.open("rb")
    except FileNotFoundError:  # the row names a file the storage lost: nothing to serve, not a crash
        raise Http404("No image") from None
    return FileResponse(image, as_attachment=False)


@org_view()
def experiment_list(request):
    experiments = selectors.experiment_list(organization=request.organization)
    page = Paginator(experiments, EXPERIMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "experiments", "page": page, "can_start": can_write(request)}
    return render(request, "simulations/experiment_list.html", context)


@org_view()
def experiment_detail(request, experiment_id: int):
    experiment = selectors.experiment_get(organization=request.organization, experiment_id=experiment_id)
    if (not_allowed := allow(request, "GET")) is not None:
        return not_allowed
    progress = experiment_services.experiment_progress(experiment)
    variants = selectors.experiment_runs_by_variant(experiment)
    context = {
        "nav": "experiments",
        "experiment": experiment,
        "progress": progress,
        "variants": variants,
        "refresh": any(run.status not in FINAL_STATUSES for _, runs in variants for run in runs),
        "compare_url": optional_url("experiment_compare", experiment.pk),
        "estimate": (experiment.result or {}).get("estimate"),
    }
    template = (
        "simulations/experiment_detail.html#progress"
        if request.htmx
        else "simulations/experiment_detail.html"
    )
    return render(request, template, context)
