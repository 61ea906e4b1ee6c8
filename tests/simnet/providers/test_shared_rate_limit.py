"""The rate limiter shared through Django's cache: one bucket and one pause for every worker of an
organization's provider configuration, whichever process builds the provider."""

from __future__ import annotations

import threading
import time

import pytest

from simnet.llm.base import LLMRequest
from simnet.providers import build as providers
from simnet.providers.models import ProviderConfig
from simnet.providers.ratelimit import CacheRateStore
from tests.support import llm_shapes as shapes
from tests.support import wide_loopback
from tests.support.http_loopback import Recorded, Reply

PROVIDERS = "/api/v1/providers/"

busy_loopback = wide_loopback.busy_loopback  # a fixture: many connections at once


def _arrivals_of(busy_loopback) -> list[float]:
    arrivals: list[float] = []

    def respond(recorded: Recorded) -> Reply:
        arrivals.append(time.monotonic())
        return Reply(200, shapes.chat_completion("hi"))

    busy_loopback.responder = respond
    return arrivals


def _config(org, busy_loopback, **limits) -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=org, name="vllm", kind="openai_compat", model="m", base_url=f"{busy_loopback.url}/v1",
        max_concurrency=16, **limits,
    )  # fmt: skip


def _ask(provider, n: int, tag: str) -> None:
    provider.generate([LLMRequest(key=f"{tag}{i}", system="s", user=f"{tag} {i}") for i in range(n)])


@pytest.mark.django_db(transaction=True)  # the limiter reads the database cache from its own threads
@pytest.mark.parametrize("limited", [True, False])
def test_two_providers_built_for_one_config_share_its_requests_per_minute(
    org_a, settings, busy_loopback, limited
):
    """60 a minute: a bucket of 60, then one a second. Two workers asking 31 each: the 61st call
    waits for the first refill (1 s after the start) and the 62nd one more second; without a limit
    (the positive control) nothing waits. Only waits are asserted, not how fast the burst went (a
    loaded machine sends 60 calls in 0.3 s or in 0.9 s)."""
    settings.PRODUCTION = False  # the busy_loopback server stands in for the customer's server
    arrivals = _arrivals_of(busy_loopback)
    config = _config(org_a, busy_loopback, requests_per_minute=60 if limited else None)
    workers = [providers.provider_for(config, organization_id=org_a.pk) for _ in range(2)]

    threads = [threading.Thread(target=_ask, args=(w, 31, f"w{i}")) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    offsets = sorted(a - min(arrivals) for a in arrivals)
    assert len(offsets) == 62
    spacing = offsets[61] - offsets[60]
    if limited:
        assert offsets[60] >= 0.75 and spacing == pytest.approx(1.0, abs=0.25), offsets[-3:]
    else:
        assert spacing < 0.5, offsets[-3:]


@pytest.mark.django_db(transaction=True)
def test_a_pause_recorded_by_one_store_is_seen_by_another(org_a):
    """What a worker on another machine sees: a new store object over the same cache."""
    until = time.time() + 30
    CacheRateStore().pause("org1:provider2:pause", until)
    CacheRateStore().pause("org1:provider2:pause", until - 10)  # an earlier end never shortens it

    assert CacheRateStore().paused_until("org1:provider2:pause") == pytest.approx(until)
    assert CacheRateStore().paused_until("org1:provider3:pause") == 0.0


@pytest.mark.django_db(transaction=True)
def test_reservations_from_many_threads_never_share_a_slot():
    store = CacheRateStore()
    now = time.time()
    starts: list[float] = []

    def reserve() -> None:
        for _ in range(5):
            starts.append(store.reserve("org1:provider2:requests", 1, interval_s=1.0, window_s=2.0, now=now))

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # a bucket of 2, then one a second: 20 reservations start at now, now, now+1, ..., now+18
    assert sorted(round(s - now) for s in starts) == [0, 0, *range(1, 19)]


def test_the_api_takes_and_shows_the_limits(admin_api):
    body = {"name": "Claude", "kind": "anthropic", "model": "claude-haiku-4-5", "secret": "sk-ant-1234"}
    created = admin_api.post(
        PROVIDERS, {**body, "requests_per_minute": 50, "tokens_per_minute": 40000}, format="json"
    )
    refused = admin_api.post(PROVIDERS, {**body, "requests_per_minute": 0}, format="json")

    assert created.status_code == 201, created.json()
    assert (created.json()["requests_per_minute"], created.json()["tokens_per_minute"]) == (50, 40000)
    assert refused.status_code == 400 and "requests_per_minute" in refused.json()["error"]["fields"]
