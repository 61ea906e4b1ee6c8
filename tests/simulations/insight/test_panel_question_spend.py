"""Panel questions asked through a hosted model count in the organization's monthly spend like
runs: what the calls cost is stored on the question, a question that could cost more than the
budget leaves is refused before it is queued, and asking stops once what was left is spent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from simnet.llm.base import LLMResponse, Usage
from simnet.providers.spend import budget_left, monthly_spend
from simnet.tenancy.errors import ApplicationError
from simulations.insight import panel_questions
from simulations.insight.panel_questions_spend import most_cost
from simulations.models import PanelAnswer, PanelQuestion
from tests.personas.summaries import hosted_config
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db
CALL_COST = Decimal("0.0012")
CHOICES = ["Offensive", "Fine", "Not sure"]
QUESTION = "Is the Peloton holiday ad offensive?"


class MeteredAnswers:
    """A hosted model that answers every persona and reports what each answer cost."""

    name, model = "anthropic", "claude-haiku-4-5"

    def __init__(self) -> None:
        self.asked = 0

    def generate(self, requests):
        self.asked += len(requests)
        usage = Usage(input_tokens=300, output_tokens=40, cost_usd=float(CALL_COST))
        return [LLMResponse(r.key, "Fine.\nIt is a bike ad and nothing more.", usage=usage) for r in requests]


@pytest.fixture
def metered(monkeypatch) -> MeteredAnswers:
    answers = MeteredAnswers()
    monkeypatch.setattr(panel_questions, "provider_for", lambda config, organization_id: answers)
    return answers


def _create(org, member, panel, config) -> PanelQuestion:
    return panel_questions.panel_question_create(
        organization=org, actor=member, panel=panel, kind="poll", question=QUESTION, choices=CHOICES,
        provider_config=config, enqueue=False,
    )  # fmt: skip


def _budget(org, dollars: str) -> None:
    org.monthly_budget_usd = Decimal(dollars)
    org.save(update_fields=["monthly_budget_usd"])
    org.refresh_from_db()


def test_asking_through_a_hosted_model_adds_its_cost_to_the_months_spend(org_a, member, metered, client):
    panel = make_panel(org_a, size=12)
    before = monthly_spend(org_a)

    asked = _create(org_a, member, panel, hosted_config(org_a))
    done = panel_questions.panel_question_execute(question_id=asked.pk)

    assert done.status == PanelQuestion.Status.COMPLETED and metered.asked == 12
    assert done.cost_usd == 12 * CALL_COST
    assert monthly_spend(org_a) - before == 12 * CALL_COST
    assert budget_left(org_a) == org_a.monthly_budget_usd - 12 * CALL_COST
    client.force_login(member)
    page = client.get(reverse("panel_question_detail", args=[done.pk])).content.decode()
    assert "cost $0.0144" in page


def test_a_question_over_the_remaining_budget_is_refused_with_the_figures(org_a, member, metered):
    panel = make_panel(org_a, size=12)
    config = hosted_config(org_a)
    requests = [panel_questions._request(QUESTION, CHOICES, 1, m.persona) for m in panel.memberships.all()]
    most = most_cost(config, requests)
    assert Decimal("0.01") < most < Decimal("0.02")
    _budget(org_a, "0.01")

    with pytest.raises(ApplicationError) as refused:
        _create(org_a, member, panel, config)

    message = str(refused.value)
    assert refused.value.status == 402 and refused.value.code == "quota_exceeded"
    assert message.startswith(f"Asking all 12 personas through “{config.name}” costs up to about ${most:.4f}")
    assert (
        "more than the $0.0100 left of this month's budget. Ask a smaller panel, use the offline" in message
    )
    assert not PanelQuestion.objects.for_org(org_a).exists() and metered.asked == 0

    _budget(org_a, "0.02")  # positive controls: enough budget is accepted, and the offline model is free
    assert _create(org_a, member, panel, config).cost_usd == 0
    _budget(org_a, "0")
    assert _create(org_a, member, panel, None).provider_config is None
    with pytest.raises(ApplicationError, match="more than the \\$0.0000 left"):
        _create(org_a, member, panel, config)


def test_asking_stops_once_what_the_budget_left_is_spent(org_a, member, metered):
    panel = make_panel(org_a, size=25)
    asked = _create(org_a, member, panel, hosted_config(org_a))
    _budget(org_a, "0.01")  # meanwhile other work spent the rest: what is left pays for one chunk of ten

    done = panel_questions.panel_question_execute(question_id=asked.pk)

    chunk = panel_questions.CHUNK
    assert metered.asked == chunk and done.cost_usd == chunk * CALL_COST
    assert (done.done, done.result["failed"]) == (25, 25 - chunk)
    refusals = PanelAnswer.objects.filter(question=done).exclude(error="").values_list("error", flat=True)
    assert {error.split(" (")[0] for error in refusals} == {"budget of $0.01 reached"}
