"""A provider's ``base_url`` goes through the webhooks' address guard (SSRF).

In production an address inside the network is refused when the provider is saved (service,
form and API: a field error) and again before every request (DNS can change), which then
connects to the address checked. Whatever the server answers is never repeated in a run's
status, events or actions.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from simnet.llm.base import LLMRequest, ProviderError
from simnet.providers import build as providers
from simnet.providers.models import ProviderConfig
from simnet.providers.services import provider_config_create
from simnet.tenancy.errors import ApplicationError
from simnet.webhooks import addresses
from simulations.models import RunAction, RunEvent, RunStatus
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply
from tests.support.runs import drive, make_panel

pytestmark = pytest.mark.django_db

PUBLIC_NAME, INTERNAL_NAME = "models.example", "models.internal.example"
INTERNAL_URLS = [
    "http://127.0.0.1:11434/v1",
    "http://localhost:8000/v1",
    "http://[::1]:8000/v1",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5:8000/v1",
    "http://192.168.1.20/v1",
    "http://2130706433/v1",  # 127.0.0.1 in decimal
    "http://0x7f000001/v1",  # ... in hexadecimal
    "http://[::ffff:169.254.169.254]/v1",  # IPv4-mapped IPv6
    f"http://{INTERNAL_NAME}/v1",  # a name that resolves inside
]
LEAK = "ami-secret-instance-role-AKIA0123456789"


@pytest.fixture
def dns(monkeypatch):
    """A public name and an internal one; everything else (numbers, localhost) as the OS reads it."""
    names = {PUBLIC_NAME: ["93.184.216.34"], INTERNAL_NAME: ["10.1.2.3"]}

    def resolve(host: str, port: int) -> list[str]:
        return names[host] if host in names else addresses.resolve_host(host, port)

    monkeypatch.setattr(providers, "resolve_host", resolve)
    return names


def _create(org, user, base_url: str) -> ProviderConfig:
    return provider_config_create(
        organization=org,
        actor=user,
        name="vllm",
        kind="openai_compat",
        model="gpt-4o-mini",
        base_url=base_url,
    )


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_production_refuses_internal_base_urls_when_saving(org_a, org_admin, settings, dns, url):
    settings.PRODUCTION = True
    with pytest.raises(ApplicationError) as refused:
        _create(org_a, org_admin, url)
    assert refused.value.code == "base_url_refused" and "non-public" in refused.value.fields["base_url"][0]
    assert not ProviderConfig.objects.for_org(org_a).exists()


def test_production_saves_a_public_base_url(org_a, org_admin, settings, dns):
    settings.PRODUCTION = True
    assert _create(org_a, org_admin, f"https://{PUBLIC_NAME}/v1").base_url == f"https://{PUBLIC_NAME}/v1"


def test_development_still_reaches_a_server_on_loopback(org_a, org_admin, settings, dns):
    settings.PRODUCTION = False
    assert _create(org_a, org_admin, "http://127.0.0.1:11434/v1").pk
    with pytest.raises(ApplicationError, match="private"):
        _create(org_a, org_admin, "http://10.0.0.5:8000/v1")


def test_the_api_answers_a_field_error(org_a, api_token_for, api_client_for, settings, dns):
    settings.PRODUCTION = True
    client = api_client_for(api_token_for(org_a, role="admin").raw_token)
    body = {"name": "meta", "kind": "openai_compat", "model": "m", "base_url": "http://169.254.169.254/v1"}
    response = client.post("/api/v1/providers/", body, format="json")
    assert response.status_code == 400
    assert "link-local" in response.json()["error"]["fields"]["base_url"][0]
    assert not ProviderConfig.objects.for_org(org_a).exists()


def test_the_form_shows_a_field_error(org_a, org_admin_client, settings, dns):
    settings.PRODUCTION = True
    form = {"name": "meta", "kind": "openai_compat", "model": "m", "max_concurrency": 4}
    response = org_admin_client.post(reverse("provider_create"), {**form, "base_url": "http://10.0.0.5/v1"})
    assert response.status_code == 200 and "private address" in response.content.decode()
    assert not ProviderConfig.objects.for_org(org_a).exists()


def _config(org, base_url: str, kind: str = "openai_compat") -> ProviderConfig:
    """Stored as it was accepted when DNS still said something else."""
    return ProviderConfig.objects.create(
        organization=org, name="p", kind=kind, model="gpt-4o-mini", base_url=base_url
    )


def _ask(config: ProviderConfig, question: str = "Say hi."):
    """One request; ask something new each time, or the decision cache answers without a request."""
    request = LLMRequest(key="a", system="", user=question, seed=1)
    return providers.provider_for(config, organization_id=config.organization_id).generate([request])


def test_a_name_that_now_resolves_inside_is_refused_before_connecting(org_a, settings, dns, loopback):
    """DNS rebinding: the name pointed outside when saved, now it points at the loopback server."""
    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion("hi")))
    port = loopback.url.rsplit(":", 1)[1]
    dns[PUBLIC_NAME] = ["127.0.0.1"]
    config = _config(org_a, f"http://{PUBLIC_NAME}:{port}/v1")

    settings.PRODUCTION = False  # positive control: loopback allowed, the pinned name reaches the server
    [answer] = _ask(config)
    assert answer.text == "hi" and loopback.requests[0].headers["host"] == f"{PUBLIC_NAME}:{port}"

    settings.PRODUCTION = True
    with pytest.raises(ProviderError, match="loopback"):
        _ask(config, "Say hello again.")
    assert len(loopback.requests) == 1


def test_an_anthropic_base_url_is_checked_before_connecting(org_a, settings, dns):
    settings.PRODUCTION = True
    config = _config(org_a, f"https://{INTERNAL_NAME}", kind="anthropic")
    with pytest.raises(ProviderError, match="private"):
        _ask(config)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("failure", "status", "reason"),
    [
        (Reply(401, {"error": {"message": LEAK}}), RunStatus.FAILED, "HTTP 401"),
        # slow: the run retries the 503 with real backoff (about 45 s) before it pauses
        pytest.param(Reply(503, LEAK.encode()), RunStatus.PAUSED, "HTTP 503", marks=pytest.mark.slow),
    ],
)
def test_a_run_never_shows_what_the_server_answered(tenancy, settings, loopback, failure, status, reason):
    settings.PRODUCTION = False  # the loopback server stands in for the customer's server
    loopback.script("/v1/chat/completions", failure)
    run = _run_on(tenancy, f"{loopback.url}/v1")

    run = drive(run, steps=1)

    assert run.status == status and reason in run.status_reason, run.status_reason
    events = json.dumps(list(RunEvent.objects.filter(run=run).values_list("payload", flat=True)))
    errors = " ".join(RunAction.objects.filter(run=run).values_list("error", flat=True))
    assert LEAK not in run.status_reason + events + errors


@pytest.mark.django_db(transaction=True)
def test_an_agent_error_action_never_shows_what_the_server_answered(tenancy, settings, loopback):
    settings.PRODUCTION = False
    loopback.script("/v1/chat/completions", Reply(400, {"object": "error", "message": LEAK}))
    run = drive(_run_on(tenancy, f"{loopback.url}/v1"), steps=1)

    errors = list(RunAction.objects.filter(run=run, outcome="error").values_list("error", flat=True))
    assert errors and all("HTTP 400" in error and LEAK not in error for error in errors), errors
    assert LEAK not in json.dumps(list(RunEvent.objects.filter(run=run).values_list("payload", flat=True)))


def _run_on(tenancy, base_url: str):
    org = tenancy.org_a
    config = _create(org, tenancy.org_admin, base_url)
    scenario = scenario_create(
        organization=org, actor=tenancy.member, panel=make_panel(org), name="Leak", steps=2, provider=config,
        stimuli=[{"text": "New bike, who dis?", "author_handle": "brand"}],
    )  # fmt: skip
    return run_start(organization=org, actor=tenancy.member, scenario=scenario)[0]


def test_the_operators_own_model_server_on_the_private_network_is_allowed_by_name(
    org_a, org_admin, settings, loopback
):
    """``SIMNET_MODEL_SERVER_HOSTS`` names the operator's vLLM or llama.cpp server: saved and
    reached although it is not public; any other internal host is still refused."""
    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion("hi from vllm")))
    port = loopback.url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/v1"
    settings.PRODUCTION = True
    with pytest.raises(ApplicationError, match="non-public"):
        _create(org_a, org_admin, url)

    settings.SIMNET_MODEL_SERVER_HOSTS = ["LOCALHOST"]
    config = _create(org_a, org_admin, url)
    [answer] = _ask(config)
    assert answer.text == "hi from vllm" and len(loopback.requests) == 1
    with pytest.raises(ApplicationError, match="non-public"):
        _create(org_a, org_admin, f"http://127.0.0.1:{port}/v1")  # the name, not its address
