"""Emitting events and delivering them to a real HTTP server on 127.0.0.1.

The clock is injected (``now=``): retries are driven by calling the attempt and sweep
services at chosen times, never by sleeping.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from simnet.tenancy.errors import ApplicationError
from simnet.webhooks import attempts, services, transport
from simnet.webhooks.models import Delivery
from simnet.webhooks.signing import verify_signature
from tests.simnet.webhooks.receiver import Reply

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def endpoint_at(org_a):
    def make(url: str, events=("run.completed", "run.failed")):
        return services.webhook_endpoint_create(organization=org_a, url=url, events=list(events))

    return make


def emit_one(org, django_capture_on_commit_callbacks, event="run.completed", payload=None) -> Delivery:
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = services.emit(organization=org, event=event, payload=payload or {"run_id": 7})
    assert len(deliveries) == 1
    return deliveries[0]


def refreshed(delivery: Delivery) -> Delivery:
    return Delivery.unscoped.get(pk=delivery.pk)


def test_emit_creates_a_delivery_per_subscribed_active_endpoint_and_enqueues_after_commit(
    org_a, org_b, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    subscribed, _ = endpoint_at("http://127.0.0.1:9/a", events=["run.completed"])
    endpoint_at("http://127.0.0.1:9/b", events=["import.failed"])
    paused, _ = endpoint_at("http://127.0.0.1:9/c", events=["run.completed"])
    services.webhook_endpoint_update(endpoint=paused, is_active=False)
    services.webhook_endpoint_create(organization=org_b, url="http://127.0.0.1:9/d", events=["run.completed"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliveries = services.emit(organization=org_a, event="run.completed", payload={"run_id": 7})
    assert [delivery.endpoint for delivery in deliveries] == [subscribed]
    assert enqueued == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert enqueued == [deliveries[0].pk]
    assert refreshed(deliveries[0]).enqueued_at is not None


def test_the_body_is_a_stable_envelope(org_a, endpoint_at, enqueued, django_capture_on_commit_callbacks):
    endpoint_at("http://127.0.0.1:9/a")
    delivery = emit_one(org_a, django_capture_on_commit_callbacks, payload={"run_id": 7, "cost": 0.25})
    document = json.loads(delivery.body)
    assert document["type"] == "run.completed" and document["id"] == delivery.event_id
    assert document["data"] == {"run_id": 7, "cost": 0.25}
    assert document["organization"] == {"id": org_a.pk, "slug": org_a.slug}


def test_emit_refuses_unknown_events_and_is_silent_without_endpoints(org_a):
    with pytest.raises(ValueError):
        services.emit(organization=org_a, event="run.exploded", payload={})
    assert services.emit(organization=org_a, event="run.completed", payload={}) == []


def test_a_broker_failure_leaves_the_delivery_for_the_sweeper(
    org_a, endpoint_at, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    endpoint_at("http://127.0.0.1:9/a")

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(services, "async_task", broker_down)
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    assert refreshed(delivery).enqueued_at is None and "could not enqueue" in caplog.text
    handed = []
    monkeypatch.setattr(services, "async_task", lambda func, delivery_id, **kw: handed.append(delivery_id))
    assert attempts.deliveries_sweep(now=T0) == [delivery.pk] and handed == [delivery.pk]


def test_a_2xx_delivery_is_signed_recorded_and_done(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    _, secret = endpoint_at(receiver.url)
    receiver.replies = [Reply(200, b'{"received": true}')]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)

    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)

    [request] = receiver.requests
    assert request.path == "/hooks/simnet" and request.body == delivery.body.encode()
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["simnet-event"] == "run.completed" and headers["simnet-delivery"] == str(delivery.pk)
    assert headers["simnet-timestamp"] == str(int(T0.timestamp()))
    assert headers["content-type"] == "application/json"
    assert verify_signature(secret, headers["simnet-signature"], request.body, now=T0.timestamp())
    assert (attempt.number, attempt.status_code, attempt.succeeded) == (1, 200, True)
    assert attempt.response_excerpt == '{"received": true}' and attempt.error == ""
    done = refreshed(delivery)
    assert (done.status, done.attempt_count, done.completed_at, done.next_attempt_at) == (
        Delivery.Status.SUCCEEDED,
        1,
        T0,
        None,
    )
    assert attempts.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(hours=1)) is None


def test_failures_are_retried_with_backoff_until_attempts_run_out(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at(receiver.url)
    receiver.replies = [Reply(500, b"oops")]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    now, schedule = T0, []
    for number in range(1, attempts.MAX_ATTEMPTS + 1):
        if number > 1:  # not due a second early
            assert attempts.delivery_attempt(delivery_id=delivery.pk, now=now - timedelta(seconds=1)) is None
        attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=now)
        assert (attempt.number, attempt.status_code, attempt.response_excerpt) == (number, 500, "oops")
        current = refreshed(delivery)
        if current.next_attempt_at is not None:
            schedule.append(current.next_attempt_at - now)
            now = current.next_attempt_at
    assert schedule == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    final = refreshed(delivery)
    assert (final.status, final.attempt_count, final.last_status_code) == (Delivery.Status.FAILED, 6, 500)
    assert len(receiver.requests) == 6 and final.attempts.count() == 6


def test_a_retry_that_succeeds_finishes_the_delivery(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at(receiver.url)
    receiver.replies = [Reply(503), Reply(204, b"")]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert refreshed(delivery).status == Delivery.Status.PENDING
    assert attempts.deliveries_sweep(now=T0 + timedelta(seconds=59)) == []
    assert attempts.deliveries_sweep(now=T0 + timedelta(minutes=1)) == [delivery.pk]
    attempts.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(minutes=1))
    assert refreshed(delivery).status == Delivery.Status.SUCCEEDED
    assert [a.status_code for a in refreshed(delivery).attempts.order_by("number")] == [503, 204]


def test_the_sweeper_recovers_a_claim_whose_worker_died(
    org_a, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at("http://127.0.0.1:9/a")
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    Delivery.unscoped.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, lease_expires_at=T0, enqueued_at=None
    )
    assert attempts.deliveries_sweep(now=T0 - timedelta(seconds=1)) == []
    assert attempts.deliveries_sweep(now=T0 + timedelta(seconds=1)) == [delivery.pk]
    # handed to the queue once; not again until REENQUEUE_AFTER has passed
    assert attempts.deliveries_sweep(now=T0 + timedelta(minutes=2)) == []
    assert attempts.deliveries_sweep(now=T0 + attempts.REENQUEUE_AFTER + timedelta(minutes=1)) == [
        delivery.pk
    ]


def test_redirects_are_not_followed(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at(receiver.url)
    receiver.replies = [Reply(302, b"", {"Location": "http://169.254.169.254/latest/"})]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert attempt.status_code == 302 and not attempt.succeeded and "Redirects" in attempt.error
    assert len(receiver.requests) == 1 and refreshed(delivery).status == Delivery.Status.PENDING


def test_only_the_first_kilobyte_of_the_response_is_kept(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at(receiver.url)
    receiver.replies = [Reply(200, b"x" * 50_000)]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert attempt.succeeded and attempt.response_excerpt == "x" * 1024


def test_a_slow_receiver_is_cut_off_at_the_total_timeout(
    org_a, receiver, endpoint_at, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT_SECONDS", 0.2)
    endpoint_at(receiver.url)
    receiver.replies = [Reply(200, b"late", delay_seconds=1.0)]
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error == "No complete response within 0.2 seconds."
    assert refreshed(delivery).next_attempt_at == T0 + timedelta(minutes=1)


def test_an_unreachable_receiver_is_a_failed_attempt(
    org_a, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at("http://127.0.0.1:9/closed-port")
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert attempt.status_code is None and attempt.error.startswith("ConnectError")


def test_dns_is_checked_again_at_delivery_time(
    org_a, receiver, settings, public_dns, monkeypatch, enqueued, django_capture_on_commit_callbacks
):
    settings.PRODUCTION = True
    services.webhook_endpoint_create(
        organization=org_a, url="http://hooks.example.com/", events=["run.completed"]
    )
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    monkeypatch.setattr(attempts, "resolve_host", lambda host, port: ["127.0.0.1"])  # rebinding
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert attempt.status_code is None and "loopback" in attempt.error
    assert receiver.requests == [] and refreshed(delivery).status == Delivery.Status.PENDING


def test_deliveries_to_a_disabled_endpoint_stop(
    org_a, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_at("http://127.0.0.1:9/a")
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    attempt = attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert "disabled" in attempt.error and refreshed(delivery).status == Delivery.Status.FAILED


def test_redeliver_sends_the_same_event_again_as_a_new_delivery(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at(receiver.url)
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.delivery_redeliver(delivery=refreshed(delivery))
    assert enqueued[-1] == again.pk and again.pk != delivery.pk
    assert (again.event_id, again.body, again.redelivery_of_id) == (
        delivery.event_id,
        delivery.body,
        delivery.pk,
    )
    attempt = attempts.delivery_attempt(delivery_id=again.pk, now=T0 + timedelta(minutes=5))
    assert attempt.succeeded and len(receiver.requests) == 2
    assert receiver.requests[1].body == receiver.requests[0].body


def test_a_delivery_still_being_retried_cannot_be_redelivered(
    org_a, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    endpoint_at("http://127.0.0.1:9/a")
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as refused:
        services.delivery_redeliver(delivery=delivery)
    assert (refused.value.code, refused.value.status) == ("delivery_in_progress", 409)


def test_the_task_entry_points_call_the_services(
    org_a, receiver, endpoint_at, enqueued, django_capture_on_commit_callbacks
):
    from simnet.webhooks import delivery as tasks

    endpoint_at(receiver.url)
    delivery = emit_one(org_a, django_capture_on_commit_callbacks)
    tasks.deliver(delivery.pk)
    assert refreshed(delivery).status == Delivery.Status.SUCCEEDED and len(receiver.requests) == 1
    assert tasks.sweep() == 0
