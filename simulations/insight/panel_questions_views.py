"""Pages of panel questions: ask a panel one question, follow its progress, read the split.

Thin, like the other insight pages: look the panel or question up in the caller's organization
(404 otherwise), call one service, render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from personas.models import Panel
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view
from simnet.web import actor, allow, can_write, post_only, submit_form
from simulations.insight import panel_questions
from simulations.insight.panel_questions_split import MIN_SEGMENT_ANSWERS
from simulations.models import PanelQuestion

OFFLINE = "offline"


class PanelQuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=PanelQuestion.Kind.choices, initial=PanelQuestion.Kind.POLL)
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=panel_questions.MAX_QUESTION_CHARS
    )
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Options",
        help_text="A poll: one option a line. Leave empty for an open question.",
    )
    provider = forms.ChoiceField(help_text="Who writes the answers; every persona costs one call.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        configs = ProviderConfig.objects.for_org(organization).exclude(kind=ProviderConfig.Kind.BASELINE)
        self._configs = {f"config:{c.pk}": c for c in configs}
        self.fields["provider"].choices = [(OFFLINE, "Offline model (on this server, free)")] + [
            (key, str(c)) for key, c in self._configs.items()
        ]

    def service_arguments(self) -> dict:
        """The cleaned data as ``panel_questions.panel_question_create`` keywords."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "question": data["question"],
            "choices": data["choices"].splitlines(),
            "provider_config": self._configs.get(data["provider"]),
        }


def _panel_page(request, panel: Panel, form: PanelQuestionForm, status: int = 200):
    context = {
        "panel": panel,
        "questions": panel_questions.panel_question_list(organization=request.organization, panel=panel),
        "form": form,
        "can_create": can_write(request),
    }
    return render(request, "simulations/panel_questions.html", context, status=status)


@org_view()
def panel_question_list(request, panel_id: int):
    panel = get_for_org(Panel.objects.all(), request.organization, pk=panel_id)
    if refused := allow(request, "GET"):
        return refused
    return _panel_page(request, panel, PanelQuestionForm(organization=request.organization))


@org_view(roles.WRITE)
def panel_question_create(request, panel_id: int):
    panel = get_for_org(Panel.objects.all(), request.organization, pk=panel_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    form = PanelQuestionForm(request.POST, organization=request.organization)
    if not form.is_valid():
        return _panel_page(request, panel, form, status=400)
    asked = submit_form(
        form,
        panel_questions.panel_question_create,
        organization=request.organization,
        actor=actor(request),
        panel=panel,
        **form.service_arguments(),
    )
    if asked is None:
        return _panel_page(request, panel, form, status=400)
    messages.success(request, f"Asking {asked.total} personas; this page updates as they answer.")
    return redirect("panel_question_detail", question_id=asked.pk)


def _split_view(result: dict, chosen: str | None) -> tuple[list[str], dict | None]:
    """The trait keys to split by and the chosen split (gender first when the panel has it)."""
    segments = result.get("segments", [])
    keys = [s["trait_key"] for s in segments]
    if not keys:
        return keys, None
    default = "gender" if "gender" in keys else keys[0]
    chosen = chosen if chosen in keys else default
    return keys, next(s for s in segments if s["trait_key"] == chosen)


def _answers_by_group(result: dict, split: dict | None) -> list[dict]:
    """An open question's answers under each group of the chosen split."""
    if split is None or result.get("kind") != PanelQuestion.Kind.OPEN:
        return []
    by_id = {a["persona_id"]: a for a in result.get("answers", [])}
    return [{**g, "answers": [by_id[i] for i in g["persona_ids"] if i in by_id]} for g in split["groups"]]


@org_view()
def panel_question_detail(request, question_id: int):
    question = get_for_org(
        PanelQuestion.objects.select_related("panel"), request.organization, pk=question_id
    )
    if refused := allow(request, "GET"):
        return refused
    result = question.result or {}
    keys, split = _split_view(result, request.GET.get("trait"))
    context = {
        "question": question,
        "result": result,
        "trait_keys": keys,
        "split": split,
        "groups": _answers_by_group(result, split),
        "failures": panel_questions.panel_question_failures(question),
        "min_answers": MIN_SEGMENT_ANSWERS,
    }
    template = "simulations/panel_question_detail.html"
    return render(request, f"{template}#result" if request.htmx else template, context)
