"""A customer's Anthropic ``base_url``: guarded like the OpenAI-compatible one (SSRF), never quoted.

The loopback server plays the customer's server and answers with a marker, which must never come
back in an error, a run's status, events or actions. The same answers from Anthropic's own API
(played through the SDK's ``ANTHROPIC_BASE_URL``) keep their words: the positive control that shows
the marker would be seen if it leaked. In production the address is checked again when a request
connects (DNS can change), and the request goes to the address that was checked.
"""

from __future__ import annotations

import json

import httpx2
import pytest

from simnet.llm.anthropic_batch import custom_id
from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.base import LLMRequest, ProviderError, ProviderUnavailable, QuotaExceeded
from simnet.providers import build as providers
from simnet.providers.models import ProviderConfig
from simnet.providers.services import provider_config_create
from simnet.webhooks import addresses
from simulations.models import RunAction, RunEvent, RunStatus
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply
from tests.support.runs import drive, make_panel

LEAK = "ami-secret-instance-role-AKIA0123456789"
MESSAGES, BATCHES = "/v1/messages", "/v1/messages/batches"
RETRY_NOW = {"retry-after-ms": "1"}
PUBLIC_NAME, PUBLIC_ADDRESS = "models.example", "93.184.216.34"

# (reply, what the provider raises or None for a per-request error, what people read instead)
FAILURES = [
    pytest.param(
        Reply(400, shapes.anthropic_error("invalid_request_error", LEAK)),
        None,
        "400 BadRequestError: the server refused the request",
        id="bad-request",
    ),
    pytest.param(
        Reply(400, shapes.anthropic_error(LEAK, "messages: too long")),
        None,
        "400 BadRequestError: the server refused the request",
        id="leak-in-the-type",
    ),
    pytest.param(
        Reply(
            400, shapes.anthropic_error("invalid_request_error", f"Your credit balance is too low. {LEAK}")
        ),
        QuotaExceeded,
        "anthropic: out of credit or over a spend limit (HTTP 400 BadRequestError)",
        id="credit",
    ),
    pytest.param(
        Reply(401, shapes.anthropic_error("authentication_error", LEAK)),
        ProviderError,
        "anthropic: invalid key (HTTP 401 AuthenticationError)",
        id="key",
    ),
    pytest.param(
        Reply(404, shapes.anthropic_error("not_found_error", LEAK)),
        ProviderError,
        "anthropic: model 'claude-haiku-4-5' not found (HTTP 404 NotFoundError)",
        id="model",
    ),
    pytest.param(
        Reply(529, shapes.anthropic_error("overloaded_error", LEAK), RETRY_NOW),
        ProviderUnavailable,
        "529 OverloadedError: the server failed or is busy",
        id="overloaded",
    ),
    pytest.param(
        Reply(500, f"<html>{LEAK}</html>".encode(), RETRY_NOW),
        ProviderUnavailable,
        "500 InternalServerError: the server failed or is busy",
        id="not-json",
    ),
]


def _customer_server(loopback, monkeypatch) -> AnthropicProvider:
    """A ``base_url`` a customer typed (same signature as ``_official_api``)."""
    return AnthropicProvider(api_key="sk-test", base_url=loopback.url, max_retries=1)


def _official_api(loopback, monkeypatch) -> AnthropicProvider:
    """Anthropic's own API, played through the SDK's own setting as an operator would set it."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    return AnthropicProvider(api_key="sk-test", max_retries=1)


def _what_people_read(provider: AnthropicProvider) -> tuple[type | None, str]:
    """(the exception raised, or None, and its text or the per-request error)."""
    try:
        [response] = provider.generate([LLMRequest(key="a1", system="s", user="hello")])
    except ProviderError as raised:
        return type(raised), str(raised)
    return None, response.error


@pytest.mark.parametrize(("reply", "raised", "sentence"), FAILURES)
def test_a_customer_server_is_described_never_quoted(loopback, monkeypatch, reply, raised, sentence):
    loopback.script(MESSAGES, reply)

    kind, text = _what_people_read(_customer_server(loopback, monkeypatch))

    assert kind is raised and sentence in text, text
    assert LEAK not in text


@pytest.mark.parametrize(("reply", "raised", "sentence"), FAILURES)
def test_anthropics_own_api_keeps_its_words(loopback, monkeypatch, reply, raised, sentence):
    """Positive control: the same answers, from the official API, are quoted."""
    loopback.script(MESSAGES, reply)

    kind, text = _what_people_read(_official_api(loopback, monkeypatch))

    assert kind is raised and LEAK in text, text


@pytest.mark.parametrize(("provider", "quoted"), [(_customer_server, False), (_official_api, True)])
def test_batch_errors_quote_only_the_official_api(loopback, monkeypatch, provider, quoted):
    results_url = f"{loopback.url}{BATCHES}/msgbatch_01/results"
    loopback.script(BATCHES, Reply(400, shapes.anthropic_error("invalid_request_error", LEAK)))
    loopback.script(
        f"{BATCHES}/msgbatch_01", Reply(200, shapes.anthropic_batch("msgbatch_01", "ended", results_url))
    )
    entries = [
        {"type": "errored", "error": shapes.anthropic_error("invalid_request_error", LEAK)},
        {"type": "errored", "error": shapes.anthropic_error(LEAK, "bad")},
        {"type": LEAK},
    ]
    lines = [
        json.dumps({"custom_id": custom_id(i, f"a{i}", True), "result": entry})
        for i, entry in enumerate(entries)
    ]
    loopback.script(f"{BATCHES}/msgbatch_01/results", Reply(200, "\n".join(lines).encode()))
    batches = provider(loopback, monkeypatch)

    with pytest.raises(ProviderError) as refused:
        batches.submit_batch([LLMRequest(key="a0", system="s", user="hello")])
    errors = [str(refused.value)] + [response.error for response in batches.collect_batch("msgbatch_01")]

    assert [LEAK in error for error in errors] == [quoted] * 3 + [False]  # a result type is never quoted
    refused = "the server refused this request"
    described = [f"invalid_request_error: {refused}", f"unknown error type: {refused}"]
    assert errors[1:3] == ([f"invalid_request_error: {LEAK}", f"{LEAK}: bad"] if quoted else described)
    assert errors[3] == "batch request ended without an answer"


def test_a_batch_result_with_a_foreign_custom_id_is_refused_without_quoting_it(loopback, monkeypatch):
    results_url = f"{loopback.url}{BATCHES}/msgbatch_01/results"
    loopback.script(
        f"{BATCHES}/msgbatch_01", Reply(200, shapes.anthropic_batch("msgbatch_01", "ended", results_url))
    )
    line = json.dumps({"custom_id": LEAK, "result": {"type": "expired"}})
    loopback.script(f"{BATCHES}/msgbatch_01/results", Reply(200, line.encode()))

    with pytest.raises(ProviderError, match="custom_id this batch never sent") as refused:
        _customer_server(loopback, monkeypatch).collect_batch("msgbatch_01")
    assert LEAK not in str(refused.value)


# -- through the Django side: the guarded transport and a whole run --------------------------


@pytest.fixture
def dns(monkeypatch):
    """A public name; everything else (numbers, localhost) as the OS reads it."""
    names = {PUBLIC_NAME: [PUBLIC_ADDRESS]}

    def resolve(host: str, port: int) -> list[str]:
        return names[host] if host in names else addresses.resolve_host(host, port)

    monkeypatch.setattr(providers, "resolve_host", resolve)
    return names


def _config(org, base_url: str) -> ProviderConfig:
    """Stored as it was accepted when DNS still said something else."""
    return ProviderConfig.objects.create(
        organization=org, name="claude", kind="anthropic", model="claude-haiku-4-5", base_url=base_url
    )


def _ask(provider, question: str):
    return provider.generate([LLMRequest(key="a", system="", user=question, seed=1)])


@pytest.mark.django_db
def test_a_name_that_now_resolves_to_loopback_is_refused_when_connecting(org_a, settings, dns, loopback):
    settings.ANTHROPIC_API_KEY = "sk-test"
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_text("hi")))
    port = loopback.url.rsplit(":", 1)[1]
    config = _config(org_a, f"http://{PUBLIC_NAME}:{port}")
    dns[PUBLIC_NAME] = ["127.0.0.1"]

    settings.PRODUCTION = False  # positive control: loopback allowed, the pinned name reaches the server
    [answer] = _ask(providers.provider_for(config, organization_id=org_a.pk), "Say hi.")
    assert answer.text == "hi" and loopback.requests[0].headers["host"] == f"{PUBLIC_NAME}:{port}"

    settings.PRODUCTION = True
    dns[PUBLIC_NAME] = [PUBLIC_ADDRESS]  # what the check before building the provider sees...
    provider = providers.provider_for(config, organization_id=org_a.pk)
    dns[PUBLIC_NAME] = ["127.0.0.1"]  # ... and what the name says when the request connects
    with pytest.raises(ProviderError, match="loopback"):
        _ask(provider, "Say hello again.")
    assert len(loopback.requests) == 1


@pytest.mark.django_db
def test_production_connects_a_public_name_to_the_address_it_checked(org_a, settings, dns, monkeypatch):
    settings.ANTHROPIC_API_KEY, settings.PRODUCTION = "sk-test", True
    providers.check_base_url(f"https://{PUBLIC_NAME}")  # saving accepts it
    sent: list[httpx2.Request] = []

    async def socket_stand_in(transport, request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json=shapes.anthropic_text("hi"))

    # no network in tests
    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", socket_stand_in)
    provider = providers.provider_for(_config(org_a, f"https://{PUBLIC_NAME}"), organization_id=org_a.pk)

    [answer] = _ask(provider, "Say hi.")

    assert answer.text == "hi"
    [request] = sent
    assert (request.url.host, request.headers["host"]) == (PUBLIC_ADDRESS, PUBLIC_NAME)
    assert request.extensions["sni_hostname"] == PUBLIC_NAME  # TLS still checks the name's certificate


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("failure", "status", "reason"),
    [
        (Reply(401, shapes.anthropic_error("authentication_error", LEAK)), RunStatus.FAILED, "HTTP 401"),
        (Reply(400, shapes.anthropic_error("invalid_request_error", LEAK)), RunStatus.RUNNING, ""),
    ],
)
def test_a_run_never_shows_what_the_server_answered(tenancy, settings, loopback, failure, status, reason):
    settings.PRODUCTION = False  # the loopback server stands in for the customer's server
    loopback.script(MESSAGES, failure)
    run = drive(_run_on(tenancy, loopback.url), steps=1)

    assert run.status == status and reason in run.status_reason, run.status_reason
    events = json.dumps(list(RunEvent.objects.filter(run=run).values_list("payload", flat=True)))
    errors = " ".join(RunAction.objects.filter(run=run).values_list("error", flat=True))
    assert loopback.requests and LEAK not in run.status_reason + events + errors
    if status == RunStatus.RUNNING:  # the per-request errors were recorded, in words of our own
        assert "400 BadRequestError" in errors


def _run_on(tenancy, base_url: str):
    org = tenancy.org_a
    config = provider_config_create(
        organization=org, actor=tenancy.org_admin, name="claude", kind="anthropic",
        model="claude-haiku-4-5", base_url=base_url, secret="sk-test",
    )  # fmt: skip
    scenario = scenario_create(
        organization=org, actor=tenancy.member, panel=make_panel(org), name="Leak", steps=2, provider=config,
        stimuli=[{"text": "New bike, who dis?", "author_handle": "brand"}],
    )  # fmt: skip
    return run_start(organization=org, actor=tenancy.member, scenario=scenario)[0]
