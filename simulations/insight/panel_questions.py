"""Asking a whole panel one question: a poll or an open question, answered by every persona in
character through the chosen provider in one background task, then split by segment.

Beside the per-persona interview of a run (``runs.services.run_interview``): the interview asks
one persona about a run it took part in; a panel question asks everyone, with no run, the way a
survey would. One persona's failure (an error, a text the quality gate refuses, or a poll answer
naming no option) is stored on that persona's answer; the others still answer. A hosted model's
calls count in the month's spend like a run's (``panel_questions_spend``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from personas.models import Panel, Persona
from simnet.llm.base import LLMRequest, LLMResponse, Provider, ProviderError
from simnet.llm.quality_gate import check_text
from simnet.providers.build import choice_for, provider_for
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.engine.interview import tidy_answer
from simulations.insight.panel_questions_spend import check_budget, responses_cost, within_budget
from simulations.insight.panel_questions_split import (
    PanelAnswerRecord,
    open_split,
    pick_choice,
    poll_split,
    question_request,
)
from simulations.models import PanelAnswer, PanelQuestion

MAX_QUESTION_CHARS = 1000
MAX_CHOICE_CHARS = 200
CHOICES_RANGE = (2, 10)
CHUNK = 10  # personas asked per provider call: progress is saved after each
NO_CHOICE = "The answer named none of the options."


def _field_error(name: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={name: [message]})


def _clean_choices(kind: str, choices: Sequence[str]) -> list[str]:
    by_reading: dict[str, str] = {}  # answers are read case-blind, so "Yes" and "yes" are one option
    for choice in (c.strip() for c in choices):
        if choice:
            by_reading.setdefault(choice.casefold(), choice)
    cleaned = list(by_reading.values())
    if kind == PanelQuestion.Kind.OPEN:
        if cleaned:
            raise _field_error("choices", "An open question has no options; choose a poll to give options.")
        return []
    low, high = CHOICES_RANGE
    if not low <= len(cleaned) <= high:
        raise _field_error("choices", f"A poll needs {low} to {high} different options.")
    if any(len(c) > MAX_CHOICE_CHARS for c in cleaned):
        raise _field_error("choices", f"Keep each option under {MAX_CHOICE_CHARS} characters.")
    return cleaned


def _provider(organization, config: ProviderConfig | None) -> ProviderConfig | None:
    """The configuration to ask through (None: the offline model; the rule baseline has no words)."""
    if config is None:
        return None
    if config.organization_id != organization.pk:
        raise ApplicationError("Unknown provider configuration.", code="not_found", status=404)
    return None if config.kind == ProviderConfig.Kind.BASELINE else config


def panel_question_create(
    *,
    organization,
    actor: Actor | None,
    panel: Panel,
    kind: str,
    question: str,
    choices: Sequence[str] = (),
    provider_config: ProviderConfig | None = None,
    seed: int = 1,
    enqueue: bool = True,
) -> PanelQuestion:
    """Check and record the question, queued for a worker unless ``enqueue`` is False (then call
    ``panel_question_execute``). Asking spends provider calls, so it needs member or above."""
    require_role(actor_role(organization, actor), roles.WRITE, "ask panels questions")
    if panel.organization_id != organization.pk:
        raise ApplicationError("Ask a panel of your own organization.", code="not_found", status=404)
    if kind not in PanelQuestion.Kind.values:
        raise _field_error("kind", f"Unknown kind {kind!r}: use poll or open.")
    if not question.strip():
        raise _field_error("question", "Write the question.")
    if len(question) > MAX_QUESTION_CHARS:
        raise _field_error("question", f"Keep the question under {MAX_QUESTION_CHARS} characters.")
    cleaned = _clean_choices(kind, choices)
    total = panel.memberships.count()
    if not total:
        raise _field_error("panel", "This panel has no personas to ask.")
    config = _provider(organization, provider_config)
    asking = (_request(question.strip(), cleaned, seed, p) for p in _members(panel))
    check_budget(organization, config, asking)  # reads the prompts only for a hosted model
    choice = choice_for(config)
    asked = PanelQuestion(
        organization=organization, panel=panel, kind=kind, question=question.strip(), choices=cleaned,
        provider_config=config, provider_label=f"{choice.kind}/{choice.model}" if choice.model else choice.kind,
        seed=seed, total=total, created_by=actor_user(actor),
    )  # fmt: skip
    with transaction.atomic():
        asked.save()
        if enqueue:
            transaction.on_commit(
                lambda: async_task(
                    "simulations.tasks.ask_panel_question", asked.pk, task_name=f"panel-question-{asked.pk}"
                )
            )
    return asked


def _ask(provider: Provider, requests: list[LLMRequest]) -> list[LLMResponse]:
    """The provider's answers, or one error per request when the whole call failed."""
    try:
        return provider.generate(requests)
    except ProviderError as error:
        return [LLMResponse(key=r.key, text="", error=str(error) or type(error).__name__) for r in requests]


def _problem(question: PanelQuestion, request: LLMRequest, response: LLMResponse, text: str) -> str:
    """Why this answer cannot count ("" when it can): an error, an empty or junk text (the quality
    gate), or a poll answer that starts with none of the options."""
    if response.error:
        return response.error
    if not text:
        return "The answer was empty."
    verdict = check_text(text, answers=question.question, prompt=request.user, kind="answer")
    if not verdict.ok:
        return f"Refused by the quality gate ({verdict.reason})."
    if question.kind == PanelQuestion.Kind.POLL and pick_choice(text, question.choices) is None:
        return NO_CHOICE
    return ""


def _answer_row(
    question: PanelQuestion, persona: Persona, request: LLMRequest, response: LLMResponse
) -> PanelAnswer:
    text = "" if response.error else tidy_answer(response.text or "")
    error = _problem(question, request, response, text)
    choice = pick_choice(text, question.choices) if question.choices and not error else None
    return PanelAnswer(
        organization_id=question.organization_id, question=question, persona=persona,
        text=text, choice=choice or "", error=error,
    )  # fmt: skip


def panel_question_execute(*, question_id: int) -> PanelQuestion:
    """Ask every persona not yet answered (a re-run after a crash resumes), then store the split."""
    question = PanelQuestion.unscoped.select_related("panel", "provider_config").get(pk=question_id)
    PanelQuestion.unscoped.filter(pk=question.pk).update(status=PanelQuestion.Status.RUNNING)
    answered = set(PanelAnswer.objects.filter(question=question).values_list("persona_id", flat=True))
    members = [p for p in _members(question.panel) if p.pk not in answered]
    provider = within_budget(
        provider_for(question.provider_config, organization_id=question.organization_id),
        question.organization,
        question.provider_config,
    )
    for start in range(0, len(members), CHUNK):
        chunk = members[start : start + CHUNK]
        requests = [_request(question.question, question.choices, question.seed, p) for p in chunk]
        responses = _ask(provider, requests)
        by_key = {r.key: r for r in responses}
        rows = [
            _answer_row(
                question, p, r, by_key.get(r.key) or LLMResponse(r.key, "", error="No answer came back.")
            )
            for p, r in zip(chunk, requests, strict=True)
        ]
        PanelAnswer.objects.bulk_create(rows)
        done = PanelAnswer.objects.filter(question=question).count()
        PanelQuestion.unscoped.filter(pk=question.pk).update(
            done=done, cost_usd=F("cost_usd") + responses_cost(responses)
        )
    return _finish(question)


def _members(panel: Panel) -> QuerySet:
    return Persona.objects.filter(
        organization_id=panel.organization_id, panel_memberships__panel=panel
    ).order_by("pk")


def _request(question: str, choices: Sequence[str], seed: int, persona: Persona) -> LLMRequest:
    return question_request(
        persona_id=str(persona.pk), name=persona.display_name or persona.handle, handle=persona.handle,
        card=persona.card, question=question, choices=choices, seed=seed,
    )  # fmt: skip


def answer_records(question: PanelQuestion) -> list[PanelAnswerRecord]:
    """The answers that count (no error), with the traits of the persona who gave each."""
    rows = PanelAnswer.objects.filter(question=question, error="").select_related("persona").order_by("id")
    return [
        PanelAnswerRecord(str(a.persona_id), a.persona.handle, dict(a.persona.traits or {}), a.text, a.choice)
        for a in rows
    ]


def _finish(question: PanelQuestion) -> PanelQuestion:
    records = answer_records(question)
    failed = PanelAnswer.objects.filter(question=question).exclude(error="")
    if records:
        split = (
            poll_split(records, question.choices)
            if question.choices
            else open_split(records, seed=question.seed)
        )
        status, reason = PanelQuestion.Status.COMPLETED, ""
    else:
        first = failed.values_list("error", flat=True).first() or "The panel has no personas."
        split, status, reason = {}, PanelQuestion.Status.FAILED, f"No persona answered: {first}"
    PanelQuestion.unscoped.filter(pk=question.pk).update(
        status=status,
        status_reason=reason,
        result={**split, "failed": failed.count()},
        finished_at=timezone.now(),
    )
    question.refresh_from_db()
    return question


def panel_question_list(*, organization, panel: Panel | None = None) -> QuerySet:
    """The organization's panel questions, newest first (one panel's when given)."""
    asked = PanelQuestion.objects.for_org(organization).select_related("panel")
    return asked.filter(panel=panel) if panel is not None else asked


def panel_question_failures(question: PanelQuestion) -> QuerySet:
    """The personas that gave no usable answer, with the reason."""
    return PanelAnswer.objects.filter(question=question).exclude(error="").select_related("persona")
