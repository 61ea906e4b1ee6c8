"""A run's answers through Message Batches, against a loopback server speaking the Batches API:
the whole step goes in one batch, a second worker never submits it again, answers come at half
price once it has ended, and then from the decision cache."""

from __future__ import annotations

import json
import threading

import pytest

from simnet.llm.anthropic_batch import parse_custom_id
from simnet.llm.base import AnswersPending, LLMRequest, ProviderError
from simnet.llm.pricing import BATCH_PRICE_FACTORS, cost_of, price_for
from simnet.providers import build as providers
from simnet.providers.models import ProviderConfig
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Recorded, Reply

BATCHES = "/v1/messages/batches"


class BatchServer:
    """Takes batches, says "in_progress" until ``end()``, then serves one succeeded result per entry."""

    def __init__(self, loopback) -> None:
        self.url = loopback.url
        self.submitted: list[list[dict]] = []
        self.ended = threading.Event()

    def __call__(self, recorded: Recorded) -> Reply:
        if recorded.method == "POST" and recorded.path == BATCHES:
            self.submitted.append(recorded.body["requests"])
            return Reply(200, shapes.anthropic_batch(self._id(len(self.submitted) - 1), "in_progress", None))
        batch_id = recorded.path.removeprefix(f"{BATCHES}/").removesuffix("/results")
        if recorded.path.endswith("/results"):
            return Reply(200, self._results(self.submitted[int(batch_id.rsplit("_", 1)[1])]))
        status = "ended" if self.ended.is_set() else "in_progress"
        return Reply(200, shapes.anthropic_batch(batch_id, status, f"{self.url}{BATCHES}/{batch_id}/results"))

    @staticmethod
    def _id(index: int) -> str:
        return f"msgbatch_{index}"

    @staticmethod
    def _results(entries: list[dict]) -> bytes:
        lines = []
        for entry in entries:
            _, key, _ = parse_custom_id(entry["custom_id"])
            message = shapes.anthropic_tool_use(
                {**shapes.DECISION, "reason": key}, input_tokens=1000, output_tokens=40
            )
            lines.append(
                json.dumps(
                    {"custom_id": entry["custom_id"], "result": {"type": "succeeded", "message": message}}
                )
            )
        return ("\n".join(lines) + "\n").encode()


def _requests(n: int) -> list[LLMRequest]:
    return [
        LLMRequest(key=f"agent-{i}", system="You are Ada.", user=f"feed {i}", schema=shapes.DECISION_SCHEMA)
        for i in range(n)
    ]


@pytest.fixture
def batch_server(loopback, settings):
    settings.PRODUCTION = (
        False  # the loopback server stands in for the customer's Anthropic-compatible server
    )
    settings.ANTHROPIC_API_KEY = "sk-test"
    server = BatchServer(loopback)
    loopback.responder = server
    return server


def _config(org, loopback) -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=org, name="claude", kind="anthropic", model="claude-haiku-4-5", base_url=loopback.url,
        message_batches=True,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_step_goes_in_one_batch_once_and_comes_back_at_half_price(org_a, loopback, batch_server):
    config, step = _config(org_a, loopback), _requests(5)
    first_worker = providers.provider_for(config, organization_id=org_a.pk, step_requests=step)

    with pytest.raises(AnswersPending, match="2 answers are waiting in Message Batch msgbatch_0"):
        first_worker.generate(step[:2])  # the first part of the step: the batch holds the whole step
    second_worker = providers.provider_for(config, organization_id=org_a.pk, step_requests=step)
    with pytest.raises(AnswersPending):
        second_worker.generate(step[2:])
    assert [len(batch) for batch in batch_server.submitted] == [5]  # one batch, never submitted again

    batch_server.ended.set()
    answers = second_worker.generate(step[2:]) + first_worker.generate(step[:2])

    assert [a.data["reason"] for a in answers] == ["agent-2", "agent-3", "agent-4", "agent-0", "agent-1"]
    live = cost_of(price_for("anthropic", "claude-haiku-4-5"), answers[0].usage)
    assert answers[0].usage.cost_usd == pytest.approx(live * BATCH_PRICE_FACTORS["anthropic"])
    later = providers.provider_for(config, organization_id=org_a.pk, step_requests=step)
    assert all(a.cached for a in later.generate(step))  # from the decision cache, nothing submitted
    assert len(batch_server.submitted) == 1


@pytest.mark.django_db
def test_only_anthropic_answers_through_message_batches(org_a, loopback):
    config = ProviderConfig.objects.create(
        organization=org_a, name="vllm", kind="openai_compat", model="m", base_url=f"{loopback.url}/v1",
        message_batches=True,  # stored before the form said "Anthropic only"
    )  # fmt: skip
    with pytest.raises(ProviderError, match="only Anthropic"):
        providers.provider_for(config, organization_id=org_a.pk)


def test_the_api_offers_message_batches_for_anthropic_only(admin_api):
    claude = {"name": "Claude", "kind": "anthropic", "model": "claude-haiku-4-5", "secret": "sk-ant-1234"}
    server = {"name": "vLLM", "kind": "openai_compat", "model": "m", "base_url": "https://models.example/v1"}

    created = admin_api.post("/api/v1/providers/", {**claude, "message_batches": True}, format="json")
    refused = admin_api.post("/api/v1/providers/", {**server, "message_batches": True}, format="json")

    assert created.status_code == 201 and created.json()["message_batches"] is True
    assert refused.status_code == 400 and "message_batches" in refused.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_run_submits_each_step_in_one_batch_and_waits_for_it_without_pausing(
    tenancy, loopback, batch_server, settings
):
    from simulations.models import Run, RunStatus
    from simulations.runs import stepper
    from simulations.runs.services import run_start
    from simulations.scenarios.services import scenario_create
    from tests.support.runs import make_panel

    settings.SIMNET_AGENT_BATCH = 2  # a step's turns are asked in three parts
    org = tenancy.org_a
    scenario = scenario_create(
        organization=org, actor=tenancy.member, panel=make_panel(org), name="Batched", steps=2,
        provider=_config(org, loopback), policy="llm",
        stimuli=[{"text": "The gift that will change her life.", "author_handle": "PelotonBrand", "boost": 0.5}],
    )  # fmt: skip
    run = run_start(organization=org, actor=tenancy.member, scenario=scenario)[0]

    assert stepper.advance(run_id=run.pk) == "waiting: message batch"
    assert stepper.advance(run_id=run.pk) == "waiting: message batch"  # polled: not submitted again
    assert [len(batch) for batch in batch_server.submitted] == [6]  # the whole step (6 personas), once
    assert Run.unscoped.get(pk=run.pk).status == RunStatus.RUNNING

    batch_server.ended.set()
    assert stepper.advance(run_id=run.pk) == "step 0 done"
    run = Run.unscoped.get(pk=run.pk)
    assert run.next_step == 1 and run.llm_calls == 6 and run.status_reason == ""
