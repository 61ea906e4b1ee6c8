"""The narrative section of a run's report: ask for one, follow it (HTMX poll), read it with its
citations shown as the real posts they name.

Thin like the other insight pages: look the run up in the caller's organization (404 otherwise),
call one service, render the section. The report page renders the same section through
``{% narrative_section run %}`` (``templatetags/narrative.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from simnet.providers.selectors import hosted_provider_list
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form
from simulations.analysis.narrative import split_citations
from simulations.insight import narratives
from simulations.models import FINAL_STATUSES, NarrativeReport, Run

SECTION = "simulations/_narrative.html"


class NarrativeForm(forms.Form):
    provider = forms.ChoiceField(
        label="Hosted model", help_text="It reads the run through tools, then writes."
    )
    question = forms.CharField(
        required=False,
        max_length=narratives.MAX_QUESTION_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "Optional: what should it answer?"}),
    )

    def __init__(self, *args, configs, **kwargs):
        super().__init__(*args, **kwargs)
        self._configs = {str(c.pk): c for c in configs}
        self.fields["provider"].choices = [(key, str(c)) for key, c in self._configs.items()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"provider_config": self._configs[data["provider"]], "question": data["question"]}


def _paragraphs(narrative: NarrativeReport) -> list[list[dict]]:
    """The text as paragraphs of pieces: words, or a citation with the post it names."""
    posts = {c["post_key"]: c for c in narrative.citations}
    paragraphs = []
    for block in narrative.text.split("\n\n"):
        pieces = [
            {"post": posts[value]} if kind == "post" and value in posts else {"text": value}
            for kind, value in split_citations(block.strip())
        ]
        if pieces:
            paragraphs.append(pieces)
    return paragraphs


def section_context(request, run: Run, form: NarrativeForm | None = None) -> dict:
    """What the narrative section shows for ``run`` to this member."""
    configs = list(hosted_provider_list(organization=request.organization))
    narrative = narratives.narrative_list(organization=request.organization, run=run).first()
    if form is None and configs:
        default = narratives.narrative_config(organization=request.organization, run=run)
        form = NarrativeForm(configs=configs, initial={"provider": str(default.pk) if default else None})
    return {
        "run": run,
        "narrative": narrative,
        "paragraphs": _paragraphs(narrative) if narrative and narrative.text else [],
        "writing": narrative is not None
        and narrative.status in (NarrativeReport.Status.QUEUED, NarrativeReport.Status.RUNNING),
        "hosted": bool(configs),
        "needs_hosted": narratives.NEEDS_HOSTED,
        "max_cost": narratives.MAX_COST_USD,
        "final": run.status in FINAL_STATUSES,
        "can_write": can_write(request),
        "form": form,
    }


@org_view()
def run_narrative(request, run_id: int):
    """The section alone: what the report's poll swaps in while a narrative is written."""
    run = get_for_org(Run.objects.select_related("scenario__provider"), request.organization, pk=run_id)
    if refused := allow(request, "GET"):
        return refused
    return render(request, SECTION, section_context(request, run))


@org_view(roles.WRITE)
def run_narrative_create(request, run_id: int):
    run = get_for_org(Run.objects.select_related("scenario__provider"), request.organization, pk=run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = NarrativeForm(request.POST, configs=hosted_provider_list(organization=request.organization))
    created = form.is_valid() and submit_form(
        form,
        narratives.narrative_create,
        organization=request.organization,
        actor=actor(request),
        run=run,
        **form.service_arguments(),
    )
    if not created and request.htmx:
        return render(request, SECTION, section_context(request, run, form), status=400)
    if not created:
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, errors[0] if errors else "The narrative could not be asked for.")
    if request.htmx:
        return render(request, SECTION, section_context(request, run))
    return redirect(reverse("run_report", kwargs={"run_id": run.pk}) + "#narrative")
